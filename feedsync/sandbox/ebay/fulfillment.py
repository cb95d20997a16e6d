"""Fulfillment API orders and shipping fulfillments, and the buyers who make the orders.

- getOrders (https://developer.ebay.com/api-docs/sell/fulfillment/resources/order/methods/getOrders):
  ``filter`` with ``creationdate:[from..to]`` or ``lastmodifieddate:[from..to]`` (ISO 8601 UTC,
  either end may be empty), ``limit`` 1–200 (default 50), ``offset``; ``orderIds`` (≤ 50)
  ignores every other parameter.
- createShippingFulfillment (…/order/shipping_fulfillment/methods/createShippingFulfillment):
  line items of the order with quantities not above what is left to ship, a carrier code with
  the tracking number; answers 201 with the fulfillment's URI in ``Location``. A cancelled
  order cannot be shipped.
- A buyer's purchase takes the units off the SKU's quantity (item and offers), as eBay does; a
  cancellation (``cancelState`` CANCELED) puts them back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from feedsync.sandbox.ebay import store
from feedsync.sandbox.ebay.base import MARKETPLACE_ID, SELLER, ebay_error
from feedsync.sandbox.ebay.offers import OfferRoutes
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import BuyerOrder, Exchange, Offer, route

FUL = "/sell/fulfillment/v1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS ebay_orders (
    order_id TEXT PRIMARY KEY, created_at REAL NOT NULL, modified_at REAL NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0, buyer TEXT NOT NULL, currency TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ebay_orders_modified ON ebay_orders (modified_at, order_id);
CREATE TABLE IF NOT EXISTS ebay_order_lines (
    line_item_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, sku TEXT NOT NULL, title TEXT,
    quantity INTEGER NOT NULL, shipped INTEGER NOT NULL DEFAULT 0, unit_price TEXT NOT NULL,
    listing_id TEXT);
CREATE TABLE IF NOT EXISTS ebay_fulfillments (
    fulfillment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, body TEXT NOT NULL);
"""
_FILTER = re.compile(r"(creationdate|lastmodifieddate):\[([^\]]*)\.\.([^\]]*)\]")


def iso(moment: float) -> str:
    """eBay's timestamp format (UTC, milliseconds, ``Z``)."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _parse(text: str) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ebay_error(400, 30800, f"Invalid filter value {text!r}", domain="API_FULFILLMENT",
                         fieldName="filter") from None


def _money(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


# What a real order carries as ``totalMarketplaceFee`` ("the cumulative fees accrued for the
# order and deducted from the seller payout"): the final value fee of most categories,
# 13.25 % of the order total plus 0.30 per order
# (https://www.ebay.com/help/selling/fees-credits-invoices/selling-fees?id=4822).
FINAL_VALUE_RATE = Decimal("0.1325")
PER_ORDER_FEE = Decimal("0.30")


def _marketplace_fee(total: Decimal) -> Decimal:
    return (total * FINAL_VALUE_RATE + PER_ORDER_FEE).quantize(Decimal("0.01"))


class FulfillmentRoutes(OfferRoutes):
    """Orders, shipments and buyers."""

    def order_body(self, ctx: Exchange, row: Any) -> dict[str, Any]:
        """One ``Order`` in the Fulfillment API's shape."""
        lines = ctx.db.execute("SELECT * FROM ebay_order_lines WHERE order_id = ? ORDER BY "
                               "line_item_id", (row["order_id"],)).fetchall()
        items, total = [], Decimal(0)
        for line in lines:
            cost = Decimal(line["unit_price"]) * line["quantity"]
            total += cost
            state = "FULFILLED" if line["shipped"] >= line["quantity"] else \
                "IN_PROGRESS" if line["shipped"] else "NOT_STARTED"
            items.append({"lineItemId": line["line_item_id"], "sku": line["sku"],
                          "title": line["title"], "quantity": line["quantity"],
                          "legacyItemId": line["listing_id"],
                          "lineItemCost": _money(cost, row["currency"]),
                          "total": _money(cost, row["currency"]),
                          "lineItemFulfillmentStatus": state, "soldFormat": "FIXED_PRICE",
                          "listingMarketplaceId": MARKETPLACE_ID,
                          "purchaseMarketplaceId": MARKETPLACE_ID})
        states = {i["lineItemFulfillmentStatus"] for i in items}
        status = "FULFILLED" if states == {"FULFILLED"} else \
            "NOT_STARTED" if states <= {"NOT_STARTED"} else "IN_PROGRESS"
        cancel = {"cancelState": "CANCELED", "cancelledDate": iso(row["modified_at"]),
                  "cancelRequests": []} if row["cancelled"] else \
            {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
        return {
            "orderId": row["order_id"], "creationDate": iso(row["created_at"]),
            "lastModifiedDate": iso(row["modified_at"]), "orderFulfillmentStatus": status,
            "orderPaymentStatus": "PAID", "sellerId": SELLER, "cancelStatus": cancel,
            "buyer": {"username": row["buyer"]},
            "pricingSummary": {"priceSubtotal": _money(total, row["currency"]),
                               "total": _money(total, row["currency"])},
            "totalMarketplaceFee": _money(Decimal(0) if row["cancelled"] else
                                          _marketplace_fee(total), row["currency"]),
            "lineItems": items,
            "fulfillmentHrefs": [ctx.url(f"{FUL}/order/{row['order_id']}/shipping_fulfillment/"
                                         f"{f['fulfillment_id']}") for f in ctx.db.execute(
                "SELECT fulfillment_id FROM ebay_fulfillments WHERE order_id = ?",
                (row["order_id"],))],
        }

    @route("GET", f"{FUL}/order", operation="getOrders")
    def get_orders(self, ctx: Exchange, request: Request) -> Response:
        ids = [i for i in (request.arg("orderIds") or "").split(",") if i]
        limit, offset = int(request.arg("limit") or 50), int(request.arg("offset") or 0)
        if ids:
            if len(ids) > 50:
                raise ebay_error(400, 30850, "orderIds: at most 50", domain="API_FULFILLMENT")
            marks = ",".join("?" * len(ids))
            chosen = ctx.db.execute(f"SELECT * FROM ebay_orders WHERE order_id IN ({marks})",
                                    ids).fetchall()
            return Response.json({"orders": [self.order_body(ctx, r) for r in chosen],
                                  "total": len(chosen)})
        if not 1 <= limit <= 200 or offset < 0:
            raise ebay_error(400, 30700, "Invalid limit or offset", domain="API_FULFILLMENT",
                             fieldName="limit")
        column, low, high = "created_at", None, None
        text = request.arg("filter") or ""
        if text:
            found = _FILTER.search(text)
            if found is None:
                raise ebay_error(400, 30800, f"Invalid filter {text!r}",
                                 domain="API_FULFILLMENT", fieldName="filter")
            column = "modified_at" if found.group(1) == "lastmodifieddate" else "created_at"
            low, high = _parse(found.group(2)), _parse(found.group(3))
        where = f"{column} >= ? AND {column} <= ?"
        params = (low if low is not None else 0.0, high if high is not None else 1e12)
        total = ctx.db.execute(f"SELECT COUNT(*) FROM ebay_orders WHERE {where}",
                               params).fetchone()[0]
        rows = ctx.db.execute(f"SELECT * FROM ebay_orders WHERE {where} ORDER BY created_at "
                              "DESC, order_id LIMIT ? OFFSET ?", (*params, limit, offset))
        body: dict[str, Any] = {"href": ctx.url(f"{FUL}/order?offset={offset}&limit={limit}"),
                                "total": total, "limit": limit, "offset": offset,
                                "orders": [self.order_body(ctx, r) for r in rows]}
        if offset + limit < total:
            body["next"] = ctx.url(f"{FUL}/order?offset={offset + limit}&limit={limit}")
        return Response.json(body)

    @route("GET", f"{FUL}/order/{{order_id}}/shipping_fulfillment",
           operation="getShippingFulfillments")
    def get_fulfillments(self, ctx: Exchange, request: Request) -> Response:
        self._order(ctx, request.params["order_id"])
        items = [json.loads(r["body"]) for r in ctx.db.execute(
            "SELECT body FROM ebay_fulfillments WHERE order_id = ? ORDER BY fulfillment_id",
            (request.params["order_id"],))]
        return Response.json({"fulfillments": items, "total": len(items)})

    def _order(self, ctx: Exchange, order_id: str) -> Any:
        row = ctx.db.execute("SELECT * FROM ebay_orders WHERE order_id = ?",
                             (order_id,)).fetchone()
        if row is None:
            raise ebay_error(404, 32100, "Invalid order ID: " + order_id,
                             domain="API_FULFILLMENT")
        return row

    @route("POST", f"{FUL}/order/{{order_id}}/shipping_fulfillment",
           operation="createShippingFulfillment")
    def create_fulfillment(self, ctx: Exchange, request: Request) -> Response:
        order_id = request.params["order_id"]
        order = self._order(ctx, order_id)
        if order["cancelled"]:
            raise ebay_error(400, 32400, "The order was cancelled; it cannot be shipped.",
                             domain="API_FULFILLMENT")
        body = request.json()
        lines = body.get("lineItems") if isinstance(body, dict) else None
        if not isinstance(lines, list) or not lines:
            raise ebay_error(400, 32500, "lineItems is required", domain="API_FULFILLMENT",
                             fieldName="lineItems")
        if bool(body.get("trackingNumber")) != bool(body.get("shippingCarrierCode")):
            raise ebay_error(400, 32600, "trackingNumber and shippingCarrierCode go together",
                             domain="API_FULFILLMENT", fieldName="trackingNumber")
        for line in lines:
            row = ctx.db.execute("SELECT quantity, shipped FROM ebay_order_lines WHERE "
                                 "line_item_id = ? AND order_id = ?",
                                 (line.get("lineItemId"), order_id)).fetchone()
            quantity = line.get("quantity")
            if row is None or not isinstance(quantity, int) or quantity < 1 or \
                    row["shipped"] + quantity > row["quantity"]:
                raise ebay_error(400, 32500, f"Invalid line item {line.get('lineItemId')!r} "
                                 "or quantity", domain="API_FULFILLMENT",
                                 fieldName="lineItems")
        for line in lines:
            ctx.db.execute("UPDATE ebay_order_lines SET shipped = shipped + ? WHERE "
                           "line_item_id = ?", (line["quantity"], line["lineItemId"]))
        fulfillment_id = str(body.get("trackingNumber") or f"F{ctx.next_id('fulfillment')}")
        stored = {"fulfillmentId": fulfillment_id, "lineItems": lines,
                  "shipmentTrackingNumber": body.get("trackingNumber"),
                  "shippingCarrierCode": body.get("shippingCarrierCode"),
                  "shippedDate": body.get("shippedDate") or iso(ctx.now)}
        ctx.db.execute("INSERT OR REPLACE INTO ebay_fulfillments VALUES (?, ?, ?)",
                       (f"{order_id}/{fulfillment_id}", order_id, json.dumps(stored)))
        ctx.db.execute("UPDATE ebay_orders SET modified_at = ? WHERE order_id = ?",
                       (ctx.now, order_id))
        return Response.json({}, status=201, headers={
            "Location": ctx.url(f"{FUL}/order/{order_id}/shipping_fulfillment/"
                                f"{fulfillment_id}")})

    # --- buyers ---------------------------------------------------------------------------------

    def offers(self, ctx: Exchange) -> Iterator[Offer]:
        for row in ctx.db.execute("SELECT o.sku, o.body, i.quantity FROM ebay_offers o JOIN "
                                  "ebay_items i ON i.sku = o.sku WHERE o.status = 'PUBLISHED' "
                                  "AND i.quantity > 0 ORDER BY o.sku"):
            price = (json.loads(row["body"]).get("pricingSummary") or {}).get("price") or {}
            if price.get("value"):
                yield Offer(row["sku"], row["quantity"], Decimal(price["value"]),
                            price.get("currency", "USD"))

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(skus), 500):
            chunk = list(skus[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for row in ctx.db.execute(
                    f"SELECT DISTINCT i.sku, i.quantity FROM ebay_items i JOIN ebay_offers o ON "
                    f"o.sku = i.sku AND o.status = 'PUBLISHED' WHERE i.sku IN ({marks})", chunk):
                found[row["sku"]] = row["quantity"]
        return found

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        number = ctx.next_id("order")
        order_id = f"{number % 100:02d}-{10000 + number:05d}-{(number * 7919) % 100000:05d}"
        ctx.db.execute("INSERT INTO ebay_orders VALUES (?, ?, ?, 0, ?, ?)",
                       (order_id, ctx.now, ctx.now, order.buyer_name, order.lines[0].currency))
        for index, line in enumerate(order.lines):
            item = store.get_item(ctx, line.sku)
            offer = next(iter(store.offers_of(ctx, line.sku)), None)
            if item is None or offer is None or offer["status"] != "PUBLISHED":
                raise ValueError(f"ebay: SKU {line.sku} is not listed")
            ctx.db.execute("INSERT INTO ebay_order_lines VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                           (f"{10_000_000 + number}{index:03d}", order_id, line.sku,
                            (item.get("product") or {}).get("title"), line.quantity,
                            str(line.unit_price), (offer.get("listing") or {}).get("listingId")))
            left = max(int(((item.get("availability") or {}).get("shipToLocationAvailability")
                            or {}).get("quantity") or 0) - line.quantity, 0)
            store.set_quantity(ctx, line.sku, left)
            ctx.db.execute("UPDATE ebay_offers SET sold = sold + ? WHERE offer_id = ?",
                           (line.quantity, offer["offerId"]))
        return order_id

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        row = ctx.db.execute("SELECT cancelled FROM ebay_orders WHERE order_id = ?",
                             (order_id,)).fetchone()
        shipped = ctx.db.execute("SELECT SUM(shipped) FROM ebay_order_lines WHERE order_id = ?",
                                 (order_id,)).fetchone()[0]
        if row is None or row["cancelled"] or shipped:
            return False
        ctx.db.execute("UPDATE ebay_orders SET cancelled = 1, modified_at = ? WHERE "
                       "order_id = ?", (ctx.now, order_id))
        for line in ctx.db.execute("SELECT sku, quantity FROM ebay_order_lines WHERE "
                                   "order_id = ?", (order_id,)).fetchall():
            item = store.get_item(ctx, line["sku"])
            if item is not None:  # the units are free again
                have = int(item["availability"]["shipToLocationAvailability"]["quantity"])
                store.set_quantity(ctx, line["sku"], have + line["quantity"])
        return True
