"""`orders ship FILE`: confirm shipments on the channel that owns each order, idempotently.

Each shipment is matched to its stored order (by order id, and channel/account when the file
gives them), its lines are resolved (by line id or SKU; a missing quantity means what is left to
ship), and it is recorded in ``shipments`` (keyed by channel, account, order id and tracking
number) as ``sending`` before it is pushed. The channel's verdict turns it ``confirmed`` or
``failed``. A confirmed shipment is never sent again; a failed or interrupted one is sent again
the next time the file is run.

Confirming a shipment also moves stock: the shipped units of each line go from reserved to taken
off on-hand (through the same reservation ledger as pulled orders), and the order becomes
``shipped`` or ``partially_shipped`` locally until the channel reports its own status.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from feedsync.adapter import Capability, ItemOutcome, ItemStatus
from feedsync.clock import parse_iso
from feedsync.config import Workspace
from feedsync.db import utcnow_iso
from feedsync.errors import FeedsyncError, OutcomeUnknown, redact
from feedsync.models import OrderStatus, Shipment, ShipmentLine
from feedsync.orders.channels import AdapterFactory
from feedsync.orders.faults import crash_point
from feedsync.orders.pull import fastpath_targets
from feedsync.orders.shipfile import BadEntry, ShipmentRequest
from feedsync.orders.stock import LineKey, StockLedger, line_target
from feedsync.orders.store import OrderStore, PageResult, iso, write_transaction
from feedsync.sync.readback import OUTCOME_UNKNOWN

PUSH_BATCH = 50


@dataclass
class ShipResult:
    """The result for one shipment of the file."""

    where: str
    order_id: str | None
    status: str  # confirmed · already_confirmed · failed · unknown · error
    message: str = ""
    channel: str | None = None
    tracking_number: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"where": self.where, "order_id": self.order_id, "channel": self.channel,
                "tracking_number": self.tracking_number, "status": self.status,
                "message": self.message}


@dataclass
class ShipReport:
    """Every shipment's result."""

    results: list[ShipResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many shipments ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)


def ship(workspace: Workspace, store: OrderStore, factory: AdapterFactory,
         requests: Sequence[ShipmentRequest], bad: Sequence[BadEntry] = ()) -> ShipReport:
    """Resolve, record and push ``requests``; one result per shipment (see module doc)."""
    report = ShipReport([ShipResult(b.where, b.order_id, "error", b.message) for b in bad])
    by_channel: dict[str, list[tuple[ShipmentRequest, Shipment]]] = {}
    for request in requests:
        resolved = _resolve(store, request)
        if isinstance(resolved, ShipResult):
            report.results.append(resolved)
        else:
            by_channel.setdefault(resolved.channel, []).append((request, resolved))
    for channel, items in by_channel.items():
        try:
            adapter = factory(channel)
        except FeedsyncError as exc:
            report.results.extend(_result(r, s, "error", exc.message) for r, s in items)
            continue
        if not adapter.capabilities & Capability.SHIPMENTS:
            report.results.extend(
                _result(r, s, "error", f"channel {channel} does not take shipment confirmations")
                for r, s in items
            )
            continue
        targets = fastpath_targets(workspace)
        items = _read_back(store, adapter, items, targets, report)
        for start in range(0, len(items), PUSH_BATCH):
            chunk = items[start:start + PUSH_BATCH]
            report.results.extend(_push(store, adapter.push_shipments, chunk, targets))
    return report


def _result(request: ShipmentRequest, shipment: Shipment | None, status: str,
            message: str = "") -> ShipResult:
    return ShipResult(request.where, request.order_id, status, message,
                      shipment.channel if shipment else request.channel,
                      request.tracking_number)


def _resolve(store: OrderStore, request: ShipmentRequest) -> Shipment | ShipResult:
    """Match a request to its stored order and lines, or explain why it cannot be sent."""
    sql = ("SELECT channel, account, status, fulfillment_channel FROM orders WHERE order_id = ?")
    params: list[Any] = [request.order_id]
    for column in ("channel", "account"):
        if getattr(request, column):
            sql += f" AND {column} = ?"
            params.append(getattr(request, column))
    found = store.db.execute(sql, params).fetchall()
    if not found:
        return _result(request, None, "error", f"order {request.order_id} is not in the "
                       "workspace (run `feedsync orders pull` first)")
    if len(found) > 1:
        channels = ", ".join(f"{c}/{a}" for c, a, _, _ in found)
        return _result(request, None, "error", f"order {request.order_id} exists on several "
                       f"channels ({channels}); add a channel column")
    channel, account, status, fulfilled_by = found[0]
    done = store.db.execute(
        "SELECT status FROM shipments WHERE channel = ? AND account = ? AND order_id = ?"
        " AND tracking_number = ?", [channel, account, request.order_id, request.tracking_number],
    ).fetchone()
    if done is not None and done[0] == "confirmed":
        return ShipResult(request.where, request.order_id, "already_confirmed",
                          "confirmed earlier; not sent again", channel, request.tracking_number)
    if fulfilled_by == "marketplace":
        return ShipResult(request.where, request.order_id, "error", "fulfilled by the "
                          "marketplace: nothing to confirm", channel, request.tracking_number)
    if status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return ShipResult(request.where, request.order_id, "error", f"order is {status}",
                          channel, request.tracking_number)
    lines = store.db.execute(
        "SELECT line_id, sku, quantity - shipped_high FROM order_lines WHERE channel = ?"
        " AND account = ? AND order_id = ? ORDER BY position",
        [channel, account, request.order_id],
    ).fetchall()
    remaining = {line_id: (sku, int(left)) for line_id, sku, left in lines}
    chosen = _choose_lines(request, remaining)
    if isinstance(chosen, str):
        return _result(request, None, "error", f"order {request.order_id}: {chosen}")
    return Shipment(channel=channel, account=account, order_id=request.order_id,
                    carrier=request.carrier, tracking_number=request.tracking_number,
                    lines=chosen, shipped_at=request.shipped_at, ship_method=request.ship_method,
                    fulfillment_channel=fulfilled_by)


def _choose_lines(request: ShipmentRequest, remaining: dict[str, tuple[str | None, int]]
                  ) -> list[ShipmentLine] | str:
    """The lines and quantities a request ships, or why it cannot (a line named twice counts
    once with both quantities; a line without quantity ships what is left of it)."""
    if request.all_lines:
        chosen = [ShipmentLine(lid, left, sku) for lid, (sku, left) in remaining.items()
                  if left > 0]
        return chosen or "nothing left to ship"
    taken: dict[str, int] = {}
    for wanted in request.lines:
        if wanted.line_id is not None:
            line_id: str | None = wanted.line_id if wanted.line_id in remaining else None
        else:
            line_id = next((lid for lid, (sku, left) in remaining.items()
                            if sku == wanted.sku and left - taken.get(lid, 0) > 0), None)
        if line_id is None:
            what = f"line {wanted.line_id}" if wanted.line_id else f"SKU {wanted.sku}"
            return f"no unshipped {what}"
        left = remaining[line_id][1] - taken.get(line_id, 0)
        if left <= 0:
            return f"line {line_id} has nothing left to ship"
        quantity = wanted.quantity if wanted.quantity is not None else left
        if quantity > left:
            return f"line {line_id}: {quantity} to ship but only {left} left"
        taken[line_id] = taken.get(line_id, 0) + quantity
    return [ShipmentLine(lid, n, remaining[lid][0]) for lid, n in taken.items()]


def _push(store: OrderStore, push: Any, items: list[tuple[ShipmentRequest, Shipment]],
          targets: list[str]) -> list[ShipResult]:
    now = utcnow_iso()
    with write_transaction(store.db):
        for _, shipment in items:
            _record(store, shipment, "sending", None, now)
    shipments = [s for _, s in items]
    try:
        outcomes: list[ItemOutcome] = list(push(shipments))
    except Exception as exc:
        message = (exc.message if isinstance(exc, FeedsyncError)
                   else redact(f"{type(exc).__name__}: {exc}"))
        return _settle(store, items, [], targets, default_error=message,
                       unknown=isinstance(exc, OutcomeUnknown))
    crash_point("after_shipment_push_before_record")
    return _settle(store, items, outcomes, targets)


def _match(shipments: list[Shipment], outcomes: list[ItemOutcome]) -> list[ItemOutcome | None]:
    """Pair each shipment with its outcome: by order id, else by position."""
    by_id: dict[str, list[ItemOutcome]] = {}
    for outcome in outcomes:
        by_id.setdefault(outcome.sku, []).append(outcome)
    paired: list[ItemOutcome | None] = []
    for position, shipment in enumerate(shipments):
        same = by_id.get(shipment.order_id)
        if same:
            paired.append(same.pop(0))
        elif len(outcomes) == len(shipments):
            paired.append(outcomes[position])
        else:
            paired.append(None)
    return paired


def _settle(store: OrderStore, items: list[tuple[ShipmentRequest, Shipment]],
            outcomes: list[ItemOutcome], targets: list[str],
            default_error: str = "", unknown: bool = False) -> list[ShipResult]:
    results: list[ShipResult] = []
    now = utcnow_iso()
    paired = _match([s for _, s in items], outcomes)
    with write_transaction(store.db):
        for (request, shipment), outcome in zip(items, paired, strict=True):
            # Only ACCEPTED confirms; PENDING is the adapter's "temporary failure, try again"
            # (e.g. Amazon confirmShipment throttled), so it stays unconfirmed and is re-sent.
            if outcome is not None and outcome.status is ItemStatus.ACCEPTED:
                _record(store, shipment, "confirmed", None, now)
                _apply_shipped(store, shipment, targets, now)
                units = sum(line.quantity for line in shipment.lines)
                results.append(_result(request, shipment, "confirmed", f"{units} unit(s)"))
                continue
            lost = (unknown and outcome is None) or (outcome is not None and any(
                i.code == OUTCOME_UNKNOWN for i in outcome.issues))
            if lost:  # it may have arrived: stays 'sending', read back before any resend
                message = "outcome unknown (answer lost); read back before sending again: " + (
                    "; ".join(i.message for i in outcome.issues) if outcome else default_error)
                _record(store, shipment, "sending", message, now)
                results.append(_result(request, shipment, "unknown", message))
                continue
            if outcome is None:
                message = default_error or "the channel returned no result for this shipment"
            else:
                message = "; ".join(f"{i.code}: {i.message}" for i in outcome.issues)
                message = message or default_error or f"the channel answered {outcome.status}"
            _record(store, shipment, "failed", message, now)
            results.append(_result(request, shipment, "failed", message))
    return results


def _read_back(store: OrderStore, adapter: Any,
               items: list[tuple[ShipmentRequest, Shipment]], targets: list[str],
               report: ShipReport) -> list[tuple[ShipmentRequest, Shipment]]:
    """Shipments whose earlier attempt has no known outcome (a lost answer, a kill) are read
    back through the adapter's ``find_shipment(shipment, attempted_at)`` hook first: found →
    confirmed without sending; not found → sent; cannot tell → left for the next run. Adapters
    without the hook send them again, as before (issue #16). Returns what is to be sent."""
    hook = getattr(adapter, "find_shipment", None)
    if hook is None:
        return items
    to_send = []
    now = utcnow_iso()
    for request, shipment in items:
        row = store.db.execute(
            "SELECT updated_at FROM shipments WHERE channel = ? AND account = ? AND order_id = ?"
            " AND tracking_number = ? AND status = 'sending'",
            [shipment.channel, shipment.account, shipment.order_id,
             shipment.tracking_number]).fetchone()
        if row is None:
            to_send.append((request, shipment))
            continue
        try:
            found = hook(shipment, parse_iso(row[0]))
        except FeedsyncError as exc:
            found = None
            why = exc.message
        else:
            why = "the channel cannot tell yet"
        if found is None:
            report.results.append(_result(request, shipment, "unknown",
                                          f"outcome of the earlier attempt unknown ({why}); "
                                          "not sent again until read back"))
        elif found:
            with write_transaction(store.db):
                _record(store, shipment, "confirmed", None, now)
                _apply_shipped(store, shipment, targets, now)
            report.results.append(_result(request, shipment, "confirmed",
                                          "found on the channel (read back); not sent again"))
        else:
            to_send.append((request, shipment))
    return to_send


def _record(store: OrderStore, shipment: Shipment, status: str, error: str | None,
            now: str) -> None:
    lines = json.dumps([{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity}
                        for ln in shipment.lines])
    store.db.execute(
        "INSERT INTO shipments (channel, account, order_id, tracking_number, carrier,"
        " ship_method, shipped_at, lines, status, attempts, error, created_at, updated_at,"
        " confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (channel, account, order_id, tracking_number) DO UPDATE SET"
        " carrier = excluded.carrier, ship_method = excluded.ship_method,"
        " shipped_at = excluded.shipped_at, lines = excluded.lines, status = excluded.status,"
        " attempts = attempts + (excluded.status = 'sending'), error = excluded.error,"
        " updated_at = excluded.updated_at, confirmed_at = excluded.confirmed_at",
        [shipment.channel, shipment.account, shipment.order_id, shipment.tracking_number,
         shipment.carrier, shipment.ship_method,
         iso(shipment.shipped_at) if shipment.shipped_at else None, lines, status,
         int(status == "sending"), error, now,
         now, now if status == "confirmed" else None],
    )


def _apply_shipped(store: OrderStore, shipment: Shipment, targets: list[str], now: str) -> None:
    """Count the shipped units on their lines and move their stock from reserved to shipped."""
    db = store.db
    ledger = StockLedger(db, store.reserve_location, now)
    key = [shipment.channel, shipment.account, shipment.order_id]
    for line in shipment.lines:
        lkey = LineKey(shipment.channel, shipment.account, shipment.order_id, line.line_id)
        db.execute(
            "UPDATE order_lines SET quantity_confirmed = quantity_confirmed + ?,"
            " shipped_high = MAX(shipped_high, MIN(quantity, quantity_confirmed + ?))"
            " WHERE channel = ? AND account = ? AND order_id = ? AND line_id = ?",
            [line.quantity, line.quantity, *lkey],
        )
    left = db.execute(
        "SELECT COALESCE(SUM(quantity - shipped_high), 0) FROM order_lines WHERE channel = ?"
        " AND account = ? AND order_id = ?", key,
    ).fetchone()[0]
    status = OrderStatus.SHIPPED if left <= 0 else OrderStatus.PARTIALLY_SHIPPED
    db.execute("UPDATE orders SET status = ?, stored_at = ? WHERE channel = ? AND account = ?"
               " AND order_id = ?", [str(status), now, *key])
    flags = PageResult()  # oversells found while shipping are recorded as order issues
    rows = db.execute(
        "SELECT line_id, sku, quantity, shipped_high, sku_known FROM order_lines WHERE"
        " channel = ? AND account = ? AND order_id = ?", key,
    ).fetchall()
    for line_id, sku, quantity, high, known in rows:
        lkey = LineKey(shipment.channel, shipment.account, shipment.order_id, line_id)
        target = line_target(status, quantity, high)
        effects = ledger.apply(lkey, sku if known else None, target)
        store.account_effects(effects, lkey, ledger, now, flags)
    store.enqueue(targets, flags.affected_skus, now)
