"""The Etsy adapter: one listing per catalog family, pushed in steps; receipts; tracking.

Etsy has no bulk or asynchronous listing API: a listing is a draft made by createDraftListing,
given its variants by updateListingInventory, its photos by uploadListingImage, and published by
updateListing ``state=active`` (https://developers.etsy.com/documentation/tutorials/listings).
So a batch is the changed SKUs of one family (``batch_key`` = ``listing_key``), carried out by
:class:`~feedsync.adapters.etsy.listing.ListingFlow`, synchronously, each step recorded as Etsy
confirms it. The SKU → listing mapping is the core's listing state: every SKU's ``remote_id``
is its listing id.

Budget: Etsy counts every call against a daily budget (``limits``); when it runs low, the
adapter sends quantities first, then prices, then content, and defers the rest with a note
(``budget``). A budget that reaches zero mid-family defers the family; its next run resumes at
the missing step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from feedsync.adapters.etsy import budget, live, render
from feedsync.adapters.etsy import orders as etsy_orders
from feedsync.adapters.etsy import shipments as etsy_shipments
from feedsync.adapters.etsy.auth import etsy_auth
from feedsync.adapters.etsy.client import EtsyClient
from feedsync.adapters.etsy.config import EtsyConfig, load_credentials
from feedsync.adapters.etsy.limits import API, LIMITS
from feedsync.adapters.etsy.listing import ListingFlow, estimated_calls
from feedsync.adapters.etsy.schema import AXIS_FIELDS
from feedsync.adapters.etsy.steps import ListingSteps, RefreshMarks, StepStore
from pydantic import SecretStr

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
from feedsync.errors import BudgetExhausted
from feedsync.http import HttpAuth
from feedsync.models import Issue, Shipment

ALL_PARTS = frozenset({"content", "price", "quantity"})


def parts_of(change: PlannedChange) -> frozenset[str]:
    """The parts of a change feedsync sends: all for a create, the changed ones otherwise."""
    if change.action is Action.CREATE or not change.changed_parts:
        return ALL_PARTS
    if change.action is Action.PRICE_QUANTITY:
        return frozenset(change.changed_parts) & {"price", "quantity"}
    return frozenset(change.changed_parts) & ALL_PARTS or ALL_PARTS


def needs_inventory(change: PlannedChange, parts: frozenset[str]) -> bool:
    """Whether a change touches the listing's inventory: a new variant, a price or quantity,
    or a variation value (a content edit of title or tags alone does not; two calls saved)."""
    if change.action is not Action.UPDATE or parts & {"price", "quantity"} or not change.diff:
        return True
    return any(name in change.diff for name in ("sku", *AXIS_FIELDS))


class EtsyAdapter(Adapter[EtsyConfig]):
    """Etsy Open API v3 (see the module docstring)."""

    name: ClassVar[str] = "etsy"
    Config: ClassVar[type[AdapterConfig]] = EtsyConfig
    capabilities: ClassVar[Capability] = (
        Capability.API_PUSH | Capability.PRICE_QUANTITY | Capability.DELETE
        | Capability.ORDERS | Capability.SHIPMENTS | Capability.FETCH_LIVE
    )
    limits: ClassVar[Limits] = LIMITS
    api = API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self._client: EtsyClient | None = None
        self._steps: StepStore | None = None
        self._exhausted: str | None = None  # why the day's budget stopped this run
        self._live: dict[str, dict[str, Any]] | None = None

    # --- wiring (the core builds ``self.http``; rendering needs no credentials) ----------------

    def require_api_config(self) -> None:
        """ConfigError naming the missing shop id."""
        self.config.require_shop()

    def http_auth(self) -> HttpAuth:
        """x-api-key plus the self-refreshing bearer token, from the channel's secrets; without
        a configured refresh token, the one `feedsync auth etsy` stored in the database."""
        db = self.context.db
        secrets = dict(self.context.secrets)
        if not secrets.get("refresh_token") and db is not None:
            from feedsync.http import SqliteStateStore

            stored = SqliteStateStore(db).get_refresh_token(self.name, self.context.account)
            if stored is not None:
                secrets["refresh_token"] = SecretStr(stored.token)
        marks = RefreshMarks(db, self.context.account) if db is not None else None
        return etsy_auth(load_credentials(secrets), self.config.token_url, marks)

    @property
    def client(self) -> EtsyClient:
        """The Etsy operations over the core-built HTTP client."""
        if self._client is None:
            injected = self.context.extras.get("etsy_client")  # bench/etsy_calls.py
            if injected is not None:
                self._client = injected
                return injected
            self._client = EtsyClient(
                self.http, shop_id=self.config.require_shop(),
                known_remaining=self.steps.last_remaining(self.clock.time()))
        return self._client

    @property
    def steps(self) -> StepStore:
        """Per-listing step state in the workspace database."""
        if self._steps is None:
            db = self.context.db
            if db is None:
                import sqlite_utils

                db = sqlite_utils.Database(memory=True)
            self._steps = StepStore(db, self.context.account)
        return self._steps

    # --- render ---------------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """One SKU's change: its family, the parts sent, the listing content, its variant."""
        if change.action is Action.DELETE or change.record is None:
            payload: dict[str, Any] = {"listing_key": None, "listing_id": change.remote_id,
                                       "parts": ["quantity"]}
        else:
            fields = change.record.fields
            parts = parts_of(change)
            variant = render.variant(change.sku, fields, self.config)
            payload = {
                "listing_key": str(fields.get("listing_key") or change.sku),
                "parts": sorted(parts),
                "inventory": needs_inventory(change, parts),
                "variant": {"properties": [list(p) for p in variant.properties],
                            "price": str(variant.price), "quantity": variant.quantity},
            }
            if "content" in parts:
                payload["content"] = [list(p) for p in
                                      render.update_form(fields, self.config, change.sku)]
                images = fields.get("images") or []
                payload["images"] = [images] if isinstance(images, str) else list(images)
        size = len(json.dumps(payload, sort_keys=True))
        return RenderedItem(sku=change.sku, action=change.action, payload=payload, size=size)

    def batch_key(self, item: RenderedItem) -> str:
        """One listing per batch: its family (deletes: the listing id they are listed under)."""
        key = item.payload.get("listing_key")
        return f"family:{key}" if key else f"listing:{item.payload.get('listing_id') or ''}"

    # --- submit ---------------------------------------------------------------------------

    def submit(self, batch: Batch) -> Submission:
        """Carry out one family's changes within the day's budget (see the module docstring)."""
        items = self._resolve_family(batch.items)
        if not items[0].payload.get("listing_key"):  # deletes of SKUs Etsy never had
            return self._done(batch, [ItemOutcome(i.sku, ItemStatus.DELETED) for i in items])
        go, wait, split = self._by_budget(items)
        outcomes = list(wait)
        if go:
            try:
                result = ListingFlow(self.client, self.config, self.steps,
                                     self.clock.now).run(go)
                outcomes += [_after_split(o, split) for o in result.outcomes(go)]
            except BudgetExhausted as exc:
                self._exhausted = exc.message
                outcomes += [self._deferred(i, "the day's budget ran out mid-listing; the "
                                               "next run resumes at the missing step")
                             for i in go]
            finally:
                seen = self.client.budget.remaining_today
                if seen is not None:
                    self.steps.note_remaining(seen, self.clock.time())
        return self._done(batch, outcomes)

    def _resolve_family(self, items: list[RenderedItem]) -> list[RenderedItem]:
        """Deletes carry the listing id: find their family in the step state."""
        if items[0].payload.get("listing_key"):
            return items
        listing_id = items[0].payload.get("listing_id")
        key = None
        if str(listing_id or "").isdigit():
            key = self.steps.key_of(int(str(listing_id)))
            if key is None:  # listed under an id feedsync did not make (e.g. reconcile found it)
                key = f"listing:{listing_id}"
                self.steps.put(ListingSteps(key, int(str(listing_id)), "active"))
        for item in items:
            item.payload["listing_key"] = key
        return items

    def _by_budget(self, items: list[RenderedItem]
                   ) -> tuple[list[RenderedItem], list[ItemOutcome], dict[str, Issue]]:
        """What goes now, what waits, and the SKUs of which only the price/quantity part
        goes (with the note their deferred rest carries)."""
        split: dict[str, Issue] = {}
        if self._exhausted is not None:
            return [], [self._deferred(i, self._exhausted) for i in items], split
        remaining = self.client.remaining_today()
        open_classes = budget.allowed(remaining, content_reserve=self.config.content_reserve,
                                      price_reserve=self.config.price_reserve)
        go: list[RenderedItem] = []
        wait: list[ItemOutcome] = []
        listed = self._listed(items)
        for item in items:
            kind = budget.priority(item.payload["parts"], deletes=item.action is Action.DELETE)
            sendable = budget.sendable_now(item.payload["parts"], open_classes)
            if kind in open_classes:
                go.append(item)
            elif sendable and listed and item.action in (Action.UPDATE, Action.PRICE_QUANTITY):
                go.append(_stock_part(item, sendable))
                split[item.sku] = budget.split_note(item.sku, sendable, kind, remaining)
            else:
                wait.append(ItemOutcome(item.sku, ItemStatus.DEFERRED, [
                    budget.deferral_note(item.sku, kind, remaining)]))
        if go and remaining is not None:
            needed = estimated_calls(go, self.steps.get(go[0].payload["listing_key"]))
            if needed > remaining:
                wait += [ItemOutcome(i.sku, ItemStatus.DEFERRED, [budget.deferral_note(
                    i.sku, budget.priority(i.payload["parts"]), remaining,
                    f"this listing needs about {needed} calls and only {remaining} are left "
                    "today")]) for i in go]
                go = []
        return go, wait, split

    def _listed(self, items: list[RenderedItem]) -> bool:
        """Whether the family has a listing on Etsy whose inventory a change can go to."""
        steps = self.steps.get(items[0].payload["listing_key"])
        return steps.listing_id is not None and steps.state not in ("deleted", "drafting")

    def _deferred(self, item: RenderedItem, why: str) -> ItemOutcome:
        kind = budget.priority(item.payload["parts"], deletes=item.action is Action.DELETE)
        return ItemOutcome(item.sku, ItemStatus.DEFERRED,
                           [budget.deferral_note(item.sku, kind, 0, why)])

    def _done(self, batch: Batch, outcomes: list[ItemOutcome]) -> Submission:
        return Submission(channel=self.name, handle=None, state=SubmissionState.DONE,
                          skus=batch.skus, outcomes=outcomes, detail={"kind": "listing"})

    # --- orders, shipments, reconcile -------------------------------------------------------

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Receipts modified since ``since`` (getShopReceipts), page by page."""
        return etsy_orders.pull_receipts(self.client, since, now=self.clock.now,
                                         account=self.context.account)

    def push_shipments(self, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
        """Tracking codes (createReceiptShipment), never twice for one receipt."""
        return etsy_shipments.push_shipments(self.client, shipments)

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What the shop shows for ``skus`` (its listings with inventory, read once a run)."""
        if self._live is None:
            self._live = {}
            sold_out = {str(i) for i in self.steps.listing_ids("sold_out")}
            for state in live.STATES:
                offset = 0
                while True:
                    body = self.client.get_listings_by_shop(
                        {"state": state, "limit": live.PAGE_LIMIT, "offset": offset,
                         "includes": "Inventory"})
                    results = body.get("results") or []
                    for listing in results:
                        for row in live.live_rows(listing):
                            if row["remote_id"] in sold_out:  # withdrawn at 0: shown as 0
                                row["present"] = True
                            self._live.setdefault(row["sku"], row)
                    if len(results) < live.PAGE_LIMIT:
                        break
                    offset += live.PAGE_LIMIT
        for sku in skus:
            if sku in self._live:
                yield self._live[sku]


def _stock_part(item: RenderedItem, parts: frozenset[str]) -> RenderedItem:
    """``item`` reduced to its ``parts`` of price and quantity, sent through the inventory
    (getListingInventory → updateListingInventory, the other fields kept as Etsy has them)."""
    payload = {k: v for k, v in item.payload.items() if k not in ("content", "images")}
    payload.update(parts=sorted(parts), inventory=True)
    return RenderedItem(sku=item.sku, action=Action.PRICE_QUANTITY, payload=payload,
                        size=item.size)


def _after_split(outcome: ItemOutcome, split: dict[str, Issue]) -> ItemOutcome:
    """A SKU whose price/quantity went alone stays planned for the part that waits (the core
    keeps a deferred change planned whole; sending its quantity again is harmless)."""
    note = split.get(outcome.sku)
    if note is None or outcome.status is not ItemStatus.ACCEPTED:
        return outcome
    return ItemOutcome(outcome.sku, ItemStatus.DEFERRED, [note, *outcome.issues],
                       outcome.remote_id)


ADAPTER = EtsyAdapter
