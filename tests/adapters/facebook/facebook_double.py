"""A stand-in for Meta's catalog batch API (``items_batch`` + ``check_batch_request_status``),
on the shared :class:`feedsync.testing.HttpChannelDouble`.

Batches are applied when posted and reported ``in_progress`` for one status check, then
``finished`` with the rejected SKUs in ``errors`` and ``ids_of_invalid_requests``. It can also
fail once transiently (Graph error code 2) or refuse the token (code 190): the
:class:`feedsync.testing.ChannelDouble` protocol the contract suite drives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from feedsync.testing.http_double import Captured, HttpChannelDouble, Reply

HOST = "https://graph.facebook.com"
_PATH = re.compile(r"^/v\d+\.\d+/(?P<catalog>[^/]+)/(?P<edge>[^/]+)$")


def _graph_error(status: int, code: int, message: str, **extra: Any) -> Reply:
    return status, {}, json.dumps({"error": {"code": code, "message": message,
                                             "type": "OAuthException", **extra}})


class CatalogApiDouble(HttpChannelDouble):
    """One product catalog, reachable under any Graph API version.

    ``schemas`` may map ``items_batch`` to a JSON Schema of the request body (checked on every
    batch, feedsync.testing.http_double).
    """

    hosts = (HOST,)

    def __init__(self, catalog_id: str = "1234567890", token: str | None = None,
                 schemas: dict[str, Any] | None = None) -> None:
        super().__init__(schemas=schemas)
        self.catalog_id = catalog_id
        self.token = token
        self.items: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}

    def remove_live(self, sku: str) -> None:
        """The catalog no longer holds the item whose retailer id is ``sku`` (contract)."""
        self.items.pop(sku, None)

    def _products(self, query: dict[str, str]) -> Reply:
        """The products edge filtered by ``retailer_id`` ``is_any``, as Graph shows items:
        ``price`` as display text ("12.50 USD" → "$12.50"), stock in
        ``quantity_to_sell_on_facebook``."""
        wanted = json.loads(query.get("filter") or "{}").get("retailer_id", {}).get("is_any", [])
        data = []
        for rid in wanted:
            item = self.items.get(rid)
            if item is None:
                continue
            amount, _, currency = str(item.get("price", "")).partition(" ")
            data.append({"id": f"9{len(data):05d}", "retailer_id": rid,
                         "price": f"${amount}" if currency == "USD" else amount,
                         "currency": currency or None,
                         "availability": item.get("availability", "in stock"),
                         "quantity_to_sell_on_facebook": item.get(
                             "quantity_to_sell_on_facebook"),
                         "review_status": "approved", "visibility": "published"})
        return 200, {}, json.dumps({"data": data, "paging": {"cursors": {}}})

    # --- the channel's shapes ---------------------------------------------------------------

    def authorised(self, request: Captured) -> bool:
        return not self.token or request.headers.get("Authorization") == f"Bearer {self.token}"

    def auth_refused_reply(self) -> Reply:
        return _graph_error(401, 190, "Error validating access token: Session has expired")

    def transient_reply(self) -> Reply:
        return _graph_error(500, 2, "Service temporarily unavailable", is_transient=True)

    def operation(self, request: Captured) -> str | None:
        match = _PATH.match(request.path)
        if match is None or match["catalog"] != self.catalog_id:
            return None
        return match["edge"]

    def answer(self, request: Captured) -> Reply:
        edge = request.operation
        if request.method == "POST" and edge == "items_batch":
            return self._batch(request.json or {})
        if request.method == "GET" and edge == "check_batch_request_status":
            return self._status(request.query.get("handle", ""))
        if request.method == "GET" and edge == "products":
            return self._products(request.query)
        return _graph_error(400, 100, f"Unsupported request {request.method} {request.path}")

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
