"""feedsync.testing.HttpChannelDouble: the base the channel doubles derive from."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from feedsync.testing.http_double import Captured, HttpChannelDouble, Reply

HOST = "https://api.shop.example"
ITEM_SCHEMA = {"type": "object", "required": ["sku", "price"],
               "properties": {"sku": {"type": "string"}, "price": {"type": "number"}},
               "additionalProperties": False}


class ShopDouble(HttpChannelDouble):
    hosts = (HOST,)
    token_url = f"{HOST}/oauth/token"

    def token_reply(self, request: Captured) -> Reply:
        return self.json(200, {"access_token": "t-1", "expires_in": 3600})

    def authorised(self, request: Captured) -> bool:
        return request.headers.get("Authorization") == "Bearer t-1"

    def operation(self, request: Captured) -> str | None:
        return "createItem" if request.method == "POST" and request.path == "/items" else None

    def answer(self, request: Captured) -> Reply:
        body: Any = request.json
        if body["sku"] in self.rejected:
            return self.json(400, {"error": "rejected", "sku": body["sku"]})
        return self.json(201, {"id": body["sku"]})


AUTH = {"Authorization": "Bearer t-1"}


def test_requests_are_answered_recorded_and_named() -> None:
    with ShopDouble(schemas={"createItem": ITEM_SCHEMA}) as double:
        token = requests.post(f"{HOST}/oauth/token", data={"grant_type": "x"})
        created = requests.post(f"{HOST}/items", json={"sku": "A", "price": 1.5}, headers=AUTH)
    assert token.json()["access_token"] == "t-1"
    assert created.status_code == 201 and created.json() == {"id": "A"}
    assert double.request_count == 2
    assert [c.operation for c in double.captured] == ["token", "createItem"]
    assert double.bodies("createItem") == [{"sku": "A", "price": 1.5}]
    assert double.requests == [("POST", "/oauth/token"), ("POST", "/items")]


def test_a_body_that_breaks_the_official_schema_fails_the_test() -> None:
    double = ShopDouble(schemas={"createItem": ITEM_SCHEMA})
    with pytest.raises(AssertionError, match="price") as caught, double:
        answer = requests.post(f"{HOST}/items", json={"sku": "A", "price": "1.50"},
                               headers=AUTH)
        assert answer.status_code == 400  # the adapter sees a refusal as well
    assert "createItem POST /items" in str(caught.value)


def test_the_contract_knobs_answer_in_the_channels_shapes() -> None:
    with ShopDouble() as double:
        double.fail_once_transiently()
        assert requests.post(f"{HOST}/items", json={"sku": "A", "price": 1},
                             headers=AUTH).status_code == 503
        assert requests.post(f"{HOST}/items", json={"sku": "A", "price": 1},
                             headers=AUTH).status_code == 201
        double.reject(["B"])
        assert requests.post(f"{HOST}/items", json={"sku": "B", "price": 1},
                             headers=AUTH).status_code == 400
        assert requests.post(f"{HOST}/items", json={"sku": "A", "price": 1}).status_code == 401
        double.refuse_auth()
        refused = requests.post(f"{HOST}/oauth/token", data={"grant_type": "x"})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        assert requests.post(f"{HOST}/items", json={"sku": "A", "price": 1},
                             headers=AUTH).status_code == 401
    assert double.clock.time() == ShopDouble.start_time
