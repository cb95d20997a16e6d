"""What eBay shows now, for ``feedsync reconcile ebay`` (pure parsing of read-back answers).

Quantities come from the inventory items (``bulkGetInventoryItem``, 25 SKUs a call: cheaper than
paging ``getInventoryItems`` over the whole account for a chunk of SKUs), prices and listing
status from the SKU's offer on the configured marketplace (``getOffers?sku=``). A SKU eBay does
not have (errorId 25710 / HTTP 404) is reported absent; an offer that is not PUBLISHED (or whose
listing ended) is present on eBay but not for sale, which reconcile compares as quantity 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def item_quantities(body: Any) -> dict[str, int | None]:
    """SKU → ship-to-home quantity from a ``BulkGetInventoryItemResponse`` (found SKUs only)."""
    found: dict[str, int | None] = {}
    for entry in (body or {}).get("responses") or []:
        if not isinstance(entry, Mapping) or not 200 <= int(entry.get("statusCode") or 0) < 300:
            continue
        item = entry.get("inventoryItem") or {}
        sku = str(entry.get("sku") or item.get("sku") or "")
        ship = ((item.get("availability") or {}).get("shipToLocationAvailability") or {})
        quantity = ship.get("quantity")
        if sku:
            found[sku] = int(quantity) if isinstance(quantity, int) else None
    return found


def marketplace_offer(body: Any, marketplace_id: str) -> Mapping[str, Any] | None:
    """The fixed-price offer for ``marketplace_id`` in an ``Offers`` page, if any."""
    for offer in (body or {}).get("offers") or []:
        if isinstance(offer, Mapping) and offer.get("marketplaceId") == marketplace_id \
                and offer.get("format", "FIXED_PRICE") == "FIXED_PRICE":
            return offer
    return None


def live_entry(sku: str, quantity: int | None, offer: Mapping[str, Any] | None
               ) -> dict[str, Any]:
    """One reconcile entry: ``{"sku", "present", "quantity", "price", "currency", "status",
    "remote_id"}`` (see feedsync/orders/reconcile.py for the keys)."""
    if offer is None:
        return {"sku": sku, "present": False, "status": "deleted"}
    price = ((offer.get("pricingSummary") or {}).get("price") or {})
    value: Decimal | None
    try:
        value = Decimal(str(price["value"])) if price.get("value") is not None else None
    except InvalidOperation:
        value = None
    listing = offer.get("listing") or {}
    published = offer.get("status") == "PUBLISHED" and listing.get("listingStatus") in (
        None, "ACTIVE")
    shown = offer.get("availableQuantity", quantity)
    return {
        "sku": sku,
        "present": True,
        "quantity": (int(shown) if isinstance(shown, int) else quantity) if published else 0,
        "price": value,
        "currency": price.get("currency"),
        "status": "live" if published else "unpublished",
        "remote_id": offer.get("offerId"),
    }
