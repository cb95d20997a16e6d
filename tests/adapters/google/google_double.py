"""A stand-in for Google's token endpoint and Merchant API v1, on ``responses``.

It keeps the product inputs it was sent, answers ``productInputs.insert``/``delete``,
``products.get``/``list`` the way the discovery document describes, and can refuse SKUs
(400 INVALID_ARGUMENT), fail once transiently (503) or refuse credentials (401) — the
:class:`feedsync.testing.ChannelDouble` protocol the contract suite drives.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from google_support import TOKEN_URL

from feedsync.http import FakeClock

HOST = "https://merchantapi.googleapis.com"
_PATH = re.compile(r"^/products/v1/accounts/(?P<account>[^/]+)/(?P<rest>.+)$")

Reply = tuple[int, dict[str, str], str]


def _error(status: int, name: str, message: str) -> Reply:
    return status, {}, json.dumps({"error": {"code": status, "status": name,
                                             "message": message}})


def _decode(segment: str) -> str:
    if "~" in segment:
        return segment
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode("utf-8")


class MerchantApiDouble:
    """Register with :meth:`start` inside a ``responses`` mock (or use as a context manager)."""

    def __init__(self, account: str = "123", data_source: str = "accounts/123/dataSources/456",
                 clock: FakeClock | None = None) -> None:
        self.account = account
        self.data_source = data_source
        self.clock = clock or FakeClock(start=1_800_000_000.0)
        self.inputs: dict[str, dict[str, Any]] = {}  # product key → ProductInput
        self.updated: dict[str, float] = {}
        self.rejected: set[str] = set()
        self.transient = 0
        self.auth_refused = False
        self.requests: list[tuple[str, str]] = []
        self._mock: responses.RequestsMock | None = None

    # --- ChannelDouble ----------------------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter runs on ``self.clock`` (sleeps are instant)."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """Refuse inserts of these offer ids with 400 INVALID_ARGUMENT."""
        self.rejected.update(skus)

    def fail_once_transiently(self) -> None:
        """The next API request gets 503 UNAVAILABLE."""
        self.transient += 1

    def refuse_auth(self) -> None:
        """Every API request from now on gets 401 UNAUTHENTICATED."""
        self.auth_refused = True

    @property
    def request_count(self) -> int:
        """Requests received (token endpoint included)."""
        return len(self.requests)

    # --- wiring -----------------------------------------------------------------------------

    def __enter__(self) -> MerchantApiDouble:
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._mock.__enter__()
        self.start(self._mock)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._mock is not None
        self._mock.__exit__(*exc)

    def start(self, mock: responses.RequestsMock) -> None:
        """Register the callbacks."""
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        pattern = re.compile(re.escape(HOST) + r"/.*")
        for method in (responses.GET, responses.POST, responses.DELETE):
            mock.add_callback(method, pattern, callback=self._api)

    # --- answers ----------------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> Reply:
        self.requests.append(("POST", "token"))
        return 200, {}, json.dumps({"access_token": f"ya29.t{len(self.requests)}",
                                    "expires_in": 3600, "token_type": "Bearer"})

    def _api(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(request.url or "")
        self.requests.append((request.method or "", url.path))
        if self.auth_refused:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication "
                                                  "credentials.")
        if self.transient:
            self.transient -= 1
            return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
        if not (request.headers.get("Authorization") or "").startswith("Bearer ya29."):
            return _error(401, "UNAUTHENTICATED", "missing credentials")
        match = _PATH.match(url.path)
        if match is None or match["account"] != self.account:
            return _error(404, "NOT_FOUND", f"no such resource {url.path}")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        rest = match["rest"]
        if request.method == "POST" and rest == "productInputs:insert":
            return self._insert(request, query)
        if request.method == "DELETE" and rest.startswith("productInputs/"):
            return self._delete(_decode(rest.split("/", 1)[1]), query)
        if request.method == "GET" and rest.startswith("products/"):
            return self._get(_decode(rest.split("/", 1)[1]))
        if request.method == "GET" and rest == "products":
            return self._list(query)
        return _error(404, "NOT_FOUND", f"no method for {request.method} {url.path}")

    def _insert(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        if query.get("dataSource") != self.data_source:
            return _error(400, "INVALID_ARGUMENT", f"unknown data source {query}")
        body = json.loads(request.body or b"{}")
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
