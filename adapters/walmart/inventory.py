"""Quantities to Walmart: PUT /v3/inventory for a few SKUs, MP_INVENTORY feeds for more.

- PUT /v3/inventory?sku=…&shipNode=… (updateInventoryForAnItem) is applied at once; Walmart
  documents it for exceptions ("primarily designed for emergency usage and are highly
  throttled", https://developer.walmart.com/cl-marketplace/docs/throttling), which is what the
  orders fast path is: a handful of SKUs that just sold elsewhere. Each SKU gets its own
  outcome; an unknown SKU is rejected, a throttled or failing call defers it and the rest.
- MP_INVENTORY (spec 1.5, multi-node, JSON only; https://developer.walmart.com/us-marketplace/
  docs/bulk-inventory-update-feed) for everything else, split to stay under 5 MB and 10,000
  SKUs per feed, each feed a step of the submission.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from feedsync.adapters.walmart import limits as ops
from feedsync.adapters.walmart import render
from feedsync.adapters.walmart.client import WalmartClient
from feedsync.adapters.walmart.config import WalmartConfig
from feedsync.adapters.walmart.feeds import FeedSender, QuotaSpent, Step, deferred

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import ChannelError, CircuitOpen, TransientError
from feedsync.models import Issue, Severity


class InventorySender:
    """Sends quantities at the configured ship node."""

    def __init__(self, feeds: FeedSender, client: WalmartClient, config: WalmartConfig) -> None:
        self.feeds = feeds
        self.client = client
        self.config = config

    def send(self, quantities: Mapping[str, int]) -> tuple[list[Step], list[ItemOutcome]]:
        """Feeds started (to be polled) and outcomes already known (calls made, deferrals)."""
        node = self.config.require_ship_node()
        if len(quantities) <= self.config.inventory_api_max_items:
            return [], self._put_each(quantities, node)
        steps: list[Step] = []
        outcomes: list[ItemOutcome] = []
        for chunk in self._chunks(quantities, node):
            skus = [entry["sku"] for entry in chunk]
            if outcomes:  # the quota ran out: the rest waits too
                outcomes += deferred(skus, outcomes[0].issues[0].message)
                continue
            document = render.inventory_feed(chunk, version=self.config.inventory_spec_version)
            try:
                steps.append(self.feeds.send(ops.MP_INVENTORY, document, skus))
            except QuotaSpent as spent:
                outcomes += deferred(skus, spent.note)
            except TransientError as exc:  # the feeds already sent (prices, items) stand
                outcomes += deferred(skus, exc.message, code="transient")
        return steps, outcomes

    def _chunks(self, quantities: Mapping[str, int], node: str
                ) -> Iterator[list[dict[str, object]]]:
        chunk: list[dict[str, object]] = []
        size = ops.FEED_ENVELOPE_BYTES
        for sku, quantity in quantities.items():
            entry = render.inventory_entry(sku, quantity, node)
            entry_size = render.size_of(entry)
            if chunk and (len(chunk) >= ops.MAX_FEED_ITEMS
                          or size + entry_size > ops.MAX_INVENTORY_FEED_BYTES):
                yield chunk
                chunk, size = [], ops.FEED_ENVELOPE_BYTES
            chunk.append(entry)
            size += entry_size
        if chunk:
            yield chunk

    def _put_each(self, quantities: Mapping[str, int], node: str) -> list[ItemOutcome]:
        outcomes: list[ItemOutcome] = []
        stopped: str | None = None
        for sku, quantity in quantities.items():
            if stopped is not None:
                outcomes += deferred([sku], stopped, code="transient")
                continue
            try:
                self.client.update_inventory(sku, node, render.inventory_body(sku, quantity))
            except CircuitOpen:
                raise
            except TransientError as exc:  # throttled or failing: this SKU and the rest wait
                stopped = exc.message
                outcomes += deferred([sku], stopped, code="transient")
                continue
            except ChannelError as exc:  # Walmart refused this SKU (unknown SKU, bad data)
                outcomes.append(ItemOutcome(sku=sku, status=ItemStatus.REJECTED, issues=[
                    Issue(sku=sku, severity=Severity.ERROR, code="inventory_refused",
                          message=exc.message, field="quantity", source="walmart")]))
                continue
            outcomes.append(ItemOutcome(sku=sku, status=ItemStatus.ACCEPTED))
        return outcomes
