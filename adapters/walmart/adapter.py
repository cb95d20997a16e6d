"""The Walmart adapter: MP_ITEM, RETIRE_ITEM, price and MP_INVENTORY feeds; orders; shipping.

What a batch becomes (``batch_key`` keeps the kinds apart):

- ``item`` (create, content update): one MP_ITEM feed (≤ 10,000 items, < 10 MB). MP_ITEM carries
  the price but not the quantity, so once the feed is processed the SKUs Walmart took get their
  quantity in a follow-up inventory step of the same submission (Walmart refuses inventory for
  an item it has not ingested yet);
- ``retire`` (delete): one RETIRE_ITEM feed;
- ``offer`` (price and/or quantity only): a price feed for the SKUs whose price changed, and for
  quantities either PUT /v3/inventory per SKU — when at most ``inventory_api_max_items`` SKUs
  changed quantity, so an order taken elsewhere reaches Walmart in the same run — or an
  MP_INVENTORY feed at the configured ship node.

Feeds are asynchronous (items up to four hours): ``submit`` returns a pending submission whose
detail lists its feeds (``adapters.walmart.feeds``); ``poll`` reads their status, pages item
details ≤ 50 at a time, and finishes when every feed is PROCESSED/ERROR. The core records
pending submissions and polls them again in later runs, so no run waits for hours. A feed type
whose hourly quota is spent is not sent: its SKUs are deferred with a note saying when the next
feed can go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from feedsync.adapters.walmart import items as live
from feedsync.adapters.walmart import limits as ops
from feedsync.adapters.walmart import orders as walmart_orders
from feedsync.adapters.walmart import render, shipments
from feedsync.adapters.walmart.auth import walmart_auth
from feedsync.adapters.walmart.client import WalmartClient
from feedsync.adapters.walmart.config import WalmartConfig, load_credentials
from feedsync.adapters.walmart.feeds import (
    FeedSender,
    QuotaSpent,
    Step,
    deferred,
    recorded_feed_ids,
)
from feedsync.adapters.walmart.inventory import InventorySender
from feedsync.adapters.walmart.walk import CatalogWalk

from feedsync.adapter import (
    Action,
    Adapter,
    AdapterConfig,
    AdapterContext,
    Batch,
    Capability,
    HttpApi,
    ItemOutcome,
    ItemStatus,
    Limits,
    OrderPage,
    PlannedChange,
    RenderedItem,
    Submission,
    SubmissionState,
)
from feedsync.errors import ChannelError, CircuitOpen, TransientError
from feedsync.http import HttpAuth
from feedsync.models import Shipment

log = logging.getLogger("feedsync.adapters.walmart")

ITEM, RETIRE, OFFER = "item", "retire", "offer"
# Per status, the strength with which it wins when one SKU has outcomes from several feeds.
_RANK = {ItemStatus.REJECTED: 4, ItemStatus.DEFERRED: 3, ItemStatus.PENDING: 3,
         ItemStatus.DELETED: 1, ItemStatus.ACCEPTED: 0}
FEW_SKUS = 20  # fetch_live reads these one by one; more are read by paging everything


class WalmartAdapter(Adapter[WalmartConfig]):
    """Walmart Marketplace (US). See the module docstring for what each batch becomes."""

    name: ClassVar[str] = "walmart"
    Config: ClassVar[type[AdapterConfig]] = WalmartConfig
    capabilities: ClassVar[Capability] = (
        Capability.API_PUSH | Capability.PRICE_QUANTITY | Capability.DELETE
        | Capability.ORDERS | Capability.ACKNOWLEDGE | Capability.SHIPMENTS
        | Capability.FETCH_LIVE
    )
    limits: ClassVar[Limits] = ops.LIMITS
    api: ClassVar[HttpApi | None] = ops.API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self._client: WalmartClient | None = None
        self._sent_feeds: set[str] = set()  # sent or adopted by this run's batches
        self._recorded_feeds: set[str] | None = None  # earlier runs': read on a lost answer

    # --- wiring (the core builds ``self.http``; rendering needs no credentials) ---------------

    def http_auth(self) -> HttpAuth:
        """Token and WM_* headers from the channel's secrets (ConfigError names missing ones)."""
        return walmart_auth(self.base_url(), load_credentials(self.context.secrets),
                            self.config.service_name, self.config.consumer_channel_type)

    @property
    def client(self) -> WalmartClient:
        """The Walmart operations, over the core-built HTTP client."""
        if self._client is None:
            self._client = WalmartClient(self.http)
        return self._client

    @property
    def feeds(self) -> FeedSender:
        """Feed uploads within their quotas, and their status."""
        return FeedSender(self.http, self.client, self._sent_feeds, self._feeds_recorded)

    def _feeds_recorded(self) -> set[str]:
        """Feeds earlier batches sent or adopted: never adopted again by a lost upload."""
        if self._recorded_feeds is None:
            self._recorded_feeds = recorded_feed_ids(self.context.db, self.name,
                                                     self.context.account)
        return self._recorded_feeds

    @property
    def inventory(self) -> InventorySender:
        """Quantities: PUT /v3/inventory for a few SKUs, MP_INVENTORY feeds for more."""
        return InventorySender(self.feeds, self.client, self.config)

    # --- render -------------------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """One change as the payload of its batch kind (see the module docstring)."""
        sku = change.sku
        payload: dict[str, Any]
        if change.action is Action.DELETE or change.record is None:
            payload = {"kind": RETIRE, "entry": render.retire_entry(sku)}
        else:
            fields = change.record.fields
            quantity = render.quantity_of(sku, fields)
            if change.action is Action.PRICE_QUANTITY:
                parts = change.changed_parts & {"price", "quantity"} or {"price", "quantity"}
                payload = {"kind": OFFER,
                           "price": render.price_entry(sku, fields) if "price" in parts
                           else None,
                           "quantity": quantity if "quantity" in parts else None}
                if payload["price"] is None and payload["quantity"] is None:
                    raise render.reject(sku, "quantity", "a quantity update needs a quantity")
            else:
                # MP_ITEM does not carry the quantity: a new item gets it once ingested; a
                # content update leaves Walmart's quantity alone unless it changed too.
                resend = change.action is Action.CREATE or "quantity" in change.changed_parts
                payload = {"kind": ITEM, "entry": render.mp_item(sku, fields),
                           "quantity": quantity if resend else None}
        return RenderedItem(sku=sku, action=change.action, payload=payload,
                            size=render.size_of(payload.get("entry") or payload))

    def batch_key(self, item: RenderedItem) -> str:
        """Item feeds, retire feeds and price/quantity updates never share a batch."""
        return str(item.payload["kind"])

    # --- submit -------------------------------------------------------------------------------

    def submit(self, batch: Batch) -> Submission:
        """Send one batch: its feed(s), or inventory calls (see the module docstring)."""
        kind = self.batch_key(batch.items[0]) if batch.items else ITEM
        detail: dict[str, Any] = {"kind": kind, "steps": [], "outcomes": []}
        try:
            if kind == ITEM:
                detail["quantities"] = {i.sku: i.payload["quantity"] for i in batch.items
                                        if i.payload.get("quantity") is not None}
                document = render.item_feed([i.payload["entry"] for i in batch.items],
                                            version=self.config.item_spec_version,
                                            locale=self.config.locale,
                                            sub_category=self.config.sub_category)
                step = self.feeds.send(ops.MP_ITEM, document, batch.skus)
                detail["steps"].append(step.as_dict())
            elif kind == RETIRE:
                document = render.retire_feed(batch.skus,
                                              version=self.config.retire_spec_version,
                                              feed_date=self._feed_date())
                step = self.feeds.send(ops.RETIRE_ITEM, document, batch.skus)
                detail["steps"].append(step.as_dict())
            else:
                self._submit_offers(batch, detail)
        except QuotaSpent as spent:
            return self._finish(batch.skus, detail, deferred(batch.skus, spent.note))
        if not detail["steps"]:  # inventory calls only: final already
            return self._finish(batch.skus, detail, [_load(o) for o in detail["outcomes"]])
        # A feed is never processed within the second it was sent: the core polls it later.
        return Submission(channel=self.name, handle=_first_feed(detail),
                          state=SubmissionState.PENDING, skus=batch.skus, detail=detail)

    def _feed_date(self) -> str:
        return self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def _submit_offers(self, batch: Batch, detail: dict[str, Any]) -> None:
        prices = [i.payload["price"] for i in batch.items if i.payload.get("price")]
        quantities = {i.sku: int(i.payload["quantity"]) for i in batch.items
                      if i.payload.get("quantity") is not None}
        if prices:
            document = render.price_feed(prices, version=self.config.price_spec_version)
            try:
                step = self.feeds.send(ops.PRICE, document, [p["sku"] for p in prices])
                detail["steps"].append(step.as_dict())
            except QuotaSpent as spent:
                detail["outcomes"] += [_dump(o) for o in deferred([p["sku"] for p in prices],
                                                                  spent.note)]
        if quantities:
            steps, outcomes = self.inventory.send(quantities)
            detail["steps"] += [s.as_dict() for s in steps]
            detail["outcomes"] += [_dump(o) for o in outcomes]

    # --- poll ---------------------------------------------------------------------------------

    def poll(self, submission: Submission) -> Submission:
        """Read the status of the submission's feeds; finish it when every feed is final."""
        if submission.state is not SubmissionState.PENDING:
            return submission
        try:
            return self._settle(submission.skus, submission.detail, submission)
        except ChannelError as exc:
            if exc.status != 404:
                raise
            # Walmart no longer knows the feed: nothing can be learnt about it, so its SKUs
            # are released and the next plan sends them again (feeds set absolute values).
            submission.state = SubmissionState.FAILED
            submission.error = f"walmart: feed status unavailable ({exc.message})"
            return submission

    def _settle(self, skus: list[str], detail: dict[str, Any],
                submission: Submission | None = None) -> Submission:
        deleted = detail.get("kind") == RETIRE
        for raw in detail["steps"]:
            if raw.get("done"):
                continue
            step = Step.from_dict(raw)
            results = self.feeds.outcomes(step, self.config.feed_status_page_size,
                                          deleted=deleted and step.type == ops.RETIRE_ITEM)
            if results is None:
                continue
            raw["done"] = True
            # Accepted is what a final submission assumes of every SKU it does not mention:
            # only the others are kept (a 10,000-item feed would otherwise store 10,000 rows).
            detail["outcomes"] += [_dump(o) for o in results if o.status is not ItemStatus.ACCEPTED]
            if step.type == ops.MP_ITEM:
                self._follow_up_inventory(detail, results)
        if not all(raw.get("done") for raw in detail["steps"]):
            pending = submission or Submission(channel=self.name, handle=None,
                                               state=SubmissionState.PENDING, skus=skus)
            pending.handle = pending.handle or _first_feed(detail)
            pending.detail = detail
            return pending
        outcomes = [_load(o) for o in detail["outcomes"]]
        return self._finish(skus, detail, outcomes)

    def _follow_up_inventory(self, detail: dict[str, Any], results: list[ItemOutcome]) -> None:
        """After an item feed: send the quantities of the SKUs Walmart ingested."""
        wanted = detail.get("quantities") or {}
        taken = {o.sku: int(wanted[o.sku]) for o in results
                 if o.status is ItemStatus.ACCEPTED and o.sku in wanted}
        if not taken:
            return
        steps, outcomes = self.inventory.send(taken)
        detail["steps"] += [s.as_dict() for s in steps]
        detail["outcomes"] += [_dump(o) for o in outcomes]

    def _finish(self, skus: list[str], detail: dict[str, Any],
                outcomes: list[ItemOutcome]) -> Submission:
        merged: dict[str, ItemOutcome] = {}
        for outcome in outcomes:
            known = merged.get(outcome.sku)
            if known is None:
                merged[outcome.sku] = outcome
                continue
            strongest = max(known.status, outcome.status, key=lambda s: _RANK[s])
            merged[outcome.sku] = ItemOutcome(
                sku=outcome.sku, status=strongest, issues=known.issues + outcome.issues,
                remote_id=known.remote_id or outcome.remote_id)
        for sku, outcome in merged.items():
            if outcome.status is ItemStatus.PENDING:  # an item Walmart left in progress
                merged[sku] = ItemOutcome(sku=sku, status=ItemStatus.DEFERRED,
                                          issues=outcome.issues, remote_id=outcome.remote_id)
        return Submission(channel=self.name, handle=_first_feed(detail),
                          state=SubmissionState.DONE, skus=skus,
                          outcomes=[merged[s] for s in skus if s in merged], detail=detail)

    # --- orders -------------------------------------------------------------------------------

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Purchase orders modified since ``since`` (getAllOrders, nextCursor pages of 200)."""
        return walmart_orders.pull_orders(self.client, since, now=self.clock.now,
                                          account=self.context.account,
                                          ship_node_types=tuple(self.config.order_ship_node_types))

    def ack_orders(self, order_ids: Sequence[str]) -> None:
        """Acknowledge orders already stored. An order Walmart refuses to acknowledge is read
        back: if none of its lines is still Created (cancelled or shipped meanwhile) there is
        nothing to acknowledge; otherwise the refusal is raised (tried again next run)."""
        for order_id in order_ids:
            try:
                self.client.acknowledge(order_id)
            except (CircuitOpen, TransientError):
                raise
            except ChannelError as exc:
                order = self.client.get_order(order_id)
                statuses = {s.get("status") for line in
                            (order.get("orderLines") or {}).get("orderLine") or []
                            for s in (line.get("orderLineStatuses") or {}).get(
                                "orderLineStatus") or []}
                if "Created" in statuses:
                    raise
                log.info("walmart: order %s needs no acknowledgement (%s)", order_id,
                         exc.message)

    def push_shipments(self, shipments_: Sequence[Shipment]) -> list[ItemOutcome]:
        """Ship order lines (POST …/shipping), read back first so a repeat is never sent."""
        return shipments.push_shipments(self.client, shipments_)

    # --- reconcile ----------------------------------------------------------------------------

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What Walmart shows for ``skus``: GET /v3/items and the quantity at the ship node.

        A few SKUs are read one by one; more are answered from one walk of the seller's items
        and inventories per adapter instance (``walk.CatalogWalk``), so reconcile's chunks do
        not walk everything again each."""
        node = self.config.ship_node
        walk = self.__dict__.get("_live_walk")
        if walk is None and len(set(skus)) <= FEW_SKUS:
            for sku in skus:
                body = self.client.get_items(sku=sku)
                found = live.parse_items_page(body)[0] if body else []
                for record in found:
                    if record["sku"] == sku:
                        inventory = self.client.get_inventory(sku, node)
                        if inventory is not None:
                            record["quantity"] = live.parse_inventory(inventory)[1]
                        yield record
            return
        if walk is None:
            walk = self.__dict__["_live_walk"] = CatalogWalk(self.client, node)
        yield from walk.fetch_live(skus)


def _first_feed(detail: dict[str, Any]) -> str | None:
    steps = detail.get("steps") or []
    return str(steps[0]["id"]) if steps else None


def _dump(outcome: ItemOutcome) -> dict[str, Any]:
    return {"sku": outcome.sku, "status": outcome.status.value, "remote_id": outcome.remote_id,
            "issues": [{"sku": i.sku, "severity": i.severity.value, "code": i.code,
                        "message": i.message, "field": i.field, "source": i.source}
                       for i in outcome.issues]}


def _load(data: dict[str, Any]) -> ItemOutcome:
    from feedsync.models import Issue, Severity

    return ItemOutcome(sku=data["sku"], status=ItemStatus(data["status"]),
                       remote_id=data.get("remote_id"),
                       issues=[Issue(sku=i["sku"], severity=Severity(i["severity"]),
                                     code=i["code"], message=i["message"], field=i.get("field"),
                                     source=i.get("source") or "walmart")
                               for i in data.get("issues") or []])


ADAPTER = WalmartAdapter
