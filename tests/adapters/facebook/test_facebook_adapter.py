"""Meta adapter flows against a mocked Graph API: batch, handle polling, per-SKU errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import responses
from facebook_oracle import MetaSpecs
from facebook_support import GRAPH, TOKEN
from feedsync.adapters.facebook.adapter import FacebookAdapter, FacebookConfig
from pydantic import SecretStr, ValidationError
from responses import matchers

from feedsync.adapter import Action, Batch, ItemStatus, PlannedChange, Submission, SubmissionState
from feedsync.errors import ChannelError, CircuitOpen, ConfigError, TransientError
from feedsync.http import FakeClock
from feedsync.mapping.record import MappedRecord
from feedsync.models import Severity
from feedsync.registry import adapter_class

Build = Callable[..., FacebookAdapter]
BATCH_URL = f"{GRAPH}/items_batch"
STATUS_URL = f"{GRAPH}/check_batch_request_status"


def fields(sku: str) -> dict[str, Any]:
    return {"id": sku, "title": f"Tee {sku}", "description": "A tee.",
            "availability": "in stock", "condition": "new", "price": "19.99 USD",
            "link": f"https://shop.example.com/{sku}", "image_link": "https://img/x.jpg",
            "brand": "Acme"}


def batch(adapter: FacebookAdapter, skus: list[str], deletes: tuple[str, ...] = ()) -> Batch:
    items = []
    for sku in skus:
        action = Action.DELETE if sku in deletes else Action.CREATE
        record = None if action is Action.DELETE else MappedRecord(sku, "facebook", fields(sku))
        items.append(adapter.render_item(PlannedChange(sku, action, record)))
    return Batch("facebook", items)


def resumed(submission: Submission) -> Submission:
    """The submission as the core rebuilds it in a later run: SKUs and detail only."""
    return Submission(submission.channel, submission.handle, SubmissionState.PENDING,
                      sorted(submission.skus), detail=json.loads(json.dumps(submission.detail)))


def accepted_batch(mocked: responses.RequestsMock, handle: str = "H1",
                   validation: list[dict[str, Any]] | None = None) -> None:
    mocked.add(responses.POST, BATCH_URL,
               json={"handles": [handle], "validation_status": validation or []})


def status(mocked: responses.RequestsMock, body: dict[str, Any], handle: str = "H1") -> None:
    mocked.add(responses.GET, STATUS_URL, json={"data": [{"handle": handle, **body}]},
               match=[matchers.query_param_matcher(
                   {"handle": handle, "load_ids_of_invalid_requests": "true"})])


def test_registry_finds_the_adapter() -> None:
    assert adapter_class("facebook") is FacebookAdapter


def test_submit_posts_a_valid_batch_with_the_system_user_token(
        make_adapter: Build, mocked: responses.RequestsMock, meta_specs: MetaSpecs) -> None:
    accepted_batch(mocked)
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, ["A", "B", "C"], deletes=("C",)))
    request = mocked.calls[0].request
    body = json.loads(request.body)
    assert meta_specs.problems(body) == []
    assert body["item_type"] == "PRODUCT_ITEM" and body["allow_upsert"] is True
    assert [r["method"] for r in body["requests"]] == ["UPDATE", "UPDATE", "DELETE"]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in (request.url or "")  # never in a URL that could be logged
    assert submission.state is SubmissionState.PENDING and submission.handle == "H1"
    assert {o.status for o in submission.outcomes} == {ItemStatus.PENDING}


def test_handle_is_polled_until_finished_and_errors_reach_their_skus(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    accepted_batch(mocked, validation=[
        {"retailer_id": "B", "errors": [{"message": "price: invalid currency"}],
         "warnings": []},
        {"retailer_id": "A", "errors": [], "warnings": [{"message": "Missing gtin"}]}])
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, ["A", "B", "C", "D", "E"], deletes=("E",)))
    assert {o.sku: o.status for o in submission.outcomes}["B"] is ItemStatus.REJECTED
    status(mocked, {"status": "in_progress"})
    later = make_adapter()  # the next run: a new adapter resumes from the database's copy
    still = later.poll(resumed(submission))
    assert still.state is SubmissionState.PENDING
    mocked.replace(responses.GET, STATUS_URL, json={"data": [{
        "handle": "H1", "status": "finished", "errors_total_count": 2,
        "errors": [{"line": 3, "id": "C", "message": "image_link: could not download"}],
        "warnings": [{"id": "D", "message": "description is short"}],
        "warnings_total_count": 1, "ids_of_invalid_requests": ["C", "D-not-sampled"]}]})
    done = later.poll(still)
    assert done.state is SubmissionState.DONE
    outcomes = {o.sku: o for o in done.outcomes}
    assert set(outcomes) == {"A", "B", "C", "D", "E"}
    assert outcomes["A"].status is ItemStatus.ACCEPTED
    assert [i.message for i in outcomes["A"].issues] == ["Missing gtin"]
    assert outcomes["B"].status is ItemStatus.REJECTED
    assert outcomes["B"].issues[0].message == "price: invalid currency"
    assert outcomes["C"].status is ItemStatus.REJECTED
    assert outcomes["C"].issues[0].severity is Severity.ERROR
    assert outcomes["C"].issues[0].source == "facebook"
    assert outcomes["D"].status is ItemStatus.ACCEPTED
    assert outcomes["D"].issues[0].severity is Severity.WARNING
    assert outcomes["E"].status is ItemStatus.DELETED
    assert outcomes["A"].remote_id == "A"


def test_two_skus_with_one_retailer_id_are_not_both_sent(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    accepted_batch(mocked)
    adapter = make_adapter()
    items = [adapter.render_item(PlannedChange(sku, Action.CREATE, MappedRecord(
        sku, "facebook", {**fields(sku), "id": "SAME"}))) for sku in ("A", "B")]
    submission = adapter.submit(Batch("facebook", items))
    assert len(json.loads(mocked.calls[0].request.body)["requests"]) == 1
    status(mocked, {"status": "finished"})
    done = adapter.poll(resumed(submission))
    outcomes = {o.sku: o for o in done.outcomes}
    assert outcomes["A"].status is ItemStatus.ACCEPTED
    assert outcomes["B"].status is ItemStatus.REJECTED
    assert outcomes["B"].issues[0].code == "duplicate_id"
    assert outcomes["B"].issues[0].source == "feedsync"


def test_invalid_ids_without_a_sampled_message_are_still_reported(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    accepted_batch(mocked)
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, [f"S{n}" for n in range(30)]))
    status(mocked, {"status": "finished", "errors_total_count": 25,
                    "errors": [{"id": "S0", "message": "bad"}],
                    "ids_of_invalid_requests": [f"S{n}" for n in range(25)]})
    done = adapter.poll(submission)
    rejected = [o for o in done.outcomes if o.status is ItemStatus.REJECTED]
    assert len(rejected) == 25 and all(o.issues for o in rejected)
    assert "not among the sampled errors" in rejected[1].issues[0].message
    assert done.error is None


def test_unattributed_errors_are_not_silent(make_adapter: Build,
                                            mocked: responses.RequestsMock) -> None:
    accepted_batch(mocked)
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, ["A", "B"]))
    status(mocked, {"status": "finished", "errors_total_count": 1, "errors": []})
    done = adapter.poll(submission)
    assert done.error is not None and "named the items of only 0" in done.error


def test_a_batch_meta_ingested_nothing_from_is_released(make_adapter: Build,
                                                        mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, json={"handles": [], "validation_status": [
        {"retailer_id": "A", "errors": [{"message": "title missing"}]}]})
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, ["A", "B"]))
    assert submission.state is SubmissionState.FAILED and "ingested nothing" in (
        submission.error or "")
    assert [(o.sku, o.status) for o in submission.outcomes] == [("A", ItemStatus.REJECTED)]


def test_a_batch_meta_reports_as_failed_releases_its_skus(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    accepted_batch(mocked, validation=[{"retailer_id": "B", "errors": [{"message": "x"}]}])
    adapter = make_adapter()
    submission = adapter.submit(batch(adapter, ["A", "B"]))
    status(mocked, {"status": "error"})
    failed = adapter.poll(resumed(submission))
    assert failed.state is SubmissionState.FAILED
    assert [(o.sku, o.status) for o in failed.outcomes] == [("B", ItemStatus.REJECTED)]


def test_throttling_waits_for_the_time_meta_names(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    usage = json.dumps({"1234": [{"type": "catalog_batch", "call_count": 100,
                                  "estimated_time_to_regain_access": 2}]})
    mocked.add(responses.POST, BATCH_URL, status=400,
               headers={"X-Business-Use-Case-Usage": usage},
               json={"error": {"code": 80014, "message": "too many calls"}})
    accepted_batch(mocked)
    adapter = make_adapter()
    assert adapter.submit(batch(adapter, ["A"])).state is SubmissionState.PENDING
    assert 120.0 in clock.sleeps


@pytest.mark.parametrize("code", [4, 17, 32, 613, 1, 2])
def test_rate_limit_and_transient_codes_are_retried(
        code: int, make_adapter: Build, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, status=400, json={"error": {"code": code}})
    accepted_batch(mocked)
    adapter = make_adapter()
    assert adapter.submit(batch(adapter, ["A"])).state is SubmissionState.PENDING
    assert len(mocked.calls) == 2


def test_is_transient_flag_is_retried(make_adapter: Build,
                                      mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, status=400,
               json={"error": {"code": 99, "is_transient": True}})
    accepted_batch(mocked)
    adapter = make_adapter()
    assert adapter.submit(batch(adapter, ["A"])).state is SubmissionState.PENDING


def test_persistent_server_errors_leave_the_batch_for_the_next_run(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, status=500, json={"error": {"code": 1}})
    adapter = make_adapter()
    with pytest.raises(TransientError):
        adapter.submit(batch(adapter, ["A"]))


@pytest.mark.parametrize(("status_code", "code"), [(400, 190), (401, 190), (403, 200), (400, 10)])
def test_token_and_permission_errors_stop_the_channel(
        status_code: int, code: int, make_adapter: Build,
        mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, status=status_code, json={"error": {
        "code": code, "type": "OAuthException", "message": "Error validating access token"}})
    adapter = make_adapter()
    with pytest.raises(CircuitOpen) as caught:
        adapter.submit(batch(adapter, ["A"]))
    assert TOKEN not in str(caught.value)
    assert len(mocked.calls) == 1


def test_invalid_parameter_refuses_the_batch_not_the_run(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, BATCH_URL, status=400, json={"error": {
        "code": 100, "message": "(#100) Invalid parameter"}})
    adapter = make_adapter()
    with pytest.raises(ChannelError) as caught:
        adapter.submit(batch(adapter, ["A"]))
    assert not isinstance(caught.value, CircuitOpen)


def test_graph_version_is_configurable(make_adapter: Build,
                                       mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, "https://graph.facebook.com/v27.0/1234567890/items_batch",
               json={"handles": ["H"]})
    adapter = make_adapter(graph_version="v27.0")
    assert adapter.submit(batch(adapter, ["A"])).handle == "H"


def test_missing_token_and_catalog_are_named(make_adapter: Build) -> None:
    adapter = make_adapter(secrets={})
    with pytest.raises(ConfigError, match="FEEDSYNC_FACEBOOK__ACCESS_TOKEN"):
        adapter.submit(batch(adapter, ["A"]))
    with pytest.raises(ConfigError) as caught:
        make_adapter(catalog_id="", secrets={"access_token": SecretStr(TOKEN)})
    assert caught.value.problems == [
        "channels.facebook.catalog_id: required for delivery = 'api'"]
    make_adapter(catalog_id="", delivery="file")  # a feed needs no catalog id


@pytest.mark.parametrize(("key", "value"), [("graph_version", "26.0"), ("catalog_id", "abc"),
                                            ("token", "x")])
def test_invalid_settings_are_refused(key: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        FacebookConfig.model_validate({key: value})
