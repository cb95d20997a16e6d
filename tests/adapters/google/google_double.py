"""A stand-in for Google's token endpoint and Merchant API v1, on the shared
:class:`feedsync.testing.HttpChannelDouble`.

It keeps the product inputs it was sent, answers ``productInputs.insert``/``delete``,
``products.get``/``list`` the way the discovery document describes, and can refuse SKUs
(400 INVALID_ARGUMENT), fail once transiently (503) or refuse credentials (401) — the
:class:`feedsync.testing.ChannelDouble` protocol the contract suite drives.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from google_support import TOKEN_URL

from feedsync.http import FakeClock
from feedsync.testing.http_double import Captured, HttpChannelDouble, Reply

HOST = "https://merchantapi.googleapis.com"
_PATH = re.compile(r"^/products/v1/accounts/(?P<account>[^/]+)/(?P<rest>.+)$")


def _error(status: int, name: str, message: str) -> Reply:
    return status, {}, json.dumps({"error": {"code": status, "status": name,
                                             "message": message}})


def _decode(segment: str) -> str:
    if "~" in segment:
        return segment
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode("utf-8")


class MerchantApiDouble(HttpChannelDouble):
    """Merchant API v1 for one account and data source (see the module docstring).

    ``schemas`` maps ``productInputs.insert`` to the ProductInput schema of the discovery
    document: every inserted body is then checked against it (feedsync.testing.http_double).
    """

    hosts = (HOST,)
    token_url = TOKEN_URL

    def __init__(self, account: str = "123", data_source: str = "accounts/123/dataSources/456",
                 clock: FakeClock | None = None, schemas: dict[str, Any] | None = None) -> None:
        super().__init__(schemas=schemas, clock=clock)
        self.account = account
        self.data_source = data_source
        self.inputs: dict[str, dict[str, Any]] = {}  # product key → ProductInput
        self.updated: dict[str, float] = {}

    def remove_live(self, sku: str) -> None:
        """Merchant Center stops showing the product whose offer id is ``sku`` (contract)."""
        for key in [k for k, body in self.inputs.items() if body.get("offerId") == sku]:
            del self.inputs[key]

    # --- the channel's shapes ---------------------------------------------------------------

    def token_reply(self, request: Captured) -> Reply:
        return self.json(200, {"access_token": f"ya29.t{len(self.captured)}",
                               "expires_in": 3600, "token_type": "Bearer"})

    def authorised(self, request: Captured) -> bool:
        return (request.headers.get("Authorization") or "").startswith("Bearer ya29.")

    def auth_refused_reply(self) -> Reply:
        return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")

    def transient_reply(self) -> Reply:
        return _error(503, "UNAVAILABLE", "The service is currently unavailable.")

    def operation(self, request: Captured) -> str | None:
        match = _PATH.match(request.path)
        rest = match["rest"] if match else ""
        if request.method == "POST" and rest == "productInputs:insert":
            return "productInputs.insert"
        if request.method == "DELETE" and rest.startswith("productInputs/"):
            return "productInputs.delete"
        if request.method == "GET" and rest.startswith("products/"):
            return "products.get"
        if request.method == "GET" and rest == "products":
            return "products.list"
        return None

    def answer(self, request: Captured) -> Reply:
        match = _PATH.match(request.path)
        if match is None or match["account"] != self.account:
            return _error(404, "NOT_FOUND", f"no such resource {request.path}")
        rest = match["rest"]
        if request.operation == "productInputs.insert":
            return self._insert(request, request.query)
        if request.operation == "productInputs.delete":
            return self._delete(_decode(rest.split("/", 1)[1]), request.query)
        if request.operation == "products.get":
            return self._get(_decode(rest.split("/", 1)[1]))
        if request.operation == "products.list":
            return self._list(request.query)
        return _error(404, "NOT_FOUND", f"no method for {request.method} {request.path}")

    def _insert(self, request: Captured, query: dict[str, str]) -> Reply:
        if query.get("dataSource") != self.data_source:
            return _error(400, "INVALID_ARGUMENT", f"unknown data source {query}")
        body = request.json or {}
        offer = body.get("offerId", "")
        if offer in self.rejected:
            return _error(400, "INVALID_ARGUMENT",
                          "[productAttributes.gtins] The value of GTIN is invalid.")
        key = f"{body['contentLanguage']}~{body['feedLabel']}~{offer}"
        self.inputs[key] = body
        self.updated[key] = self.clock.time()
        return 200, {}, json.dumps({**body, "name": f"accounts/{self.account}/productInputs/"
                                                    f"{key}"})

    def _delete(self, key: str, query: dict[str, str]) -> Reply:
        if query.get("dataSource") != self.data_source:
            return _error(400, "INVALID_ARGUMENT", f"unknown data source {query}")
        if self.inputs.pop(key, None) is None:
            return _error(404, "NOT_FOUND", f"no product input {key}")
        return 200, {}, "{}"

    def _product(self, key: str) -> dict[str, Any]:
        body = self.inputs[key]
        stamp = datetime.fromtimestamp(self.updated[key] + 1, UTC).isoformat()
        return {"name": f"accounts/{self.account}/products/{key}", "offerId": body["offerId"],
                "contentLanguage": body["contentLanguage"], "feedLabel": body["feedLabel"],
                "productAttributes": body.get("productAttributes", {}),
                "productStatus": {"lastUpdateDate": stamp.replace("+00:00", "Z"),
                                  "destinationStatuses": [{"reportingContext": "SHOPPING_ADS",
                                                           "approvedCountries": ["US"]}],
                                  "itemLevelIssues": []}}

    def _get(self, key: str) -> Reply:
        if key not in self.inputs:
            return _error(404, "NOT_FOUND", f"no product {key}")
        return 200, {}, json.dumps(self._product(key))

    def _list(self, query: dict[str, str]) -> Reply:
        size = int(query.get("pageSize", "25"))
        keys = sorted(self.inputs)
        start = int(query.get("pageToken", "0"))
        page: dict[str, Any] = {"products": [self._product(k) for k in keys[start:start + size]]}
        if start + size < len(keys):
            page["nextPageToken"] = str(start + size)
        return 200, {}, json.dumps(page)
