"""What Etsy shows now, for reconcile: the shop's listings with their inventory.

getListingsByShop (https://developers.etsy.com/documentation/reference#operation/
getListingsByShop) pages 100 listings at a time per ``state`` and, with ``includes=Inventory``,
carries each listing's inventory, so reading a shop costs one call per 100 listings and state
instead of one per listing. Each inventory product with a SKU becomes one live row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

PAGE_LIMIT = 100
# Every state a listing can be in (ShopListing.state); "draft" ones are not for sale but are
# feedsync's (a push that stopped before activation).
STATES: tuple[str, ...] = ("active", "inactive", "sold_out", "draft", "expired")


def _price(offering: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    price = offering.get("price")
    if not isinstance(price, Mapping) or price.get("amount") is None:
        return None, None
    divisor = int(price.get("divisor") or 1)
    return Decimal(int(price["amount"])) / Decimal(divisor), price.get("currency_code")


def live_rows(listing: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows (reconcile's live shape) for the products of one listing with its inventory."""
    inventory = listing.get("inventory") or {}
    state = str(listing.get("state") or "")
    for product in inventory.get("products") or []:
        sku = product.get("sku")
        if not sku or product.get("is_deleted"):
            continue
        offerings = [o for o in product.get("offerings") or [] if not o.get("is_deleted")]
        offering = offerings[0] if offerings else {}
        price, currency = _price(offering)
        enabled = bool(offering.get("is_enabled", True))
        quantity = int(offering.get("quantity") or 0) if enabled else 0
        # Only an active (or sold-out) listing is shown to buyers: a draft, inactive or
        # expired one is absent for reconcile ("missing"), whatever its inventory says.
        yield {"sku": sku, "present": state in ("active", "sold_out"),
               "quantity": quantity if state == "active" else 0, "price": price,
               "currency": currency, "status": state,
               "remote_id": str(listing.get("listing_id") or "")}


def pick(listings: Iterable[Mapping[str, Any]], skus: set[str]) -> Iterator[dict[str, Any]]:
    """Live rows of ``listings`` whose SKU is one of ``skus``."""
    for listing in listings:
        for row in live_rows(listing):
            if row["sku"] in skus:
                yield row
