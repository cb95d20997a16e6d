"""Deletes: end a SKU's listing on eBay, and delete its inventory item when configured.

- A single-SKU listing: ``withdrawOffer`` (the offer stays, unpublished, for a relist). Its offer
  id is the listing's remote id, read back with ``getOffers`` when unknown; a withdraw eBay
  refuses is checked by reading the offer back (already unpublished: done).
- A variant of a multi-variation listing: ``withdrawOffer`` ends single-variation listings only;
  a variation is removed by replacing the inventory item group without its SKU
  (InventoryItemGroup.variantSKUs: "omit that SKU value … to remove that inventory item/SKU
  from the inventory item group and any published, multiple-variation listing"), with
  ``variesBy`` recomputed from the remaining variants' aspects. A variation with sales cannot be
  removed (its offer's ``listing.soldQuantity`` is read first); eBay's documented workaround is a
  quantity of 0, which feedsync then sets. The last
  variant of a group ends the whole listing (``withdrawOfferByInventoryItemGroup``).
  (https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item_group/methods/createOrReplaceInventoryItemGroup)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedsync.adapters.ebay.client import EbayClient
from feedsync.adapters.ebay.limits import MAX_BULK_ITEMS
from feedsync.adapters.ebay.live import marketplace_offer
from feedsync.adapters.ebay.publish import BatchState

from feedsync.adapter import RenderedItem
from feedsync.errors import ItemRejected
from feedsync.models import Issue, Severity


class Withdrawer:
    """Ends the listings of one batch's deletes (outcomes land in a ``BatchState``)."""

    def __init__(self, client: EbayClient) -> None:
        self.client = client

    def delete(self, items: Sequence[RenderedItem], state: BatchState,
               delete_inventory_item: bool) -> None:
        """See the module docstring; SKUs without an outcome afterwards are deleted."""
        groups = self._groups_of([i.sku for i in items])
        families: dict[str, list[RenderedItem]] = {}
        for item in items:
            if item.sku not in groups:  # eBay has no such item (any more): nothing to end
                continue
            keys = groups[item.sku]
            if keys:
                for key in keys:
                    families.setdefault(key, []).append(item)
                continue
            try:
                self._withdraw_single(item, state)
            except ItemRejected as exc:
                state.reject(item.sku, exc.message)
        for key, members in sorted(families.items()):
            try:
                self._remove_variants(key, members, state)
            except ItemRejected as exc:
                for member in members:
                    state.reject(member.sku, f"inventory item group {key!r}: {exc.message}")
        if delete_inventory_item:
            for item in state.pending(items):
                try:
                    self.client.delete_inventory_item(item.sku)
                except ItemRejected as exc:
                    state.reject(item.sku, exc.message)

    def _groups_of(self, skus: Sequence[str]) -> dict[str, list[str]]:
        """SKU → the keys of its groups, for the SKUs eBay has an inventory item of."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(skus), MAX_BULK_ITEMS):
            body = self.client.bulk_get_inventory_item(list(skus[start:start + MAX_BULK_ITEMS]))
            for entry in body.get("responses") or []:
                if 200 <= int(entry.get("statusCode") or 0) < 300 and entry.get("sku"):
                    item = entry.get("inventoryItem") or {}
                    found[str(entry["sku"])] = list(item.get("inventoryItemGroupKeys")
                                                    or item.get("groupIds") or [])
        return found

    def _withdraw_single(self, item: RenderedItem, state: BatchState) -> None:
        offer_id = item.payload.get("offer_id")
        if not offer_id:
            offer = marketplace_offer(self.client.get_offers(item.sku),
                                      self.client.marketplace_id)
            offer_id = offer.get("offerId") if offer else None
        if not offer_id:
            return
        try:
            self.client.withdraw_offer(str(offer_id), sku=item.sku)
        except ItemRejected:
            offer = marketplace_offer(self.client.get_offers(item.sku),
                                      self.client.marketplace_id)
            if offer is not None and offer.get("status") == "PUBLISHED":
                raise

    def _remove_variants(self, key: str, members: Sequence[RenderedItem],
                         state: BatchState) -> None:
        group = self.client.get_inventory_item_group(key)
        if group is None:
            return
        sold = [m for m in members if self._has_sales(m.sku)]
        if sold:  # eBay refuses to remove those: their quantity goes to 0 instead
            self._zero(sold, state, "a variation with sales cannot be removed from its group")
        members = [m for m in members if m not in sold]
        if not members:
            return
        leaving = {m.sku for m in members}
        remaining = [s for s in group.get("variantSKUs") or [] if s not in leaving]
        lead = members[0].sku
        if not remaining:
            self.client.withdraw_by_inventory_item_group(key, sku=lead)
            return
        body = {k: v for k, v in group.items() if k != "inventoryItemGroupKey"}
        body["variantSKUs"] = remaining
        body["variesBy"] = self._varies_by(group.get("variesBy") or {}, remaining)
        try:
            self.client.put_inventory_item_group(key, body, sku=lead)
        except ItemRejected as exc:  # e.g. a variation with sales: eBay keeps it
            self._zero(members, state, exc.message)

    def _has_sales(self, sku: str) -> bool:
        """True when the SKU's listing sold units (getOffers: listing.soldQuantity)."""
        offer = marketplace_offer(self.client.get_offers(sku), self.client.marketplace_id)
        return bool(offer and int((offer.get("listing") or {}).get("soldQuantity") or 0))

    def _varies_by(self, varies_by: dict[str, Any], skus: Sequence[str]) -> dict[str, Any]:
        """``variesBy`` with only the values the remaining variants have."""
        names = [spec.get("name") for spec in varies_by.get("specifications") or []]
        values: dict[str, list[str]] = {str(n): [] for n in names if n}
        for start in range(0, len(skus), MAX_BULK_ITEMS):
            body = self.client.bulk_get_inventory_item(list(skus[start:start + MAX_BULK_ITEMS]))
            for entry in body.get("responses") or []:
                aspects = ((entry.get("inventoryItem") or {}).get("product") or {}).get(
                    "aspects") or {}
                for name in values:
                    values[name].extend(v for v in aspects.get(name) or []
                                        if v not in values[name])
        return {**varies_by, "specifications": [{"name": name, "values": found}
                                                for name, found in values.items()]}

    def _zero(self, members: Sequence[RenderedItem], state: BatchState, why: str) -> None:
        requests = [{"sku": m.sku, "shipToLocationAvailability": {"quantity": 0}}
                    for m in members]
        self.client.bulk_update_price_quantity(requests)
        for member in members:
            state.warn(member.sku, [Issue(
                sku=member.sku, severity=Severity.WARNING, code="ebay.variation_kept",
                message=f"eBay keeps this variation ({why}); its quantity is set to 0 instead",
                source="ebay")])
