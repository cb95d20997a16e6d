"""Amazon orders: Orders API v2026-01-01 (searchOrders, getOrder), v0 confirmShipment, buyers.

- searchOrders (https://developer-docs.amazon.com/sp-api/reference/searchorders): exactly one of
  ``createdAfter``/``lastUpdatedAfter``; ``lastUpdatedBefore`` at least two minutes before the
  request; 1–100 results per page; ``paginationToken`` valid 24 hours and only with the same
  other parameters (``maxResultsPerPage`` and ``includedData`` may change); datasets only
  with ``includedData``.
- confirmShipment (ordersV0.json): ``marketplaceId`` and ``packageDetail`` required,
  ``carrierName`` required when ``carrierCode`` is "Other"; ``packageReferenceId`` identifies
  the package within the order, so the same package confirmed again changes nothing; more units
  than are unshipped is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from feedsync.sandbox.amazon.base import (
    MARKETPLACE_ID,
    MARKETPLACE_NAME,
    AmazonBase,
    errors,
    invalid_input,
)
from feedsync.sandbox.amazon.listings import iso
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import BuyerOrder, Exchange, Offer, route

ORDERS = "/orders/2026-01-01/orders"
INCLUDED = frozenset({"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION",
                      "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"})
STATUSES = frozenset({"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED",
                      "SHIPPED", "CANCELLED", "UNFULFILLABLE"})
SETTLE_S = 120  # lastUpdatedBefore / createdBefore: at least two minutes in the past
TOKEN_TTL_S = 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS amazon_orders (
    order_id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    status TEXT NOT NULL, buyer_name TEXT NOT NULL, currency TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS amazon_orders_updated ON amazon_orders (updated_at, order_id);
CREATE TABLE IF NOT EXISTS amazon_order_items (
    order_item_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, sku TEXT NOT NULL,
    asin TEXT NOT NULL, title TEXT, quantity INTEGER NOT NULL, shipped INTEGER NOT NULL,
    unit_price TEXT NOT NULL, currency TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS amazon_order_items_order ON amazon_order_items (order_id);
CREATE TABLE IF NOT EXISTS amazon_packages (
    order_id TEXT NOT NULL, package_reference_id TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (order_id, package_reference_id));
"""


def _time(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"{name} '{text}' is not an ISO 8601 date-time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _list(request: Request, name: str, allowed: frozenset[str] | None = None) -> list[str]:
    values = [v for v in (request.arg(name) or "").split(",") if v]
    if allowed is not None and not set(values) <= allowed:
        raise invalid_input(f"Invalid {name}: {', '.join(sorted(set(values) - allowed))}.")
    return values


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


class OrderRoutes(AmazonBase):
    """searchOrders, getOrder, confirmShipment, and the buyer hooks."""

    @route("GET", ORDERS, operation="searchOrders")
    def search_orders(self, ctx: Exchange, request: Request) -> Response:
        """Orders created or updated in a window, a page at a time."""
        created_after = _time(request.arg("createdAfter"), "createdAfter")
        updated_after = _time(request.arg("lastUpdatedAfter"), "lastUpdatedAfter")
        if (created_after is None) == (updated_after is None):
            raise invalid_input("Exactly one of createdAfter and lastUpdatedAfter is required.")
        column = "created_at" if created_after is not None else "updated_at"
        lower = created_after if created_after is not None else updated_after
        name = "createdBefore" if column == "created_at" else "lastUpdatedBefore"
        other = "lastUpdatedBefore" if column == "created_at" else "createdBefore"
        if request.arg(other) is not None:
            start = "createdAfter" if column == "created_at" else "lastUpdatedAfter"
            raise invalid_input(f"{other} cannot be combined with {start}.")
        upper = _time(request.arg(name), name)
        latest = ctx.now - SETTLE_S
        if upper is None:
            upper = latest
        elif upper > latest:
            raise invalid_input(f"{name} must be at least two minutes before the time of the "
                                "request.")
        assert lower is not None
        if upper < lower:
            raise invalid_input(f"{name} must be equal to or after the start of the window.")
        size = int(request.arg("maxResultsPerPage") or 100)
        if not 1 <= size <= 100:
            raise invalid_input("maxResultsPerPage must be between 1 and 100.")
        included = set(_list(request, "includedData", INCLUDED))
        wanted = _list(request, "fulfillmentStatuses", STATUSES)
        by = _list(request, "fulfilledBy", frozenset({"MERCHANT", "AMAZON"}))
        marketplaces = _list(request, "marketplaceIds")
        if len(marketplaces) > 50:
            raise invalid_input("marketplaceIds takes at most 50 values.")
        key = _query_key(request)
        offset = self._offset(ctx, request.arg("paginationToken"), key)
        rows = []
        if (not marketplaces or MARKETPLACE_ID in marketplaces) and (not by or "MERCHANT" in by):
            rows = ctx.db.execute(
                f"SELECT * FROM amazon_orders WHERE {column} >= ? AND {column} <= ? "
                f"ORDER BY {column}, order_id LIMIT ? OFFSET ?",
                (lower, upper, size + 1, offset)).fetchall()
        page = [r for r in rows[:size] if not wanted or r["status"] in wanted]
        body: dict[str, Any] = {"orders": [order_view(ctx, r, included) for r in page],
                                name: iso(upper)}
        if len(rows) > size:
            body["pagination"] = {"nextToken": _token(offset + size, key, ctx.now)}
        return Response.json(body)

    def _offset(self, ctx: Exchange, token: str | None, key: str) -> int:
        if token is None:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, token_key, issued = int(data["o"]), str(data["k"]), float(data["t"])
        except (ValueError, KeyError, TypeError):
            raise invalid_input("Invalid paginationToken.") from None
        if token_key != key:
            raise invalid_input("The paginationToken was issued for different parameters.")
        if ctx.now - issued > TOKEN_TTL_S:
            raise invalid_input("The paginationToken has expired.")
        return offset

    @route("GET", f"{ORDERS}/{{order_id}}", operation="getOrder")
    def get_order(self, ctx: Exchange, request: Request) -> Response:
        """One order with the requested datasets."""
        included = set(_list(request, "includedData", INCLUDED))
        row = ctx.db.execute("SELECT * FROM amazon_orders WHERE order_id = ?",
                             (request.params["order_id"],)).fetchone()
        if row is None:
            raise errors(404, "NotFound", f"Order {request.params['order_id']} not found.")
        return Response.json({"order": order_view(ctx, row, included)})

    @route("POST", "/orders/v0/orders/{order_id}/shipmentConfirmation",
           operation="confirmShipment")
    def confirm_shipment(self, ctx: Exchange, request: Request) -> Response:
        """Confirm one package of a merchant-fulfilled order (204)."""
        order_id = request.params["order_id"]
        row = ctx.db.execute("SELECT * FROM amazon_orders WHERE order_id = ?",
                             (order_id,)).fetchone()
        if row is None:
            raise errors(404, "NotFound", f"Order {order_id} not found.")
        package = _valid_package(request.json())
        reference = package["packageReferenceId"]
        known = ctx.db.execute("SELECT body FROM amazon_packages WHERE order_id = ? AND "
                               "package_reference_id = ?", (order_id, reference)).fetchone()
        if known is not None:
            if json.loads(known["body"]) == package:
                return Response.empty(204)  # the same package again: nothing changes
            raise invalid_input(f"packageReferenceId {reference} is already used by another "
                                "package of this order.")
        if row["status"] == "CANCELLED":
            raise invalid_input(f"Order {order_id} is cancelled.")
        for item in package["orderItems"]:
            line = ctx.db.execute("SELECT quantity, shipped FROM amazon_order_items WHERE "
                                  "order_item_id = ? AND order_id = ?",
                                  (item["orderItemId"], order_id)).fetchone()
            if line is None:
                raise invalid_input(f"orderItemId {item['orderItemId']} is not in the order.")
            if line["shipped"] + item["quantity"] > line["quantity"]:
                raise invalid_input(f"orderItemId {item['orderItemId']}: quantity "
                                    f"{item['quantity']} exceeds the unshipped quantity.")
            ctx.db.execute("UPDATE amazon_order_items SET shipped = shipped + ? "
                           "WHERE order_item_id = ?", (item["quantity"], item["orderItemId"]))
        ctx.db.execute("INSERT INTO amazon_packages VALUES (?, ?, ?, ?)",
                       (order_id, reference, json.dumps(package), ctx.now))
        left = ctx.db.execute("SELECT SUM(quantity - shipped) FROM amazon_order_items "
                              "WHERE order_id = ?", (order_id,)).fetchone()[0]
        ctx.db.execute("UPDATE amazon_orders SET status = ?, updated_at = ? WHERE order_id = ?",
                       ("SHIPPED" if not left else "PARTIALLY_SHIPPED", ctx.now, order_id))
        return Response.empty(204)

    # --- buyers ---------------------------------------------------------------------------------

    def offers(self, ctx: Exchange) -> Iterator[Offer]:
        for row in ctx.db.execute("SELECT sku, quantity, price, currency FROM amazon_listings "
                                  "WHERE quantity > 0 AND price IS NOT NULL ORDER BY sku"):
            yield Offer(row["sku"], row["quantity"], Decimal(row["price"]), row["currency"])

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(skus), 500):
            chunk = list(skus[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for row in ctx.db.execute(f"SELECT sku, quantity FROM amazon_listings WHERE sku IN "
                                      f"({marks}) AND quantity IS NOT NULL", chunk):
                found[row["sku"]] = row["quantity"]
        return found

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        number = ctx.next_id("order")
        digits = hashlib.sha256(str(number).encode()).hexdigest()
        order_id = f"11{number % 10}-{number:07d}-{int(digits[:12], 16) % 10_000_000:07d}"
        currency = order.lines[0].currency
        ctx.db.execute("INSERT INTO amazon_orders VALUES (?, ?, ?, 'UNSHIPPED', ?, ?)",
                       (order_id, ctx.now, ctx.now, order.buyer_name, currency))
        for index, line in enumerate(order.lines):
            listing = ctx.db.execute("SELECT asin, attributes FROM amazon_listings WHERE sku = ?",
                                     (line.sku,)).fetchone()
            if listing is None:
                raise ValueError(f"amazon: SKU {line.sku} is not listed")
            title = (json.loads(listing["attributes"]).get("item_name") or [{}])[0].get("value")
            ctx.db.execute("INSERT INTO amazon_order_items VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                           (f"{number:09d}{index:05d}", order_id, line.sku, listing["asin"],
                            title, line.quantity, str(line.unit_price), line.currency))
            _adjust_quantity(ctx, line.sku, -line.quantity)
        return order_id

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        row = ctx.db.execute("SELECT status FROM amazon_orders WHERE order_id = ?",
                             (order_id,)).fetchone()
        if row is None or row["status"] not in ("PENDING", "UNSHIPPED"):
            return False
        ctx.db.execute("UPDATE amazon_orders SET status = 'CANCELLED', updated_at = ? "
                       "WHERE order_id = ?", (ctx.now, order_id))
        for line in ctx.db.execute("SELECT sku, quantity FROM amazon_order_items WHERE "
                                   "order_id = ?", (order_id,)).fetchall():
            _adjust_quantity(ctx, line["sku"], line["quantity"])  # the units are free again
        return True


def _adjust_quantity(ctx: Exchange, sku: str, delta: int) -> None:
    row = ctx.db.execute("SELECT attributes FROM amazon_listings WHERE sku = ?",
                         (sku,)).fetchone()
    if row is None:
        return
    attributes = json.loads(row["attributes"])
    quantity = None
    for value in attributes.get("fulfillment_availability") or ():
        if value.get("fulfillment_channel_code") == "DEFAULT" and "quantity" in value:
            value["quantity"] = max(int(value["quantity"]) + delta, 0)
            quantity = value["quantity"]
    ctx.db.execute("UPDATE amazon_listings SET attributes = ?, quantity = ? WHERE sku = ?",
                   (json.dumps(attributes), quantity, sku))


def _query_key(request: Request) -> str:
    fixed = sorted((k, v) for k, v in request.query.items()
                   if k not in ("paginationToken", "maxResultsPerPage", "includedData"))
    return hashlib.sha256(json.dumps(fixed).encode()).hexdigest()[:16]


def _token(offset: int, key: str, now: float) -> str:
    raw = json.dumps({"o": offset, "k": key, "t": now}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _valid_package(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_input("The body must be a ConfirmShipmentRequest.")
    if body.get("marketplaceId") != MARKETPLACE_ID:
        raise invalid_input(f"marketplaceId must be {MARKETPLACE_ID}.")
    package = body.get("packageDetail")
    if not isinstance(package, dict):
        raise invalid_input("packageDetail is required.")
    for key in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
        if not package.get(key):
            raise invalid_input(f"packageDetail.{key} is required.")
    if not str(package["packageReferenceId"]).isdigit() or int(package["packageReferenceId"]) < 1:
        raise invalid_input("packageReferenceId must be a positive number.")
    if package["carrierCode"] == "Other" and not package.get("carrierName"):
        raise invalid_input("carrierName is required when carrierCode is \"Other\".")
    _time(str(package["shipDate"]), "shipDate")
    for item in package["orderItems"]:
        if (not isinstance(item, dict) or not item.get("orderItemId")
                or not isinstance(item.get("quantity"), int) or item["quantity"] < 1):
            raise invalid_input("Each orderItems entry needs orderItemId and a quantity >= 1.")
    return package


def order_view(ctx: Exchange, row: Any, included: set[str]) -> dict[str, Any]:
    """An Order of the 2026-01-01 model with the datasets asked for."""
    lines = ctx.db.execute("SELECT * FROM amazon_order_items WHERE order_id = ? "
                           "ORDER BY order_item_id", (row["order_id"],)).fetchall()
    items = []
    total = Decimal(0)
    for line in lines:
        price = Decimal(line["unit_price"])
        total += price * line["quantity"]
        item: dict[str, Any] = {
            "orderItemId": line["order_item_id"], "quantityOrdered": line["quantity"],
            "product": {"asin": line["asin"], "title": line["title"], "sellerSku": line["sku"],
                        "condition": {"conditionType": "NEW"},
                        "price": {"unitPrice": _money(price, line["currency"])}}}
        if "FULFILLMENT" in included:
            item["fulfillment"] = {"quantityFulfilled": line["shipped"],
                                   "quantityUnfulfilled": line["quantity"] - line["shipped"]}
        if "PROCEEDS" in included:
            item["proceeds"] = {"proceedsTotal": _money(price * line["quantity"],
                                                        line["currency"])}
        items.append(item)
    view: dict[str, Any] = {
        "orderId": row["order_id"], "createdTime": iso(row["created_at"]),
        "lastUpdatedTime": iso(row["updated_at"]), "programs": [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": MARKETPLACE_ID,
                         "marketplaceName": MARKETPLACE_NAME},
        "orderItems": items}
    if "FULFILLMENT" in included:
        view["fulfillment"] = {"fulfillmentStatus": row["status"], "fulfilledBy": "MERCHANT",
                               "fulfillmentServiceLevel": "STANDARD"}
    if "PROCEEDS" in included:
        view["proceeds"] = {"grandTotal": _money(total, row["currency"])}
    if "BUYER" in included:
        view["buyer"] = {"buyerName": row["buyer_name"]}
    if "PACKAGES" in included:
        view["packages"] = [_package_view(p) for p in ctx.db.execute(
            "SELECT body, created_at FROM amazon_packages WHERE order_id = ? ORDER BY created_at",
            (row["order_id"],))]
    return view


def _package_view(row: Any) -> dict[str, Any]:
    package = json.loads(row["body"])
    view = {"packageReferenceId": package["packageReferenceId"],
            "createdTime": iso(row["created_at"]),
            "packageStatus": {"status": "SHIPPED"}, "carrier": package["carrierCode"],
            "shipTime": package["shipDate"], "trackingNumber": package["trackingNumber"],
            "packageItems": [{"orderItemId": i["orderItemId"], "quantity": i["quantity"]}
                             for i in package["orderItems"]]}
    if package.get("shippingMethod"):
        view["shippingService"] = package["shippingMethod"]
    return view
