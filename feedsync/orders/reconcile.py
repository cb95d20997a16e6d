"""`feedsync reconcile CHANNEL`: what the channel shows now against what feedsync expects.

Expected values come from rendering the catalog through the channel's mapping now (the same
records a push would send): a SKU is expected on the channel when its record is sendable, with
the record's quantity and price. Live values come from ``Adapter.fetch_live(skus)``
(``Capability.FETCH_LIVE``), which yields one dict per listing the channel has::

    {"sku": str, "present": bool = True, "quantity": int | None, "price": Decimal | str | None,
     "currency": str | None, "status": str | None}

SKUs missing from its answer, and answers with ``present`` false or ``status`` ``"deleted"``,
are taken as absent; a value the channel does not give (no ``quantity``, no ``price``) is not
compared. The SKUs compared are those feedsync has
listed on the channel (``listings``) plus those it expects there, in chunks, so memory stays
flat.

Drift kinds: ``missing`` (expected, absent), ``unexpected`` (present, not expected),
``quantity`` and ``price`` (present on both sides, different; a channel that only says in/out of
stock is compared on that). ``--fix`` marks what drifted as not-yet-sent in the sync engine's
listing state — the part hash that drifted is cleared, a missing listing is marked as not held
by the channel — and plans those SKUs, so the next push sends exactly the corrections.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.adapter import Capability
from feedsync.catalog import Catalog
from feedsync.config import Workspace
from feedsync.errors import UsageError
from feedsync.feeds.readback import published_feed
from feedsync.mapping.record import MappedRecord
from feedsync.orders.channels import channel_capabilities
from feedsync.orders.store import write_transaction
from feedsync.sync.channels import bind_channel
from feedsync.sync.parts import amount, quantity_of, split_parts
from feedsync.sync.plan import build_plan
from feedsync.sync.state import ensure_schema

CHUNK = 100


@dataclass(slots=True)
class Drift:
    """One difference between the channel and feedsync for one SKU."""

    sku: str
    kind: str  # missing · unexpected · quantity · price
    expected: Any = None
    live: Any = None


@dataclass
class ReconcileReport:
    """What reconcile compared and found, and what ``--fix`` planned."""

    channel: str
    compared: int = 0
    drift: list[Drift] = field(default_factory=list)
    fixed: int = 0
    plan: dict[str, Any] | None = None
    against: str = ""  # what the live side is: the channel's API, or a published feed file

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"channel": self.channel, "compared": self.compared,
                "drift": [{"sku": d.sku, "kind": d.kind, "expected": d.expected,
                           "live": d.live} for d in self.drift],
                "fixed": self.fixed, "plan": self.plan, "against": self.against}

    def human_lines(self) -> list[str]:
        """The drift, one line per difference."""
        lines = [f"{d.sku:<24} {d.kind:<10} expected {d.expected!s:<14} channel shows {d.live}"
                 for d in self.drift]
        lines.append(f"{self.channel}: {self.compared} SKU(s) compared"
                     + (f" with {self.against}" if self.against else "")
                     + f", {len(self.drift)} difference(s)")
        if self.fixed:
            lines.append(f"{self.fixed} SKU(s) marked for correction; the next push sends them")
        return lines


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).split()[0])
    except (InvalidOperation, IndexError):
        return None


def compare(sku: str, record: MappedRecord | None, live: dict[str, Any] | None,
            schema: Any) -> list[Drift]:
    """The drift of one SKU between its current record and the channel's live view. Pure."""
    expected = record is not None and record.sendable
    present = live is not None and bool(live.get("present", live.get("status") != "deleted"))
    if expected and not present:
        return [Drift(sku, "missing", "listed", "absent")]
    if present and not expected:
        why = record.exclusion if record is not None and record.exclusion else "not listed"
        return [Drift(sku, "unexpected", why, "listed")]
    if not expected or record is None or live is None:
        return []
    found: list[Drift] = []
    parts = split_parts(record.fields, schema)
    want_qty = quantity_of(parts["quantity"])
    live_qty = live.get("quantity")
    if want_qty is not None and live_qty is not None:
        numeric = any(str(v).strip().lstrip("-").isdigit() for v in parts["quantity"].values())
        live_n = int(live_qty)
        if (want_qty != live_n) if numeric else ((want_qty > 0) != (live_n > 0)):
            found.append(Drift(sku, "quantity", want_qty, live_n))
    # The price: ``price``, else the first price-part field holding an amount (Amazon's
    # ``our_price``; its ``currency`` field holds none).
    price_field = "price" if "price" in parts["price"] else next(
        (name for name, value in parts["price"].items() if amount(value) is not None), None)
    want_price = amount(parts["price"][price_field]) if price_field else None
    live_price = _decimal(live.get("price"))
    if want_price is not None and live_price is not None and want_price != live_price:
        found.append(Drift(sku, "price", format(want_price, "f"), format(live_price, "f")))
    return found


def _skus(catalog: Catalog, channel: str, account: str, only: Sequence[str] | None
          ) -> Iterator[list[str]]:
    if only:
        ordered = sorted(set(only))
        for start in range(0, len(ordered), CHUNK):
            yield ordered[start:start + CHUNK]
        return
    after = ""
    while True:
        rows = catalog.db.execute(
            "SELECT sku FROM (SELECT sku FROM listings WHERE channel = :c AND account = :a"
            " AND (remote_exists = 1 OR status != 'deleted') UNION SELECT sku FROM products)"
            " WHERE sku > :after ORDER BY sku LIMIT :n",
            {"c": channel, "a": account, "after": after, "n": CHUNK},
        ).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        yield [r[0] for r in rows]


def reconcile(workspace: Workspace, catalog: Catalog, channel: str, *,
              skus: Sequence[str] | None = None, fix: bool = False) -> ReconcileReport:
    """Compare ``channel`` with feedsync's expectation; with ``fix``, plan the corrections."""
    file_channel = workspace.channel(channel).delivery == "file"
    if file_channel and fix:
        raise UsageError(f"{channel} is a file channel: 'feedsync feed build {channel}' "
                         "republishes its feed from the catalog (reconcile --fix plans pushes)")
    if not file_channel and not channel_capabilities(workspace, channel) & Capability.FETCH_LIVE:
        raise UsageError(f"channel {channel!r} cannot read its listings back (no FETCH_LIVE): "
                         "there is nothing to reconcile against")
    ensure_schema(catalog.db)
    binding = bind_channel(workspace, catalog.db, channel)
    report = ReconcileReport(channel)
    adapter: Any
    if file_channel:  # the live side is the feed the platform fetches (feedsync.feeds.readback)
        adapter = published_feed(workspace, catalog.db, channel, binding.schema)
        report.against = f"the published feed {adapter.path}"
    else:
        adapter = binding.adapter()
        report.against = f"what {channel} shows"
    now = binding.clock()
    for chunk in _skus(catalog, channel, binding.account, skus):
        records = {r.sku: r for r in binding.mapper.map_catalog(catalog, skus=chunk, now=now)}
        live = {str(item["sku"]): item for item in adapter.fetch_live(chunk)}
        for sku in chunk:
            if sku not in records and sku not in live and not _listed(catalog, binding, sku):
                continue
            report.compared += 1
            report.drift.extend(compare(sku, records.get(sku), live.get(sku), binding.schema))
    for item in getattr(adapter, "unseen", lambda: [])():  # live, but no catalog SKU asked
        report.compared += 1
        report.drift.extend(compare(str(item["sku"]), None, item, binding.schema))
    if fix and report.drift:
        report.fixed = mark_for_correction(catalog, channel, binding.account, report.drift)
        plan = build_plan(binding, catalog, skus=sorted({d.sku for d in report.drift}))
        try:
            report.plan = plan.summary()
        finally:
            plan.close()
    return report


def _listed(catalog: Catalog, binding: Any, sku: str) -> bool:
    return catalog.db.execute(
        "SELECT 1 FROM listings WHERE channel = ? AND account = ? AND sku = ?",
        [binding.name, binding.account, sku],
    ).fetchone() is not None


def mark_for_correction(catalog: Catalog, channel: str, account: str,
                        drift: Sequence[Drift]) -> int:
    """Make the sync engine re-send what drifted (see the module docstring); returns SKUs.

    Clearing a part hash in ``listings`` makes the listing differ from what the plan cache
    wants, which is exactly how the engine finds a SKU whose push has not happened yet.
    """
    statements = {
        "quantity": "UPDATE listings SET quantity_hash = NULL",
        "price": "UPDATE listings SET price_hash = NULL",
        "missing": "UPDATE listings SET remote_exists = 0, content_hash = NULL,"
                   " price_hash = NULL, quantity_hash = NULL",
        "unexpected": "UPDATE listings SET remote_exists = 1, content_hash = NULL",
    }
    touched: set[str] = set()
    with write_transaction(catalog.db):
        for item in drift:
            cursor = catalog.db.execute(
                statements[item.kind] + " WHERE channel = ? AND account = ? AND sku = ?",
                [channel, account, item.sku],
            )
            if cursor.rowcount or item.kind == "missing":
                touched.add(item.sku)
    return len(touched)
