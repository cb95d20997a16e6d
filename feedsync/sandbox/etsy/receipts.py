"""Etsy receipts and buyers in the sandbox: getShopReceipts, getShopReceipt,
createReceiptShipment, and the simulated buyers who make receipts.

https://developers.etsy.com/documentation/reference#tag/Shop-Receipt: receipts filter by
``min_last_modified`` / ``max_last_modified`` and page with ``limit`` (≤ 100) and ``offset``;
money is ``{"amount", "divisor", "currency_code"}``; each createReceiptShipment adds a shipment
(and e-mails the buyer): repeating it adds another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import BuyerOrder, Exchange, Offer, route

USER_ID = "70000001"
SHOP = "/v3/application/shops/{shop_id}"


def money(amount: Decimal | str) -> dict[str, Any]:
    """An Etsy Money object (amount in cents, divisor 100)."""
    return {"amount": int(Decimal(str(amount)) * 100), "divisor": 100, "currency_code": "USD"}


class ReceiptsAndBuyers:
    """Receipt routes and buyer hooks; mixed into the Etsy marketplace (which provides
    ``_shop`` and ``_inventory``)."""

    def _shop(self, request: Request) -> None:
        raise NotImplementedError

    def _inventory(self, ctx: Exchange, listing_id: int) -> dict[str, Any]:
        raise NotImplementedError

    # --- receipts ---------------------------------------------------------------------------

    @route("GET", f"{SHOP}/receipts", operation="getShopReceipts")
    def receipts(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        low = int(request.arg("min_last_modified") or 0)
        high = int(request.arg("max_last_modified") or 2**40)
        limit = min(int(request.arg("limit") or 25), 100)
        offset = int(request.arg("offset") or 0)
        rows = ctx.db.execute("SELECT data FROM etsy_receipts WHERE updated BETWEEN ? AND ? "
                              "ORDER BY updated, receipt_id", (low, high)).fetchall()
        return Response.json({"count": len(rows), "results": [
            json.loads(r["data"]) for r in rows[offset:offset + limit]]})

    def _receipt(self, ctx: Exchange, receipt_id: str) -> dict[str, Any]:
        row = ctx.db.execute("SELECT data FROM etsy_receipts WHERE receipt_id = ?",
                             (int(receipt_id),)).fetchone()
        if row is None:
            raise SandboxError(404, "not_found", f"Receipt {receipt_id} not found")
        data: dict[str, Any] = json.loads(row["data"])
        return data

    def _save_receipt(self, ctx: Exchange, receipt: dict[str, Any]) -> None:
        receipt["updated_timestamp"] = receipt["update_timestamp"] = int(ctx.now)
        ctx.db.execute("INSERT OR REPLACE INTO etsy_receipts VALUES (?, ?, ?)",
                       (receipt["receipt_id"], int(ctx.now), json.dumps(receipt)))

    @route("GET", f"{SHOP}/receipts/{{receipt_id}}", operation="getShopReceipt")
    def receipt(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        return Response.json(self._receipt(ctx, request.params["receipt_id"]))

    @route("POST", f"{SHOP}/receipts/{{receipt_id}}/tracking",
           operation="createReceiptShipment")
    def tracking(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        receipt = self._receipt(ctx, request.params["receipt_id"])
        form = request.form()
        if receipt["status"] == "canceled":
            raise SandboxError(409, "conflict", "the receipt is canceled")
        receipt["shipments"].append({
            "receipt_shipping_id": ctx.next_id("shipment"),
            "shipment_notification_timestamp": int(ctx.now),
            "carrier_name": form.get("carrier_name", ""),
            "tracking_code": form.get("tracking_code", "")})
        receipt["is_shipped"], receipt["status"] = True, "completed"
        self._save_receipt(ctx, receipt)
        return Response.json(receipt)

    # --- buyers -----------------------------------------------------------------------------

    def _active_products(self, ctx: Exchange) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for row in ctx.db.execute("SELECT data FROM etsy_listings ORDER BY listing_id"):
            listing = json.loads(row["data"])
            if listing["state"] != "active":
                continue
            for product in self._inventory(ctx, listing["listing_id"])["products"]:
                yield listing, product

    def offers(self, ctx: Exchange) -> Iterator[Offer]:
        for _listing, product in self._active_products(ctx):
            offering = product["offerings"][0]
            if product["sku"] and offering["is_enabled"] and offering["quantity"] > 0:
                yield Offer(product["sku"], offering["quantity"],
                            Decimal(offering["price"]["amount"]) / 100, "USD")

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        wanted = set(skus)
        return {p["sku"]: (p["offerings"][0]["quantity"] if p["offerings"][0]["is_enabled"]
                           else 0)
                for _listing, p in self._active_products(ctx) if p["sku"] in wanted}

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        receipt_id = 1_000_000 + ctx.next_id("receipt")
        transactions = []
        for line in order.lines:
            for listing, product in self._active_products(ctx):
                if product["sku"] != line.sku:
                    continue
                inventory = self._inventory(ctx, listing["listing_id"])
                for stored in inventory["products"]:
                    if stored["sku"] == line.sku:
                        stored["offerings"][0]["quantity"] -= line.quantity
                ctx.db.execute("UPDATE etsy_inventory SET data = ? WHERE listing_id = ?",
                               (json.dumps(inventory), listing["listing_id"]))
                transactions.append({
                    "transaction_id": ctx.next_id("transaction"), "title": listing["title"],
                    "quantity": line.quantity, "receipt_id": receipt_id,
                    "listing_id": listing["listing_id"], "product_id": product["product_id"],
                    "sku": line.sku, "price": money(line.unit_price),
                    "created_timestamp": int(ctx.now), "shipped_timestamp": None})
                break
        total = sum((line.unit_price * line.quantity for line in order.lines), Decimal(0))
        receipt: dict[str, Any] = {
                   "receipt_id": receipt_id, "receipt_type": 0, "seller_user_id": int(USER_ID),
                   "buyer_user_id": 90_000 + receipt_id % 1000, "name": order.buyer_name,
                   "status": "paid", "is_paid": True, "is_shipped": False,
                   "create_timestamp": int(ctx.now), "created_timestamp": int(ctx.now),
                   "grandtotal": money(total), "subtotal": money(total),
                   "total_price": money(total), "shipments": [],
                   "transactions": transactions, "refunds": []}
        self._save_receipt(ctx, receipt)
        return str(receipt_id)

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        receipt = self._receipt(ctx, order_id)
        if receipt["is_shipped"] or receipt["status"] == "canceled":
            return False
        receipt["status"] = "canceled"
        self._save_receipt(ctx, receipt)
        return True
