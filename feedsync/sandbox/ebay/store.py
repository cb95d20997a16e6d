"""The eBay sandbox's state: inventory items, groups, offers and the listing revision counter.

All in the sandbox's SQLite file (tables ``ebay_…``); bodies are kept as eBay returns them.
"""

from __future__ import annotations

import json
from typing import Any

from feedsync.sandbox.ebay.base import error_entry
from feedsync.sandbox.module import Exchange

SCHEMA = """
CREATE TABLE IF NOT EXISTS ebay_items (
    sku TEXT PRIMARY KEY, body TEXT NOT NULL, quantity INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ebay_groups (
    group_key TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ebay_offers (
    offer_id TEXT PRIMARY KEY, sku TEXT NOT NULL, marketplace_id TEXT NOT NULL,
    format TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
    listing_id TEXT, listing_status TEXT, sold INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sku, marketplace_id, format));
CREATE TABLE IF NOT EXISTS ebay_revisions (
    listing_id TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (listing_id, day));
"""
# "Each listing can be revised up to 250 times in one calendar day" (bulk method notes,
# https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item/methods/bulkUpdatePriceQuantity).
REVISIONS_PER_DAY = 250
REVISION_LIMIT_ERROR = 25019  # "Cannot revise listing. {additionalInfo}"


def get_item(ctx: Exchange, sku: str) -> dict[str, Any] | None:
    """The inventory item of ``sku`` as stored."""
    row = ctx.db.execute("SELECT body FROM ebay_items WHERE sku = ?", (sku,)).fetchone()
    return json.loads(row["body"]) if row else None


def put_item(ctx: Exchange, item: dict[str, Any]) -> None:
    """Create or replace one inventory item; its offers' quantity follows the item's."""
    quantity = int(((item.get("availability") or {}).get("shipToLocationAvailability") or {})
                   .get("quantity") or 0)
    ctx.db.execute("INSERT INTO ebay_items (sku, body, quantity, updated_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (sku) DO UPDATE SET body = excluded.body, quantity ="
                   " excluded.quantity, updated_at = excluded.updated_at",
                   (item["sku"], json.dumps(item), quantity, ctx.now))
    set_quantity(ctx, item["sku"], quantity)


def set_quantity(ctx: Exchange, sku: str, quantity: int) -> None:
    """The SKU's ship-to-home quantity, on the item and every offer of it."""
    row = ctx.db.execute("SELECT body FROM ebay_items WHERE sku = ?", (sku,)).fetchone()
    if row is not None:
        item = json.loads(row["body"])
        item.setdefault("availability", {}).setdefault("shipToLocationAvailability", {})[
            "quantity"] = quantity
        ctx.db.execute("UPDATE ebay_items SET body = ?, quantity = ? WHERE sku = ?",
                       (json.dumps(item), quantity, sku))
    for offer in offers_of(ctx, sku):
        offer["availableQuantity"] = quantity
        save_offer(ctx, offer)


def offers_of(ctx: Exchange, sku: str) -> list[dict[str, Any]]:
    """Every offer of ``sku`` (with offerId, status and listing)."""
    return [offer_from(row) for row in ctx.db.execute(
        "SELECT * FROM ebay_offers WHERE sku = ? ORDER BY offer_id", (sku,))]


def get_offer(ctx: Exchange, offer_id: str) -> dict[str, Any] | None:
    """One offer by id."""
    row = ctx.db.execute("SELECT * FROM ebay_offers WHERE offer_id = ?", (offer_id,)).fetchone()
    return offer_from(row) if row else None


def offer_from(row: Any) -> dict[str, Any]:
    """An ``EbayOfferDetailsWithAll`` from a stored row."""
    offer = json.loads(row["body"])
    offer.update(offerId=row["offer_id"], status=row["status"])
    if row["listing_id"]:
        offer["listing"] = {"listingId": row["listing_id"],
                            "listingStatus": row["listing_status"], "soldQuantity": row["sold"]}
    return offer


def save_offer(ctx: Exchange, offer: dict[str, Any]) -> None:
    """Store an offer (its body without the read-only fields)."""
    body = {k: v for k, v in offer.items() if k not in ("offerId", "status", "listing")}
    sold = int((offer.get("listing") or {}).get("soldQuantity") or 0)
    listing = offer.get("listing") or {}
    ctx.db.execute(
        "INSERT INTO ebay_offers (offer_id, sku, marketplace_id, format, body, status,"
        " listing_id, listing_status, sold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (offer_id) DO UPDATE SET body = excluded.body, status = excluded.status,"
        " listing_id = excluded.listing_id, listing_status = excluded.listing_status,"
        " sold = excluded.sold",
        (offer["offerId"], offer["sku"], offer["marketplaceId"], offer.get("format",
         "FIXED_PRICE"), json.dumps(body), offer.get("status", "UNPUBLISHED"),
         listing.get("listingId"), listing.get("listingStatus"), sold))


def revise(ctx: Exchange, sku: str) -> dict[str, Any] | None:
    """Count one revision of each live listing of ``sku``; the limit's error when it is spent."""
    day = int(ctx.now // 86_400)
    for offer in offers_of(ctx, sku):
        listing = offer.get("listing") or {}
        if offer["status"] != "PUBLISHED" or not listing.get("listingId"):
            continue
        row = ctx.db.execute("SELECT count FROM ebay_revisions WHERE listing_id = ? AND day = ?",
                             (listing["listingId"], day)).fetchone()
        if row is not None and row["count"] >= REVISIONS_PER_DAY:
            return error_entry(REVISION_LIMIT_ERROR, "Cannot revise listing. The listing has "
                               f"reached {REVISIONS_PER_DAY} revisions today.")
        ctx.db.execute("INSERT INTO ebay_revisions VALUES (?, ?, 1) ON CONFLICT (listing_id,"
                       " day) DO UPDATE SET count = count + 1", (listing["listingId"], day))
    return None


def bulk_answer(entries: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """A bulk call's status (200 all succeeded, 207 mixed, 400 none) and body."""
    codes = {int(e["statusCode"]) for e in entries}
    ok = {c for c in codes if c < 300}
    status = 200 if codes == ok else 400 if not ok else 207
    return status, {"responses": entries}
