"""A stand-in for Meta's catalog batch API (``items_batch`` + ``check_batch_request_status``).

Batches are applied when posted and reported ``in_progress`` for one status check, then
``finished`` with the rejected SKUs in ``errors`` and ``ids_of_invalid_requests``. It can also
fail once transiently (Graph error code 2) or refuse the token (code 190): the
:class:`feedsync.testing.ChannelDouble` protocol the contract suite drives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from feedsync.clock import FakeClock

HOST = "https://graph.facebook.com"

Reply = tuple[int, dict[str, str], str]


def _graph_error(status: int, code: int, message: str, **extra: Any) -> Reply:
    return status, {}, json.dumps({"error": {"code": code, "message": message,
                                             "type": "OAuthException", **extra}})


class CatalogApiDouble:
    """One product catalog, reachable under any Graph API version."""

    def __init__(self, catalog_id: str = "1234567890", token: str | None = None) -> None:
        self.catalog_id = catalog_id
        self.token = token
        self.items: dict[str, dict[str, Any]] = {}
        self.rejected: set[str] = set()
        self.transient = 0
        self.auth_refused = False
        self.requests: list[tuple[str, str]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self._mock: responses.RequestsMock | None = None
        self.clock = FakeClock(start=1_800_000_000.0)

    # --- ChannelDouble ----------------------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter runs on ``self.clock`` (sleeps are instant)."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """Report these retailer ids as failed in the batch status."""
        self.rejected.update(skus)

    def fail_once_transiently(self) -> None:
        """The next request gets Graph error code 2 (temporary) with HTTP 500."""
        self.transient += 1

    def refuse_auth(self) -> None:
        """Every request from now on gets error 190 (invalid access token)."""
        self.auth_refused = True

    @property
    def request_count(self) -> int:
        """Requests received."""
        return len(self.requests)

    # --- wiring -----------------------------------------------------------------------------

    def __enter__(self) -> CatalogApiDouble:
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._mock.__enter__()
        pattern = re.compile(re.escape(HOST) + r"/v\d+\.\d+/" + self.catalog_id + r"/.*")
        for method in (responses.GET, responses.POST):
            self._mock.add_callback(method, pattern, callback=self._answer)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._mock is not None
        self._mock.__exit__(*exc)

    # --- answers ----------------------------------------------------------------------------

    def _answer(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(request.url or "")
        edge = url.path.rsplit("/", 1)[-1]
        self.requests.append((request.method or "", edge))
        if self.auth_refused:
            return _graph_error(401, 190, "Error validating access token: Session has expired")
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return _graph_error(400, 190, "Invalid OAuth access token.")
        if self.transient:
            self.transient -= 1
            return _graph_error(500, 2, "Service temporarily unavailable", is_transient=True)
        if request.method == "POST" and edge == "items_batch":
            return self._batch(json.loads(request.body or b"{}"))
        if request.method == "GET" and edge == "check_batch_request_status":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            return self._status(query.get("handle", ""))
        return _graph_error(400, 100, f"Unsupported request {request.method} {edge}")

    def _batch(self, body: dict[str, Any]) -> Reply:
        if body.get("item_type") != "PRODUCT_ITEM" or not isinstance(body.get("requests"), list):
            return _graph_error(400, 100, "(#100) Invalid parameter")
        if len(body["requests"]) > 5000:
            return _graph_error(400, 100, "(#100) requests: at most 5000")
        failed = []
        for request in body["requests"]:
            data = request["data"]
            rid = data["id"]
            if rid in self.rejected:
                failed.append(rid)
            elif request["method"] == "DELETE":
                self.items.pop(rid, None)
            else:
                self.items[rid] = {**self.items.get(rid, {}), **data}
        handle = f"handle-{len(self.jobs) + 1}"
        self.jobs[handle] = {"failed": failed, "checks": 0}
        return 200, {}, json.dumps({"handles": [handle], "validation_status": []})

    def _status(self, handle: str) -> Reply:
        job = self.jobs.get(handle)
        if job is None:
            return _graph_error(400, 100, f"unknown handle {handle}")
        job["checks"] += 1
        if job["checks"] == 1:
            return 200, {}, json.dumps({"data": [{"handle": handle, "status": "in_progress"}]})
        errors = [{"id": rid, "message": "The image could not be downloaded (image_link)."}
                  for rid in job["failed"]]
        return 200, {}, json.dumps({"data": [{
            "handle": handle, "status": "finished", "errors": errors,
            "errors_total_count": len(errors), "warnings": [], "warnings_total_count": 0,
            "ids_of_invalid_requests": job["failed"]}]})
