"""The Inventory API steps of one batch: items → offers → publish, price/quantity, withdraw.

One batch of at most 25 SKUs costs one call per bulk step, whatever its size:

1. ``bulkCreateOrReplaceInventoryItem`` for every create and content update;
2. offers: ``bulkCreateOffer`` for SKUs without a known offer id — an offer that already
   exists (error 25002, a previous run whose answer was lost) is read back from the error's
   ``offerId`` parameter and replaced with ``updateOffer``; ``updateOffer`` also for a content
   change of an offer field (category, description …); a price change inside a content update
   goes through ``bulkUpdatePriceQuantity`` (batched) instead;
3. ``bulkPublishOffer`` for new single-SKU listings; families instead get their
   ``inventory_item_group`` (read back, merged, replaced) and ``publishOfferByInventoryItemGroup``.

A SKU that fails a step is that SKU's outcome (rejected with eBay's errors, or deferred when
eBay reported a system error) and leaves the later steps; its batch-mates carry on.
Every step is safe to repeat, so a failed batch is simply planned again by the next run.
Deletes are in ``withdraw``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedsync.adapters.ebay import render, responses
from feedsync.adapters.ebay.client import EbayClient
from feedsync.adapters.ebay.live import marketplace_offer

from feedsync.adapter import ItemOutcome, ItemStatus, RenderedItem
from feedsync.errors import ItemRejected
from feedsync.models import Issue, Severity


@dataclass
class BatchState:
    """The outcomes decided so far, and the SKUs still going through the steps."""

    outcomes: dict[str, ItemOutcome] = field(default_factory=dict)
    warnings: dict[str, list[Issue]] = field(default_factory=dict)
    offer_ids: dict[str, str] = field(default_factory=dict)
    # SKUs whose offer this batch created or found (25002): publish them even on an update,
    # since nothing says they were ever published (a second publish only revises).
    fresh: set[str] = field(default_factory=set)

    def fail(self, sku: str, result: responses.EntryResult) -> None:
        """Record a failed entry: deferred when transient, rejected otherwise."""
        status = ItemStatus.DEFERRED if result.transient else ItemStatus.REJECTED
        self.outcomes[sku] = ItemOutcome(sku=sku, status=status, issues=result.issues,
                                         remote_id=self.offer_ids.get(sku))

    def reject(self, sku: str, message: str, code: str = "ebay.rejected") -> None:
        """Record a rejection feedsync or a single-item call reported."""
        self.outcomes[sku] = ItemOutcome(sku=sku, status=ItemStatus.REJECTED, issues=[Issue(
            sku=sku, severity=Severity.ERROR, code=code, message=message, source="ebay")],
            remote_id=self.offer_ids.get(sku))

    def pending(self, items: Sequence[RenderedItem]) -> list[RenderedItem]:
        """The items without an outcome yet."""
        return [i for i in items if i.sku not in self.outcomes]

    def warn(self, sku: str, issues: Sequence[Issue]) -> None:
        """Keep eBay's warnings for the SKU's final outcome."""
        self.warnings.setdefault(sku, []).extend(
            i for i in issues if i.severity is Severity.WARNING)

    def accept(self, items: Sequence[RenderedItem], status: ItemStatus) -> list[ItemOutcome]:
        """Every item still pending is accepted; the outcomes in batch order."""
        for item in self.pending(items):
            self.outcomes[item.sku] = ItemOutcome(
                sku=item.sku, status=status, issues=self.warnings.get(item.sku, []),
                remote_id=self.offer_ids.get(item.sku))
        return [self.outcomes[i.sku] for i in items]


class Publisher:
    """Runs the steps of the module docstring for one batch."""

    def __init__(self, client: EbayClient, ctx: render.RenderContext) -> None:
        self.client = client
        self.ctx = ctx

    # --- creates and content updates ---------------------------------------------------------

    def listings(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        """Steps 1–3 for creates and content updates (outcomes land in ``state``)."""
        for item in items:
            if item.payload.get("offer_id"):
                state.offer_ids[item.sku] = str(item.payload["offer_id"])
        self._items(items, state)
        self._offers(state.pending(items), state)
        self._prices(state.pending(items), state)
        self._publish(state.pending(items), state)
        self._groups(state.pending(items), state)

    def _items(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        body = self.client.bulk_create_or_replace_inventory_item(
            [i.payload["item"] for i in items])
        self._read(body, items, state, responses.by_sku, "bulkCreateOrReplaceInventoryItem")

    def _read(self, body: Any, items: Sequence[RenderedItem], state: BatchState,
              reader: Callable[..., dict[str, responses.EntryResult]], what: str,
              key: Any = None) -> dict[str, responses.EntryResult]:
        try:
            results = reader(body, key if key is not None else [i.sku for i in items], what)
        except ValueError as exc:
            for item in items:
                state.reject(item.sku, str(exc), "ebay.bad_answer")
            return {}
        for item in items:
            result = results[item.sku]
            if result.ok:
                state.warn(item.sku, result.issues)
            else:
                state.fail(item.sku, result)
        return results

    def _offers(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        new = [i for i in items if i.sku not in state.offer_ids]
        replace = [i for i in items if i.sku in state.offer_ids
                   and (i.payload["create"] or i.payload["offer_update"])]
        if new:
            body = self.client.bulk_create_offer([i.payload["offer"] for i in new])
            try:
                results = responses.by_sku(body, [i.sku for i in new], "bulkCreateOffer")
            except ValueError as exc:
                for item in new:
                    state.reject(item.sku, str(exc), "ebay.bad_answer")
                results = {}
            for item in new:
                result = results.get(item.sku)
                if result is None:
                    continue
                existing = responses.error_parameter(result.raw, responses.OFFER_EXISTS,
                                                     "offerId")
                if result.ok and result.offer_id:
                    state.offer_ids[item.sku] = result.offer_id
                    state.fresh.add(item.sku)
                    state.warn(item.sku, result.issues)
                elif existing:  # created by an earlier attempt: replace it with ours
                    state.offer_ids[item.sku] = existing
                    state.fresh.add(item.sku)
                    replace.append(item)
                else:
                    state.fail(item.sku, result)
        for item in replace:
            try:
                answer = self.client.update_offer(state.offer_ids[item.sku],
                                                  item.payload["offer_body"], sku=item.sku)
            except ItemRejected as exc:
                state.reject(item.sku, exc.message)
                continue
            state.warn(item.sku, responses.warnings_of(answer, item.sku))

    def _prices(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        changed = [i for i in items if i.payload.get("price_quantity") is not None
                   and not i.payload["create"] and not i.payload["offer_update"]]
        if changed:
            self.price_quantity(changed, state)

    def _publish(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        singles = {state.offer_ids[i.sku]: i.sku for i in items
                   if (i.payload["create"] or i.sku in state.fresh)
                   and not i.payload.get("group")}
        if not singles:
            return
        body = self.client.bulk_publish_offer(list(singles))
        chosen = [i for i in items if i.sku in singles.values()]
        self._read(body, chosen, state, responses.by_offer, "bulkPublishOffer", key=singles)

    def _groups(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        families: dict[str, list[RenderedItem]] = {}
        for item in items:
            if item.payload.get("group"):
                families.setdefault(item.payload["group"], []).append(item)
        for key, members in sorted(families.items()):
            lead = members[0].sku
            try:
                existing = self.client.get_inventory_item_group(key)
                body = render.group(key, [(m.sku, m.payload["fields"]) for m in members],
                                    existing, self.ctx)
                self.client.put_inventory_item_group(key, body, sku=lead)
                if any(m.payload["create"] or m.sku in state.fresh for m in members):
                    answer = self.client.publish_by_inventory_item_group(key, sku=lead)
                    for member in members:
                        state.warn(member.sku, responses.warnings_of(answer, member.sku))
            except ItemRejected as exc:
                for member in members:
                    state.reject(member.sku, f"inventory item group {key!r}: {exc.message}",
                                 "ebay.group_rejected")

    # --- price and quantity -----------------------------------------------------------------

    def price_quantity(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        """One bulkUpdatePriceQuantity for the items' ``price_quantity`` requests.

        A SKU whose offer id feedsync does not know (a listing found by reconcile) has it read
        back first: eBay prices live on the offer."""
        requests_, sent = [], []
        for item in items:
            request = dict(item.payload["price_quantity"])
            entry = item.payload.get("offer_entry") or {}
            offer_id = state.offer_ids.get(item.sku) or self._read_offer_id(item.sku)
            if offer_id:
                state.offer_ids[item.sku] = offer_id
                request["offers"] = [{"offerId": offer_id, **entry}]
            elif "price" in entry:
                state.reject(item.sku, "eBay has no offer for this SKU on the marketplace; "
                             "the next full push lists it", "ebay.no_offer")
                continue
            requests_.append(request)
            sent.append(item)
        if requests_:
            body = self.client.bulk_update_price_quantity(requests_)
            self._read(body, sent, state, responses.by_sku, "bulkUpdatePriceQuantity")

    def _read_offer_id(self, sku: str) -> str | None:
        offer = marketplace_offer(self.client.get_offers(sku), self.client.marketplace_id)
        return str(offer["offerId"]) if offer and offer.get("offerId") else None
