"""The file channel's adapter (see the package docstring). No network: files only.

Settings (``[channels.<name>]``): ``orders_file`` (JSON list of orders, relative to the
workspace), ``state_dir`` (where it records pulls, acks, shipments and pushed listings),
``page_size``, ``fail_ack``, ``reject_tracking_prefix`` and ``pending_tracking_prefix`` (to
simulate channel refusals and temporary failures).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from feedsync.adapter import (
    Adapter,
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
from feedsync.clock import parse_iso
from feedsync.errors import AuthError, TransientError
from feedsync.models import Issue, Order, OrderLine, OrderStatus, Severity, Shipment
from feedsync.testing.file_channel.config import FakeConfig


def _when(text: str) -> datetime:
    return parse_iso(text)


def parse_order(data: dict[str, Any], channel: str, account: str) -> Order:
    """A fake order payload → Order (pure)."""
    currency = data.get("currency", "USD")
    return Order(
        channel=channel, account=account, order_id=str(data["order_id"]),
        status=OrderStatus(data.get("status", "unshipped")),
        created_at=_when(data.get("created_at", data["updated_at"])),
        updated_at=_when(data["updated_at"]),
        total=Decimal(data["total"]) if data.get("total") is not None else None,
        currency=currency,
        fulfillment_channel=data.get("fulfillment", "merchant"),
        fees=Decimal(data["fees"]) if data.get("fees") is not None else None,
        lines=[
            OrderLine(line_id=str(line["line_id"]), sku=line.get("sku"),
                      quantity=int(line["quantity"]),
                      quantity_shipped=int(line.get("shipped", 0)),
                      unit_price=Decimal(line["price"]) if line.get("price") else None,
                      currency=currency, title=line.get("title"))
            for line in data.get("lines", [])
        ],
        raw=data,
    )


class FileChannelAdapter(Adapter[FakeConfig]):
    """Every capability, backed by files in the workspace (see the module docstring)."""

    name = "fake"
    Config = FakeConfig
    capabilities = (Capability.ORDERS | Capability.ACKNOWLEDGE | Capability.SHIPMENTS
                    | Capability.FETCH_LIVE | Capability.API_PUSH | Capability.PRICE_QUANTITY)
    limits = Limits(max_batch_items=3)

    @property
    def _cfg(self) -> FakeConfig:
        return self.config

    def _path(self, name: str) -> Path:
        folder = self.context.workspace.root / self._cfg.state_dir
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def _append(self, name: str, record: Any) -> None:
        with self._path(name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _listings(self) -> dict[str, Any]:
        path = self._path("listings.json")
        return json.loads(path.read_text()) if path.exists() else {}

    # --- orders ---------------------------------------------------------------------------

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Orders of ``orders_file`` updated at or after ``since``, ``page_size`` a page."""
        self._append("pulls.jsonl", {"since": since.isoformat()})
        path = self.context.workspace.root / self._cfg.orders_file
        data = json.loads(path.read_text()) if path.exists() else []
        wanted = sorted((o for o in data if _when(o["updated_at"]) >= since),
                        key=lambda o: (_when(o["updated_at"]), str(o["order_id"])))
        size = self._cfg.page_size
        for start in range(0, len(wanted), size):
            chunk = wanted[start:start + size]
            orders = [parse_order(o, self.name, self.context.account) for o in chunk]
            yield OrderPage(orders=orders, cursor=max(o.updated_at for o in orders))

    def ack_orders(self, order_ids: Sequence[str]) -> None:
        """Record the acknowledgement in ``acks.jsonl`` (or fail, with ``fail_ack``)."""
        if self._cfg.fail_ack:
            raise TransientError("fake: the acknowledgement endpoint is down")
        self._append("acks.jsonl", list(order_ids))

    def push_shipments(self, shipments: Sequence[Any]) -> list[ItemOutcome]:
        """Record each confirmation in ``shipments.jsonl``; refuse/defer by tracking prefix."""
        outcomes = []
        for shipment in shipments:
            if not isinstance(shipment, Shipment):
                raise TypeError(f"push_shipments takes Shipment objects, got {shipment!r}")
            prefix = self._cfg.reject_tracking_prefix
            if prefix and shipment.tracking_number.startswith(prefix):
                outcomes.append(ItemOutcome(shipment.order_id, ItemStatus.REJECTED, [
                    Issue(shipment.order_id, Severity.ERROR, "bad_tracking",
                          "tracking number not recognised", source="fake")]))
                continue
            later = self._cfg.pending_tracking_prefix
            if later and shipment.tracking_number.startswith(later):
                outcomes.append(ItemOutcome(shipment.order_id, ItemStatus.PENDING, [
                    Issue(shipment.order_id, Severity.WARNING, "transient",
                          "throttled, try again", source="fake")]))
                continue
            self._append("shipments.jsonl", {
                "order_id": shipment.order_id, "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "lines": [[ln.line_id, ln.quantity] for ln in shipment.lines]})
            outcomes.append(ItemOutcome(shipment.order_id, ItemStatus.ACCEPTED))
        return outcomes

    # --- listings -------------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """The SKU, action, quantity and price as a small JSON object."""
        fields = change.record.fields if change.record is not None else {}
        payload = {"sku": change.sku, "action": str(change.action),
                   "quantity": fields.get("quantity"), "price": fields.get("price")}
        return RenderedItem(change.sku, change.action, payload,
                            len(json.dumps(payload, sort_keys=True)))

    def _knob(self, name: str) -> Any:
        """A switch the test double sets in the state folder (see FileChannelDouble)."""
        path = self._path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def submit(self, batch: Batch) -> Submission:
        """Apply the batch to ``listings.json`` (atomically); SKUs listed in ``rejected.json``
        are refused, ``auth_refused.json`` refuses the credentials and ``transient.json``
        (a count) fails that many submissions temporarily."""
        if self._knob("auth_refused.json"):
            raise AuthError("fake: the channel refused the credentials")
        pending = int(self._knob("transient.json") or 0)
        if pending:
            self._path("transient.json").write_text(json.dumps(pending - 1))
            raise TransientError("fake: the channel is temporarily unavailable")
        rejected = set(self._knob("rejected.json") or ())
        listings = self._listings()
        outcomes: list[ItemOutcome] = []
        for item in batch.items:
            if item.sku in rejected:
                outcomes.append(ItemOutcome(item.sku, ItemStatus.REJECTED, [Issue(
                    item.sku, Severity.ERROR, "refused", "the channel refused this item",
                    source="fake")]))
                continue
            outcomes.append(ItemOutcome(item.sku, ItemStatus.ACCEPTED))
            if item.payload["action"] == "delete":
                listings.pop(item.sku, None)
                continue
            entry = listings.setdefault(item.sku, {})
            for key in ("quantity", "price"):
                if item.payload[key] is not None:
                    entry[key] = item.payload[key]
        tmp = self._path("listings.json.tmp")
        tmp.write_text(json.dumps(listings, sort_keys=True))
        tmp.replace(self._path("listings.json"))
        self._append("pushes.jsonl", [item.payload for item in batch.items])
        return Submission(channel=batch.channel, handle=None, state=SubmissionState.DONE,
                          skus=batch.skus, outcomes=outcomes)

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What ``listings.json`` holds for ``skus``."""
        listings = self._listings()
        for sku in skus:
            if sku in listings:
                entry = listings[sku]
                quantity = entry.get("quantity")
                yield {"sku": sku, "present": True,
                       "quantity": int(quantity) if quantity is not None else None,
                       "price": entry.get("price")}


FakeChannel = FileChannelAdapter  # its name when it lived in tests/orders
ADAPTER = FileChannelAdapter
