"""Walmart purchase orders, emulated: buyers, getAllOrders, getAnOrder, acknowledge, shipping.

Shapes and rules (us-mp-orders.json and https://developer.walmart.com/us-marketplace/docs/
order-management-api-overview): a purchase order has no status, its lines do (Created →
Acknowledged → Shipped → Delivered; Cancelled); ``orderDate`` and ``statusDate`` are epoch ms.

- getAllOrders filters by ``lastModifiedStartDate``/``lastModifiedEndDate`` (or the created
  dates), ``limit`` ≤ 200 (400 beyond), and pages with ``meta.nextCursor``: a query string
  (``?limit=…&hasMoreElements=true&soIndex=…&poIndex=…``) the client appends to /v3/orders.
- acknowledgeOrders moves Created lines to Acknowledged; an order already Acknowledged may be
  acknowledged again; one whose lines are all shipped or cancelled is refused
  (https://developer.walmart.com/cl-marketplace/reference/acknowledgeorderscl).
- shippingUpdates: only acknowledged lines ship ("acknowledge … a required step before
  shipping", https://developer.walmart.com/us-marketplace/docs/choose-an-orders-api); carrier
  from CarrierNameType's list, or ``otherCarrier`` with a ``trackingURL``; methodCode from its
  enum; at most the line's open quantity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import BuyerOrder, Exchange, Offer, route
from feedsync.sandbox.walmart import rules
from feedsync.sandbox.walmart.base import SHIP_NODE, wm_error
from feedsync.sandbox.walmart.items import ItemRoutes

SCHEMA = """
CREATE TABLE IF NOT EXISTS walmart_orders (
    po TEXT PRIMARY KEY, body TEXT NOT NULL, created_at REAL NOT NULL, modified REAL NOT NULL);
CREATE INDEX IF NOT EXISTS walmart_orders_modified ON walmart_orders (modified);
"""
MAX_LIMIT = 200
OPEN = ("Created", "Acknowledged")
CARRIERS = frozenset({"UPS", "USPS", "FedEx", "DHL Ecommerce - US", "OnTrac", "LS", "UDS",
                      "UPSMI", "FDX", "FEDEXSP", "Canada Post", "Royal Mail", "GLS"})


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _date(text: str | None) -> float | None:
    if not text:
        return None
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def load(ctx: Exchange, po: str) -> dict[str, Any]:
    """One stored order (404 when unknown)."""
    row = ctx.db.execute("SELECT body FROM walmart_orders WHERE po = ?", (po,)).fetchone()
    if row is None:
        raise wm_error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"order {po} not found",
                       "purchaseOrderId")
    order: dict[str, Any] = json.loads(row["body"])
    return order


def save(ctx: Exchange, order: dict[str, Any]) -> None:
    """Store an order and stamp it modified now."""
    ctx.db.execute("INSERT INTO walmart_orders (po, body, created_at, modified) VALUES (?,?,?,?)"
                   " ON CONFLICT (po) DO UPDATE SET body = excluded.body, modified = excluded"
                   ".modified", (order["purchaseOrderId"], json.dumps(order), ctx.now, ctx.now))


def _lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = order["orderLines"]["orderLine"]
    return lines


def _status(status: str, amount: int) -> dict[str, Any]:
    return {"status": status, "statusQuantity": {"unitOfMeasurement": "EACH",
                                                 "amount": str(amount)}}


class OrderRoutes(ItemRoutes):
    """Orders, their acknowledgement and shipping, and the buyers who place them."""

    @route("GET", "/v3/orders", operation="getAllOrders")
    def all_orders(self, ctx: Exchange, request: Request) -> Response:
        """Orders modified (or created) in the window, a page at a time."""
        limit = int(request.arg("limit") or "100")
        if not 1 <= limit <= MAX_LIMIT:
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           "limit cannot be larger than 200", "limit", "REQUEST")
        start = _date(request.arg("lastModifiedStartDate"))
        end = _date(request.arg("lastModifiedEndDate"))
        created = _date(request.arg("createdStartDate")) or (
            ctx.now - 7 * 86400 if start is None else None)  # default: the last 7 days
        offset = int(request.arg("poIndex") or "0")
        sql, args = "SELECT body FROM walmart_orders WHERE 1 = 1", []
        for clause, value in (("modified >= ?", start), ("modified <= ?", end),
                              ("created_at >= ?", created)):
            if value is not None:
                sql += f" AND {clause}"
                args.append(value)
        rows = ctx.db.execute(sql + " ORDER BY created_at, po LIMIT ? OFFSET ?",
                              (*args, limit + 1, offset)).fetchall()
        meta: dict[str, Any] = {"totalCount": len(rows[:limit]), "limit": limit}
        if len(rows) > limit:
            query = {k: v[0] for k, v in request.query.items()
                     if k not in ("hasMoreElements", "soIndex", "poIndex")}
            query.update(hasMoreElements="true", soIndex=str(offset + limit),
                         poIndex=str(offset + limit))
            meta["nextCursor"] = "?" + urlencode(query)
        return Response.json({"list": {"meta": meta, "elements": {
            "order": [json.loads(r["body"]) for r in rows[:limit]]}}})

    @route("GET", "/v3/orders/{po}", operation="getAnOrder")
    def an_order(self, ctx: Exchange, request: Request) -> Response:
        """One purchase order."""
        return Response.json({"order": load(ctx, request.params["po"])})

    @route("POST", "/v3/orders/{po}/acknowledge", operation="acknowledgeOrders")
    def acknowledge(self, ctx: Exchange, request: Request) -> Response:
        """Acknowledge every Created line of the order."""
        order = load(ctx, request.params["po"])
        statuses = [s for ln in _lines(order)
                    for s in ln["orderLineStatuses"]["orderLineStatus"]]
        if not any(s["status"] in OPEN for s in statuses):
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           "an order whose lines are shipped or cancelled cannot be "
                           "acknowledged", "purchaseOrderId")
        for status in statuses:
            if status["status"] == "Created":
                status["status"] = "Acknowledged"
        for line in _lines(order):
            line["statusDate"] = _ms(ctx.now)
        save(ctx, order)
        return Response.json({"order": order})

    @route("POST", "/v3/orders/{po}/shipping", operation="shippingUpdates")
    def ship(self, ctx: Exchange, request: Request) -> Response:
        """Ship quantities of acknowledged lines with tracking."""
        order = load(ctx, request.params["po"])
        by_number = {ln["lineNumber"]: ln for ln in _lines(order)}
        body = request.json()
        shipped = (((body or {}).get("orderShipment") or {}).get("orderLines") or {}).get(
            "orderLine")
        if not isinstance(shipped, list) or not shipped:
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API", "orderLines are required",
                           "orderLines")
        for entry in shipped:
            line = by_number.get(str(entry.get("lineNumber")))
            if line is None:
                raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                               f"no line {entry.get('lineNumber')}", "lineNumber")
            self._ship_line(ctx, line, entry)
        save(ctx, order)
        return Response.json({"order": order})

    def _ship_line(self, ctx: Exchange, line: dict[str, Any], entry: dict[str, Any]) -> None:
        [wanted] = entry["orderLineStatuses"]["orderLineStatus"]
        tracking = wanted.get("trackingInfo") or {}
        carrier = tracking.get("carrierName") or {}
        if carrier.get("carrier") not in CARRIERS and not (
                carrier.get("otherCarrier") and tracking.get("trackingURL")):
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           "carrier must be one of Walmart's, or otherCarrier with a "
                           "trackingURL", "carrierName")
        if tracking.get("methodCode") not in rules.METHOD_CODES or not tracking.get(
                "trackingNumber"):
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           "methodCode and trackingNumber are required", "trackingInfo")
        amount = int(wanted["statusQuantity"]["amount"])
        statuses = line["orderLineStatuses"]["orderLineStatus"]
        if any(s["status"] == "Created" for s in statuses):
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           "acknowledge the order before shipping it", "status")
        acknowledged = sum(int(s["statusQuantity"]["amount"]) for s in statuses
                           if s["status"] == "Acknowledged")
        if amount < 1 or amount > acknowledged:
            raise wm_error(400, "INVALID_REQUEST.GMP_ORDER_API",
                           f"line {line['lineNumber']}: {amount} exceeds the open quantity "
                           f"{acknowledged}", "statusQuantity")
        rest = [s for s in statuses if s["status"] != "Acknowledged"]
        if acknowledged > amount:
            rest.append(_status("Acknowledged", acknowledged - amount))
        rest.append({**_status("Shipped", amount), "trackingInfo": tracking})
        line["orderLineStatuses"]["orderLineStatus"] = rest
        line["statusDate"] = _ms(ctx.now)

    # --- buyers -----------------------------------------------------------------------------

    def offers(self, ctx: Exchange) -> Iterable[Offer]:
        rows = ctx.db.execute("SELECT sku, quantity, price FROM walmart_items WHERE lifecycle ="
                              " 'ACTIVE' AND quantity > 0 ORDER BY sku").fetchall()
        return [Offer(r["sku"], r["quantity"], Decimal(str(r["price"])), "USD") for r in rows]

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        marks = ",".join("?" * len(skus))
        rows = ctx.db.execute(f"SELECT sku, quantity FROM walmart_items WHERE sku IN ({marks})"
                              " AND lifecycle = 'ACTIVE'", tuple(skus)).fetchall()
        return {r["sku"]: int(r["quantity"]) for r in rows}

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        po = str(1_800_000_000_000 + ctx.next_id("order"))
        lines = []
        for number, line in enumerate(order.lines, start=1):
            row = ctx.db.execute("SELECT body, quantity FROM walmart_items WHERE sku = ?",
                                 (line.sku,)).fetchone()
            name = json.loads(row["body"])["Orderable"]["productName"] if row else line.sku
            if row is not None:  # Walmart takes the units off the listed quantity
                ctx.db.execute("UPDATE walmart_items SET quantity = MAX(quantity - ?, 0) "
                               "WHERE sku = ?", (line.quantity, line.sku))
            lines.append({
                "lineNumber": str(number), "item": {"productName": name, "sku": line.sku},
                "charges": {"charge": [{"chargeType": "PRODUCT", "chargeName": "ItemPrice",
                                        "chargeAmount": {"currency": line.currency, "amount":
                                                         float(line.unit_price * line.quantity)},
                                        "tax": None}]},
                "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(line.quantity)},
                "statusDate": _ms(ctx.now),
                "orderLineStatuses": {"orderLineStatus": [_status("Created", line.quantity)]},
                "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "STANDARD"}})
        save(ctx, {
            "purchaseOrderId": po, "customerOrderId": str(5_000_000_000_000 + int(po[-6:])),
            "customerEmailId": f"buyer{po[-4:]}@relay.walmart.com", "orderDate": _ms(ctx.now),
            "shippingInfo": {"phone": "5555550100", "estimatedDeliveryDate": _ms(ctx.now + 5e5),
                             "estimatedShipDate": _ms(ctx.now + 1e5), "methodCode": "Standard",
                             "postalAddress": {"name": order.buyer_name, "address1": "1 Main St",
                                               "city": "Bentonville", "state": "AR",
                                               "postalCode": "72712", "country": "USA",
                                               "addressType": "RESIDENTIAL"}},
            "orderLines": {"orderLine": lines},
            "shipNode": {"type": "SellerFulfilled", "id": SHIP_NODE}})
        return po

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        order = load(ctx, order_id)
        statuses = [s for ln in _lines(order) for s in ln["orderLineStatuses"]["orderLineStatus"]]
        if any(s["status"] not in OPEN for s in statuses):
            return False
        for line in _lines(order):
            amount = int(line["orderLineQuantity"]["amount"])
            line["orderLineStatuses"]["orderLineStatus"] = [
                {**_status("Cancelled", amount), "cancellationReason": "CUSTOMER_CANCELLED"}]
            line["statusDate"] = _ms(ctx.now)
            ctx.db.execute("UPDATE walmart_items SET quantity = quantity + ? WHERE sku = ?",
                           (amount, line["item"]["sku"]))
        save(ctx, order)
        return True
