"""Walmart's feeds, emulated: upload, asynchronous processing, status and the feed list.

- ``POST /v3/feeds?feedType=…`` (itemBulkUploads, priceBulkUploads, updateBulkInventory) takes
  a ``multipart/form-data`` body with the document in the ``file`` part and answers
  ``{"feedId"}``. Feed types and limits (https://developer.walmart.com/doc/us/mp/us-mp-throttling,
  https://developer.walmart.com/us-marketplace/docs/item-management-available-requests):
  10 feeds an hour per type (429 beyond, with Walmart's throttle headers), ≤ 10,000 items and
  10 MB per item/price feed, 5 MB per inventory feed (413 beyond: "your request will be denied,
  receiving a 413 – Payload Too Large", https://developer.walmart.com/us-marketplace/docs/rate-limiting).
  MP_INVENTORY is JSON only, spec 1.5, ship nodes required per SKU
  (https://developer.walmart.com/us-marketplace/docs/bulk-inventory-update-feed).
- The feed is processed after a few status reads (items take longest): RECEIVED/INPROGRESS,
  then PROCESSED with per-item ``ingestionStatus`` and ``ingestionErrors``; a document that is
  not the feed type's shape ends ERROR with a feed-level ingestion error.
- ``GET /v3/feeds/{feedId}?includeDetails=true&offset=&limit=`` (getFeedItemStatus): limit
  "cannot be more than 50" (400 beyond). ``GET /v3/feeds`` (getAllFeedStatuses): newest first.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any
from urllib.parse import unquote

from feedsync.sandbox.jobs import DONE, Job
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import Exchange, route
from feedsync.sandbox.walmart import rules
from feedsync.sandbox.walmart.base import (
    FEED_QUOTAS,
    SHIP_NODE,
    WalmartBase,
    throttle_headers,
    wm_error,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS walmart_items (
    sku TEXT PRIMARY KEY, body TEXT NOT NULL, price REAL NOT NULL, wpid TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 0, lifecycle TEXT NOT NULL DEFAULT 'ACTIVE',
    published TEXT NOT NULL DEFAULT 'PUBLISHED', updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS walmart_feed_uploads (
    feed_type TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS walmart_feed_uploads_type ON walmart_feed_uploads (feed_type, at);
"""
MAX_ITEMS = 10_000
MAX_BYTES = {"MP_ITEM": 10_000_000, "RETIRE_ITEM": 10_000_000, "price": 10_000_000,
             "MP_INVENTORY": 5_000_000}
POLLS = {"MP_ITEM": 3, "RETIRE_ITEM": 3, "price": 2, "MP_INVENTORY": 2}
DOCUMENT_KEYS = {"MP_ITEM": ("MPItemFeedHeader", "MPItem"),
                 "RETIRE_ITEM": ("RetireItemHeader", "RetireItem"),
                 "price": ("PriceHeader", "Price"),
                 "MP_INVENTORY": ("inventoryHeader", "inventory")}
STATUS_PAGE_MAX = 50


def multipart_file(request: Request) -> bytes:
    """The ``file`` part of a multipart/form-data request body (400 when absent)."""
    content_type = request.headers.get("Content-Type") or ""
    if not content_type.startswith("multipart/form-data"):
        raise wm_error(415, "UNSUPPORTED_MEDIA_TYPE.GMP_GATEWAY_API",
                       "feeds are uploaded as multipart/form-data", "Content-Type", "REQUEST")
    message = BytesParser(policy=email_policy).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise wm_error(400, "INVALID_REQUEST.GMP_GATEWAY_API", "a 'file' part is required", "file",
                   "REQUEST")


def entry_sku(feed_type: str, entry: Any) -> str:
    """The SKU an entry of a feed is about ('' when it has none)."""
    if not isinstance(entry, dict):
        return ""
    if feed_type == "MP_ITEM":
        return str((entry.get("Orderable") or {}).get("sku") or "")
    return str(entry.get("sku") or "")


class FeedRoutes(WalmartBase):
    """The feed endpoints and the processing of feeds."""

    @route("POST", "/v3/feeds", operation="uploadFeed")
    def upload(self, ctx: Exchange, request: Request) -> Response:
        """Accept a feed for asynchronous processing."""
        feed_type = request.arg("feedType") or ""
        if feed_type not in DOCUMENT_KEYS:
            raise wm_error(400, "INVALID_REQUEST.GMP_GATEWAY_API",
                           f"feedType {feed_type!r} is not supported here", "feedType",
                           "REQUEST")
        self._take_quota(ctx, feed_type)
        data = multipart_file(request)
        if len(data) > MAX_BYTES[feed_type]:
            raise wm_error(413, "PAYLOAD_TOO_LARGE.GMP_GATEWAY_API",
                           f"{feed_type} feeds are limited to {MAX_BYTES[feed_type]} bytes",
                           "file", "REQUEST")
        payload: dict[str, Any] = {"type": feed_type, "entries": [], "feed_errors": []}
        header_key, items_key = DOCUMENT_KEYS[feed_type]
        try:
            document = json.loads(data)
        except ValueError as exc:
            document = None
            payload["feed_errors"] = [rules.data_error("ERR_PDI_0001", f"not JSON: {exc}")]
        if document is not None:
            if not isinstance(document, dict) or header_key not in document or \
                    not isinstance(document.get(items_key), list):
                payload["feed_errors"] = [rules.data_error(
                    "ERR_PDI_0002", f"{feed_type} feeds need {header_key} and {items_key}[]")]
            elif len(document[items_key]) > MAX_ITEMS:
                raise wm_error(400, "INVALID_REQUEST.GMP_GATEWAY_API",
                               f"a feed holds at most {MAX_ITEMS} items", items_key)
            else:
                payload["entries"] = document[items_key]
                payload["header"] = document[header_key]
        feed_id = f"{ctx.rng.getrandbits(128):032X}@AQMBAQA"
        ctx.jobs.submit("feed", payload, polls=POLLS[feed_type], owner=request.principal,
                        job_id=feed_id)
        return Response.json({"feedId": feed_id})

    def _take_quota(self, ctx: Exchange, feed_type: str) -> None:
        hour_ago = ctx.now - 3600
        ctx.db.execute("DELETE FROM walmart_feed_uploads WHERE at <= ?", (hour_ago,))
        rows = ctx.db.execute("SELECT at FROM walmart_feed_uploads WHERE feed_type = ? "
                              "ORDER BY at", (feed_type,)).fetchall()
        quota = FEED_QUOTAS[feed_type]
        if len(rows) >= quota:
            wait = rows[0]["at"] + 3600 - ctx.now
            error = wm_error(429, "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API",
                             f"{feed_type}: {quota} feeds an hour", "feedType", "REQUEST")
            error.details["headers"] = throttle_headers(0, wait, ctx.now)
            raise error
        ctx.db.execute("INSERT INTO walmart_feed_uploads VALUES (?, ?)", (feed_type, ctx.now))

    # --- processing -----------------------------------------------------------------------------

    def process_job(self, ctx: Exchange, job: Job) -> Any:
        """Apply a feed once; the result is its item statuses (or its feed-level errors)."""
        payload = job.payload
        if payload["feed_errors"]:
            return {"status": "ERROR", "items": [], "errors": payload["feed_errors"]}
        feed_type = payload["type"]
        rows = []
        for index, entry in enumerate(payload["entries"]):
            sku = entry_sku(feed_type, entry)
            errors = self._apply(ctx, feed_type, sku, entry)
            row: dict[str, Any] = {"martId": 0, "sku": sku, "index": index,
                                   "ingestionStatus": "DATA_ERROR" if errors else "SUCCESS"}
            if errors:
                row["ingestionErrors"] = {"ingestionError": errors}
            wpid = ctx.db.execute("SELECT wpid FROM walmart_items WHERE sku = ?",
                                  (sku,)).fetchone()
            if wpid is not None and not errors:
                row["wpid"] = wpid["wpid"]
            rows.append(row)
        return {"status": "PROCESSED", "items": rows, "errors": []}

    def _apply(self, ctx: Exchange, feed_type: str, sku: str, entry: Any) -> list[dict[str, str]]:
        known = ctx.db.execute("SELECT sku FROM walmart_items WHERE sku = ?",
                               (sku,)).fetchone() is not None
        if feed_type == "MP_ITEM":
            errors = rules.item_errors(entry) or self._duplicate_id(ctx, sku, entry)
            if not errors:
                price = float(entry["Orderable"]["price"])
                wpid = f"{ctx.rng.getrandbits(48):012X}"
                ctx.db.execute(
                    "INSERT INTO walmart_items (sku, body, price, wpid, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET body = excluded.body,"
                    " price = excluded.price, lifecycle = 'ACTIVE', published = 'PUBLISHED',"
                    " updated_at = excluded.updated_at",
                    (sku, json.dumps(entry), price, wpid, ctx.now))
            return errors
        if not known:
            return [rules.data_error("ERR_EXT_DATA_0001001",
                                     f"sku {sku!r} is not set up on Walmart")]
        if feed_type == "price":
            errors = rules.price_errors(entry)
            if not errors:
                amount = entry["pricing"][0]["currentPrice"]["amount"]
                ctx.db.execute("UPDATE walmart_items SET price = ?, updated_at = ? WHERE sku = ?",
                               (float(amount), ctx.now, sku))
            return errors
        if feed_type == "MP_INVENTORY":
            errors = rules.inventory_errors(entry, SHIP_NODE)
            if not errors:
                amount = int(entry["shipNodes"][0]["quantity"]["amount"])
                ctx.db.execute("UPDATE walmart_items SET quantity = ?, updated_at = ? "
                               "WHERE sku = ?", (amount, ctx.now, sku))
            return errors
        ctx.db.execute("UPDATE walmart_items SET lifecycle = 'RETIRED', published = "
                       "'UNPUBLISHED', updated_at = ? WHERE sku = ?", (ctx.now, sku))
        return []

    @staticmethod
    def _duplicate_id(ctx: Exchange, sku: str, entry: dict[str, Any]) -> list[dict[str, str]]:
        """A product id another of the seller's SKUs already has (one item, one offer per
        seller: https://developer.walmart.com/us-marketplace/docs/item-setup-schema-key-points)."""
        code = entry["Orderable"]["productIdentifiers"]["productId"]
        other = ctx.db.execute(
            "SELECT sku FROM walmart_items WHERE sku != ? AND lifecycle = 'ACTIVE' AND "
            "json_extract(body, '$.Orderable.productIdentifiers.productId') = ?",
            (sku, code)).fetchone()
        if other is None:
            return []
        return [rules.data_error("ERR_EXT_DATA_0801001",
                                 f"productIdentifiers: productId {code} is already used by "
                                 f"sku {other['sku']}")]

    # --- status ---------------------------------------------------------------------------------

    @route("GET", "/v3/feeds/{feed_id}", operation="getFeedItemStatus")
    def feed_status(self, ctx: Exchange, request: Request) -> Response:
        """One page of a feed's status (advancing its processing)."""
        limit = int(request.arg("limit") or "50")
        offset = int(request.arg("offset") or "0")
        if limit > STATUS_PAGE_MAX or limit < 1 or offset < 0:
            raise wm_error(400, "INVALID_REQUEST.GMP_GATEWAY_API",
                           "limit cannot be more than 50", "limit", "REQUEST")
        # The id holds "@", which "must be entered in the URL as %40" (getFeedItemStatus).
        job = ctx.jobs.advance(unquote(request.params["feed_id"]))
        if job is None or job.kind != "feed":
            raise wm_error(404, "CONTENT_NOT_FOUND.GMP_FEED_API", "feed not found", "feedId")
        received = len(job.payload["entries"])
        body: dict[str, Any] = {"feedId": job.id, "offset": offset, "limit": limit,
                                "itemsReceived": received}
        if job.status != DONE:
            body.update(feedStatus="RECEIVED" if job.polls_left == POLLS[job.payload["type"]] - 1
                        else "INPROGRESS", itemsSucceeded=0, itemsFailed=0,
                        itemsProcessing=received, itemDetails={"itemIngestionStatus": []})
            return Response.json(body)
        result = job.result
        rows = result["items"]
        failed = sum(1 for r in rows if r["ingestionStatus"] != "SUCCESS")
        body.update(feedStatus=result["status"], itemsSucceeded=len(rows) - failed,
                    itemsFailed=failed, itemsProcessing=0)
        if request.arg("includeDetails") == "true":
            body["itemDetails"] = {"itemIngestionStatus": rows[offset:offset + limit]}
        if result["errors"]:
            body["ingestionErrors"] = {"ingestionError": result["errors"]}
        return Response.json(body)

    @route("GET", "/v3/feeds", operation="getAllFeedStatuses")
    def feed_list(self, ctx: Exchange, request: Request) -> Response:
        """The newest feeds first."""
        limit = min(int(request.arg("limit") or "50"), STATUS_PAGE_MAX)
        jobs = ctx.jobs.recent("feed", limit=limit)
        feeds = [{"feedId": job.id, "feedSource": "MARKETPLACE_PARTNER",
                  "feedType": job.payload["type"], "partnerId": "100009",
                  "itemsReceived": len(job.payload["entries"]),
                  "feedStatus": (job.result or {}).get("status", "INPROGRESS"),
                  "feedDate": int(job.created_at * 1000),
                  "modifiedDtm": int((job.done_at or job.created_at) * 1000)}
                 for job in jobs]
        return Response.json({"totalResults": len(feeds), "offset": 0, "limit": limit,
                              "results": {"feed": feeds}})
