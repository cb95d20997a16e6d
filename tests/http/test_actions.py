"""The error → action table: defaults, channel extensions, and what the client raises."""

from __future__ import annotations

import pytest
import requests
import responses

from feedsync.errors import ChannelError, CircuitOpen, ItemRejected, TransientError
from feedsync.http import (
    DEFAULT_RULES,
    Action,
    ErrorTable,
    Rule,
    StaticBearerAuth,
    default_error_code,
    rules_for_codes,
)

from .conftest import BASE, MakeClient


def response(status: int, body: str = "", content_type: str = "application/json"
             ) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = body.encode()
    r.headers["Content-Type"] = content_type
    return r


@pytest.mark.parametrize(("status", "action"), [
    (200, Action.OK), (204, Action.OK), (304, Action.OK),
    (400, Action.FAIL_ITEM), (401, Action.REFRESH_AUTH), (403, Action.FAIL_CONFIG),
    (404, Action.FAIL_SYSTEM), (408, Action.RETRY), (409, Action.FAIL_ITEM),
    (413, Action.FAIL_SYSTEM), (422, Action.FAIL_ITEM), (429, Action.RATE_LIMITED),
    (500, Action.RETRY), (501, Action.FAIL_SYSTEM), (503, Action.RETRY), (599, Action.RETRY),
])
def test_default_actions(status: int, action: Action) -> None:
    assert ErrorTable().classify(response(status)).action is action


@pytest.mark.parametrize(("body", "code"), [
    ('{"errors": [{"code": "InvalidInput", "message": "x"}]}', "InvalidInput"),  # Amazon
    ('{"errors": [{"errorId": 25002, "domain": "API_INVENTORY"}]}', "25002"),  # eBay
    ('{"error": {"code": 190, "type": "OAuthException"}}', "190"),  # Meta
    ('{"error": {"status": "PERMISSION_DENIED"}}', "PERMISSION_DENIED"),  # Google
    ('{"error": "invalid_grant"}', "invalid_grant"),  # OAuth
    ('{"code": "SYSTEM_ERROR.GMP_GATEWAY_API"}', "SYSTEM_ERROR.GMP_GATEWAY_API"),
    ("<html>oops</html>", None),
    ("[]", None),
])
def test_error_code_shapes(body: str, code: str | None) -> None:
    assert default_error_code(response(400, body)) == code


def test_adapter_rules_come_first_and_defaults_stay() -> None:
    table = ErrorTable().extend([
        *rules_for_codes(Action.RATE_LIMITED, [4, 17, 32, 613], status=400),
        Rule(Action.FAIL_CONFIG, status=400, code="190", reason="Meta token invalid"),
    ])
    assert table.classify(response(400, '{"error": {"code": 17}}')).action is Action.RATE_LIMITED
    resolution = table.classify(response(400, '{"error": {"code": 190}}'))
    assert (resolution.action, resolution.code, resolution.reason) == (
        Action.FAIL_CONFIG, "190", "Meta token invalid")
    assert table.classify(response(400, '{"error": {"code": 100}}')).action is Action.FAIL_ITEM
    assert table.rules[-len(DEFAULT_RULES):] == DEFAULT_RULES
    assert ErrorTable().classify(response(400, '{"error": {"code": 17}}')).action is (
        Action.FAIL_ITEM)  # the default table is not modified


def test_status_ranges_and_broken_predicates() -> None:
    def explode(r: requests.Response) -> bool:
        raise KeyError("no such field")

    table = ErrorTable().extend([Rule(Action.RETRY, status=(520, 529)),
                                 Rule(Action.FAIL_CONFIG, when=explode)])
    assert table.classify(response(524)).action is Action.RETRY
    assert table.classify(response(200)).action is Action.OK  # a crashing predicate: no match


def test_exceptions_classified() -> None:
    classify = ErrorTable.classify_exception
    assert classify(requests.ConnectTimeout()).action is Action.RETRY
    assert classify(requests.ReadTimeout()).action is Action.RETRY
    assert classify(requests.exceptions.ChunkedEncodingError()).action is Action.RETRY
    assert classify(requests.exceptions.InvalidURL()).action is Action.FAIL_CONFIG
    assert classify(requests.exceptions.MissingSchema()).action is Action.FAIL_CONFIG
    assert classify(ValueError()).action is Action.FAIL_SYSTEM


def test_fail_item_raises_item_rejected_for_the_sku(rsps: responses.RequestsMock,
                                                    make_client: MakeClient) -> None:
    rsps.put(BASE + "/listings/SKU-9", status=400,
             json={"errors": [{"code": "InvalidInput", "message": "price must be > 0"}]})
    with pytest.raises(ItemRejected) as info:
        make_client().request("PUT", "/listings/SKU-9", operation="putListingsItem",
                              item="SKU-9")
    assert info.value.sku == "SKU-9" and info.value.channel == "acme"
    assert "InvalidInput" in info.value.message and "price must be > 0" in info.value.message


def test_fail_item_without_sku_is_a_channel_error(rsps: responses.RequestsMock,
                                                  make_client: MakeClient) -> None:
    rsps.post(BASE + "/feeds", status=400, json={"errors": [{"code": "InvalidInput"}]})
    with pytest.raises(ChannelError) as info:
        make_client().post("/feeds", operation="createFeed")
    assert not isinstance(info.value, ItemRejected)


def test_adapter_can_make_a_code_fail_config(rsps: responses.RequestsMock,
                                             make_client: MakeClient) -> None:
    rsps.get(BASE + "/x", status=400, json={"error": {"code": 190}})
    table = ErrorTable().extend([Rule(Action.FAIL_CONFIG, code="190", reason="token invalid")])
    client = make_client(error_table=table, auth=StaticBearerAuth("token-abcdef"))
    with pytest.raises(CircuitOpen, match="token invalid"):
        client.get("/x", operation="x")


def test_408_is_retried(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(BASE + "/x", status=408)
    rsps.get(BASE + "/x", status=200)
    assert make_client().get("/x", operation="x").ok


def test_rate_limited_post_by_body_code_not_retried_unless_marked(
        rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    """A throttle reported in the body of a non-429 answer (Meta's 400 with code 17) re-sends a
    POST only when the adapter's rule says the channel refused it unprocessed."""
    for path in ("/plain", "/marked"):
        rsps.post(BASE + path, status=400, json={"error": {"code": 17}})
        rsps.post(BASE + path, status=200)
    plain = ErrorTable().extend([Rule(Action.RATE_LIMITED, status=400, code="17")])
    with pytest.raises(TransientError, match="not idempotent"):
        make_client(error_table=plain).post("/plain", operation="x")
    assert len(rsps.calls) == 1
    marked = ErrorTable().extend([Rule(Action.RATE_LIMITED, status=400, code="17",
                                       unprocessed=True)])
    assert make_client(error_table=marked).post("/marked", operation="x").ok
    assert [c.response.status_code for c in rsps.calls] == [400, 400, 200]
