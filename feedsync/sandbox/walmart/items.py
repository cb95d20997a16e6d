"""Walmart items and inventory, emulated: GET /v3/items, PUT/GET /v3/inventory, GET /v3/inventories.

- getAllItems (us-mp-items.json): ``ItemResponse[]`` with sku, wpid, price, publishedStatus,
  lifecycleStatus; ``sku=`` filters to one (404 when unknown); pages by ``nextCursor``
  (``*`` first) of at most ``limit`` items.
- updateInventoryForAnItem (us-mp-inventory.json): body ``Inventory`` {sku, quantity {unit
  EACH, amount}} for the SKU of the query; applied at once; 404 for a SKU not set up.
- getInventory / getMultiNodeInventoryForAllSkuAndAllShipNodes: the quantity at the seller's
  ship node (inputQty; availToSellQty is the same here: no reservations are emulated).
"""

from __future__ import annotations

from typing import Any, ClassVar

from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import Exchange, RateLimit, route
from feedsync.sandbox.walmart.base import LIMITS, SHIP_NODE, per_minute, wm_error
from feedsync.sandbox.walmart.feeds import FeedRoutes

PAGE = 50
INVENTORY_DOC = "https://developer.walmart.com/cl-marketplace/docs/throttling"


def _item(row: Any) -> dict[str, Any]:
    return {"mart": "WALMART_US", "sku": row["sku"], "wpid": row["wpid"],
            "productName": _name(row["body"]), "price": {"currency": "USD",
                                                         "amount": row["price"]},
            "publishedStatus": row["published"], "lifecycleStatus": row["lifecycle"]}


def _name(body: str) -> str:
    import json

    return str(json.loads(body)["Orderable"]["productName"])


class ItemRoutes(FeedRoutes):
    """Items and inventory."""

    limits: ClassVar[dict[str, RateLimit]] = {
        **LIMITS,
        # "highly throttled" (the Update inventory API is for exceptions, INVENTORY_DOC); the
        # sandbox allows a burst of 20 and 5 a second.
        "updateInventoryForAnItem": RateLimit(5.0, 20, INVENTORY_DOC),
        "getAllItems": per_minute(300, INVENTORY_DOC),
    }

    @route("GET", "/v3/items", operation="getAllItems")
    def items(self, ctx: Exchange, request: Request) -> Response:
        """Every item, one page at a time, or one SKU."""
        sku = request.arg("sku")
        if sku is not None:
            row = ctx.db.execute("SELECT * FROM walmart_items WHERE sku = ?", (sku,)).fetchone()
            if row is None:
                raise wm_error(404, "CONTENT_NOT_FOUND.GMP_ITEM_QUERY_API",
                               f"item {sku} not found", "sku")
            return Response.json({"ItemResponse": [_item(row)], "totalItems": 1})
        limit = min(int(request.arg("limit") or "20"), PAGE)
        cursor = request.arg("nextCursor") or "*"
        after = "" if cursor == "*" else cursor
        rows = ctx.db.execute("SELECT * FROM walmart_items WHERE sku > ? ORDER BY sku LIMIT ?",
                              (after, limit + 1)).fetchall()
        total = ctx.db.execute("SELECT COUNT(*) FROM walmart_items").fetchone()[0]
        body: dict[str, Any] = {"ItemResponse": [_item(r) for r in rows[:limit]],
                                "totalItems": total}
        if len(rows) > limit:
            body["nextCursor"] = rows[limit - 1]["sku"]
        return Response.json(body)

    @route("PUT", "/v3/inventory", operation="updateInventoryForAnItem")
    def put_inventory(self, ctx: Exchange, request: Request) -> Response:
        """One SKU's quantity at one ship node, applied at once."""
        sku = request.arg("sku") or ""
        body = request.json()
        quantity = (body or {}).get("quantity") or {}
        amount = quantity.get("amount")
        if not isinstance(body, dict) or body.get("sku") != sku or quantity.get("unit") != "EACH" \
                or not isinstance(amount, int | float) or amount < 0 or amount != int(amount):
            raise wm_error(400, "INVALID_REQUEST.GMP_INVENTORY_API",
                           "body must be Inventory {sku, quantity {unit: EACH, amount}} for the "
                           "sku of the query", "quantity")
        node = request.arg("shipNode") or SHIP_NODE
        if node != SHIP_NODE:
            raise wm_error(400, "INVALID_REQUEST.GMP_INVENTORY_API",
                           f"shipNode {node} is not one of yours", "shipNode")
        found = ctx.db.execute("UPDATE walmart_items SET quantity = ?, updated_at = ? "
                               "WHERE sku = ?", (int(amount), ctx.now, sku)).rowcount
        if not found:
            raise wm_error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API",
                           f"sku {sku} is not set up", "sku")
        return Response.json({"sku": sku, "quantity": {"unit": "EACH", "amount": int(amount)}})

    @route("GET", "/v3/inventory", operation="getInventory")
    def get_inventory(self, ctx: Exchange, request: Request) -> Response:
        """One SKU's quantity."""
        sku = request.arg("sku") or ""
        row = ctx.db.execute("SELECT quantity FROM walmart_items WHERE sku = ?",
                             (sku,)).fetchone()
        if row is None:
            raise wm_error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API", f"sku {sku} not found",
                           "sku")
        return Response.json({"sku": sku, "quantity": {"unit": "EACH",
                                                       "amount": row["quantity"]}})

    @route("GET", "/v3/inventories", operation="getMultiNodeInventoryForAllSkuAndAllShipNodes")
    def inventories(self, ctx: Exchange, request: Request) -> Response:
        """Every SKU's quantities per ship node, by cursor."""
        limit = min(int(request.arg("limit") or "50"), PAGE)
        after = request.arg("nextCursor") or ""
        rows = ctx.db.execute("SELECT sku, quantity FROM walmart_items WHERE sku > ? "
                              "ORDER BY sku LIMIT ?", (after, limit + 1)).fetchall()
        qty = lambda n: {"unit": "EACH", "amount": n}  # noqa: E731
        body: dict[str, Any] = {"meta": {"totalCount": len(rows[:limit])}, "elements": {
            "inventories": [{"sku": r["sku"], "nodes": [{
                "shipNode": SHIP_NODE, "inputQty": qty(r["quantity"]),
                "availToSellQty": qty(r["quantity"]), "reservedQty": qty(0)}]}
                for r in rows[:limit]]}}
        if len(rows) > limit:
            body["meta"]["nextCursor"] = rows[limit - 1]["sku"]
        return Response.json(body)
