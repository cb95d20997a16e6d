"""The eBay adapter: Inventory API listings and variations, bulk price/quantity, Fulfillment
API orders and shipments, read-back for reconcile.

Batches hold at most 25 SKUs (every bulk Inventory API call's maximum); price/quantity-only
changes batch apart so they take one ``bulkUpdatePriceQuantity`` call per 25 SKUs — that is
also the path of the orders fast path, so an order on another channel reaches eBay in the same
run. The steps of a listing batch are in ``publish``; eBay's per-listing revision limit (250 a
day) is spent per SKU from the core's per-key daily budget before anything is sent: a SKU over
it is deferred with a note and sent by a later run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from feedsync.adapters.ebay import live, render
from feedsync.adapters.ebay import orders as ebay_orders
from feedsync.adapters.ebay.auth import ebay_auth
from feedsync.adapters.ebay.client import EbayClient
from feedsync.adapters.ebay.config import EbayConfig, load_credentials
from feedsync.adapters.ebay.limits import (
    API,
    LIMITS,
    MAX_BULK_ITEMS,
    REVISION,
    REVISIONS_PER_LISTING_PER_DAY,
)
from feedsync.adapters.ebay.publish import BatchState, Publisher
from feedsync.adapters.ebay.shipments import push_shipments
from feedsync.adapters.ebay.withdraw import Withdrawer

from feedsync.adapter import (
    Action,
    Adapter,
    AdapterConfig,
    AdapterContext,
    Batch,
    Capability,
    ItemOutcome,
    ItemStatus,
    Limits,
    OrderPage,
    PlannedChange,
    RenderedItem,
    Submission,
    SubmissionState,
)
from feedsync.http import HttpAuth
from feedsync.models import Issue, Severity, Shipment

DEFERRED = "deferred_revision_limit"


class EbayAdapter(Adapter[EbayConfig]):
    """eBay Sell APIs (see the module docstring)."""

    name: ClassVar[str] = "ebay"
    Config: ClassVar[type[AdapterConfig]] = EbayConfig
    capabilities: ClassVar[Capability] = (
        Capability.API_PUSH | Capability.PRICE_QUANTITY | Capability.DELETE
        | Capability.ORDERS | Capability.SHIPMENTS | Capability.FETCH_LIVE
    )
    limits: ClassVar[Limits] = LIMITS
    api = API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        cfg = self.config
        self.render_context = render.RenderContext(
            marketplace_id=cfg.marketplace_id, content_language=cfg.content_language,
            merchant_location_key=cfg.merchant_location_key,
            fulfillment_policy_id=cfg.fulfillment_policy_id,
            payment_policy_id=cfg.payment_policy_id, return_policy_id=cfg.return_policy_id,
            max_aspect_values=cfg.max_aspect_values)
        self._client: EbayClient | None = None

    # --- wiring (the core builds ``self.http`` from these) --------------------------------------

    def require_api_config(self) -> None:
        """ConfigError naming each setting a publish needs."""
        self.config.require_account()

    def http_auth(self) -> HttpAuth:
        """The refresh-token grant from the channel's secrets (ConfigError names missing ones)."""
        return ebay_auth(load_credentials(self.context.secrets), self.config.oauth_token_url)

    @property
    def client(self) -> EbayClient:
        """The Sell API operations, over the core-built HTTP client."""
        if self._client is None:
            self._client = EbayClient(self.http, content_language=self.config.content_language,
                                      marketplace_id=self.config.marketplace_id)
        return self._client

    # --- render ---------------------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """One change → the bodies its steps send (deterministic; RenderError on bad data)."""
        ctx = self.render_context
        if change.action is Action.DELETE or change.record is None:
            payload: dict[str, Any] = {"kind": "delete", "sku": change.sku,
                                       "offer_id": change.remote_id}
            return RenderedItem(change.sku, change.action, payload,
                                len(render.dumps(payload)))
        fields = change.record.fields
        group = render.one(fields, "inventory_item_group_key")
        if change.action is Action.PRICE_QUANTITY:
            parts = change.changed_parts & {"price", "quantity"}
            payload = {"kind": "price_quantity", "sku": change.sku, "offer_id": change.remote_id,
                       "listing": group or change.sku,
                       "price_quantity": render.price_quantity(change.sku, fields,
                                                               change.remote_id, parts),
                       "offer_entry": render.offer_entry(change.sku, fields, parts)}
            return RenderedItem(change.sku, change.action, payload,
                                len(render.dumps(payload)))
        create = change.action is Action.CREATE
        offer_changed = create or not change.diff or bool(render.OFFER_FIELDS & set(change.diff))
        price_changed = "price" in change.changed_parts and not create
        payload = {
            "kind": "listing", "sku": change.sku, "create": create,
            "listing": group or change.sku,
            "offer_id": change.remote_id,
            "item": render.inventory_item(change.sku, fields, ctx),
            "offer": render.offer(change.sku, fields, ctx),
            "offer_body": render.offer_update(change.sku, fields, ctx),
            "offer_update": offer_changed and not create,
            "price_quantity": render.price_quantity(change.sku, fields, change.remote_id,
                                                    {"price"}) if price_changed else None,
            "offer_entry": render.offer_entry(change.sku, fields, {"price"}),
            "group": group,
            "fields": dict(fields) if group else None,
        }
        if group:  # the group's body must render too: find its problems before sending
            render.group(group, [(change.sku, fields)], None, ctx)
        return RenderedItem(change.sku, change.action, payload, len(render.dumps(payload)))

    # --- submit ---------------------------------------------------------------------------------

    def batch_key(self, item: RenderedItem) -> str:
        """Price/quantity-only changes batch apart: one bulkUpdatePriceQuantity per 25 SKUs."""
        return "price_quantity" if item.action is Action.PRICE_QUANTITY else "listing"

    def _spend_revisions(self, items: Sequence[RenderedItem], state: BatchState) -> None:
        """One revision of the SKU's listing per change (the variants of a family share one
        listing, so their changes share its budget); creates revise nothing yet."""
        budget = self.http.key_budget(REVISION)
        for item in items:
            if item.action is Action.CREATE:
                continue
            if not budget.try_consume(str(item.payload.get("listing") or item.sku)):
                state.outcomes[item.sku] = ItemOutcome(
                    item.sku, ItemStatus.DEFERRED, [Issue(
                        sku=item.sku, severity=Severity.WARNING, code=DEFERRED,
                        message=f"not sent: eBay allows {REVISIONS_PER_LISTING_PER_DAY} "
                                "revisions per listing a day and this listing has used them; "
                                "a later run sends the latest data", source=self.name)])

    def submit(self, batch: Batch) -> Submission:
        """Send one batch (≤ 25 SKUs) through the Inventory API steps; outcomes per SKU."""
        if len(batch.items) > MAX_BULK_ITEMS:
            raise ValueError(f"ebay: a batch of {len(batch.items)} items exceeds "
                             f"{MAX_BULK_ITEMS}")
        self.http.breaker.check()  # a stopped channel must not spend listings' budgets
        state = BatchState()
        self._spend_revisions(batch.items, state)
        publisher = Publisher(self.client, self.render_context)
        todo = state.pending(batch.items)
        listings = [i for i in todo if i.payload["kind"] == "listing"]
        prices = [i for i in todo if i.payload["kind"] == "price_quantity"]
        deletes = [i for i in todo if i.payload["kind"] == "delete"]
        if listings:
            publisher.listings(listings, state)
        if prices:
            for item in prices:
                if item.payload.get("offer_id"):
                    state.offer_ids[item.sku] = str(item.payload["offer_id"])
            publisher.price_quantity(prices, state)
        if deletes:
            Withdrawer(self.client).delete(deletes, state, self.config.delete_inventory_item)
            for item in state.pending(deletes):
                state.outcomes[item.sku] = ItemOutcome(item.sku, ItemStatus.DELETED,
                                                       state.warnings.get(item.sku, []))
        return Submission(channel=self.name, handle=None, state=SubmissionState.DONE,
                          skus=batch.skus, outcomes=state.accept(batch.items,
                                                                 ItemStatus.ACCEPTED),
                          detail={"steps": "inventory"})

    # --- orders, shipments, read-back ---------------------------------------------------------

    def _keep_personal_data(self) -> bool:
        workspace = getattr(self.context, "workspace", None)
        orders = getattr(getattr(workspace, "settings", None), "orders", None)
        return bool(getattr(orders, "keep_personal_data", False))

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Orders modified since ``since`` (getOrders, lastmodifieddate filter, 200 a page)."""
        return ebay_orders.pull_orders(self.client, since, now=self.clock.now,
                                       account=self.context.account,
                                       keep_personal_data=self._keep_personal_data())

    def push_shipments(self, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
        """createShippingFulfillment per shipment, never twice for one tracking number."""
        return push_shipments(self.client, shipments)

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Quantities (bulkGetInventoryItem, 25 a call) and offers (getOffers) of ``skus``."""
        for start in range(0, len(skus), MAX_BULK_ITEMS):
            chunk = list(skus[start:start + MAX_BULK_ITEMS])
            quantities = live.item_quantities(self.client.bulk_get_inventory_item(chunk))
            for sku in chunk:
                if sku not in quantities:
                    yield live.live_entry(sku, None, None)
                    continue
                offer = live.marketplace_offer(self.client.get_offers(sku),
                                               self.config.marketplace_id)
                yield live.live_entry(sku, quantities[sku], offer)


ADAPTER = EbayAdapter
