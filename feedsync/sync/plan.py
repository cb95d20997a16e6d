"""The plan: render the dirty SKUs, diff them against what the channel has, decide actions.

:func:`build_plan` finds the dirty SKUs in SQL (:mod:`feedsync.sync.dirty`), renders only those
through the mapper in chunks, updates the plan cache (``listing_inputs``) and writes each SKU
that needs a remote effect into a per-plan temporary table. Nothing is held in memory but one
chunk and counters, so a plan over a million SKUs streams. The returned :class:`Plan` carries
the summary, the guardrail figures and an iterator over its changes for ``push`` to render.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from feedsync.adapter import Action, Capability, PlannedChange
from feedsync.db import utcnow_iso
from feedsync.mapping.record import MappedRecord
from feedsync.models import Severity
from feedsync.sync import dirty
from feedsync.sync.guardrails import PlanFigures, check
from feedsync.sync.parts import (
    PARTS,
    DeleteReason,
    Hashes,
    field_diff,
    part_hashes,
    price_changes,
    quantity_of,
    split_parts,
)
from feedsync.sync.state import (
    TOMBSTONE,
    dumps,
    ensure_schema,
    ensure_triggers,
    issues_from_json,
    issues_to_json,
    pack_fields,
    prune_changes,
    unpack_fields,
)

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.catalog import Catalog
    from feedsync.sync.channels import ChannelBinding

log = logging.getLogger("feedsync.sync")

CHUNK = 500
_plan_ids = itertools.count(1)


@dataclass(slots=True)
class Listing:
    """The parts of a ``listings`` row a decision needs."""

    status: str
    remote_exists: bool
    hashes: Hashes
    fields: bytes | None
    remote_id: str | None
    submission_id: int | None


@dataclass(slots=True)
class PlanRow:
    """One planned change as stored in the plan table (what push needs to send and record)."""

    sku: str
    action: Action
    reason: str
    detail: str
    parts: frozenset[str]
    hashes: Hashes | None
    fields: dict[str, Any] | None
    warnings: list[Any]
    remote_id: str | None
    prev_status: str | None
    diff: dict[str, list[Any]] | None
    blob: bytes | None = None  # ``fields`` as stored (packed once, reused by the submission)

    def change(self, channel: str) -> PlannedChange:
        """The :class:`PlannedChange` handed to the adapter."""
        record = None
        if self.fields is not None:
            record = MappedRecord(sku=self.sku, channel=channel, fields=dict(self.fields),
                                  issues=list(self.warnings))
        return PlannedChange(
            sku=self.sku, action=self.action, record=record, reason=self.reason,
            remote_id=self.remote_id, changed_parts=self.parts,
            diff={k: (v[0], v[1]) for k, v in (self.diff or {}).items()},
        )


def decide(want: str, hashes: Hashes | None, listing: Listing | None,
           capabilities: Capability) -> tuple[Action | None, frozenset[str]]:
    """The action that brings the channel from ``listing`` to ``want``, and the parts it changes.

    Identical data is never re-sent, including data the channel rejected; a create happens only
    when the channel does not hold the item; a change of price or quantity alone uses the
    price/quantity path when the adapter has one.
    """
    if want == "send" and hashes is not None:
        if listing is None or not listing.remote_exists:
            if listing is not None and listing.hashes == hashes:
                return None, frozenset()
            return Action.CREATE, frozenset(PARTS)
        changed = frozenset(p for p, a, b in zip(PARTS, listing.hashes, hashes, strict=True)
                            if a != b)
        if not changed:
            return None, frozenset()
        if "content" in changed or not capabilities & Capability.PRICE_QUANTITY:
            return Action.UPDATE, changed
        return Action.PRICE_QUANTITY, changed
    if want == "delete" and listing is not None and listing.remote_exists \
            and listing.hashes[0] != TOMBSTONE:
        return Action.DELETE, frozenset()
    return None, frozenset()


@dataclass
class Plan:
    """A channel's plan: counts, guardrail figures and violations, and its stored changes."""

    channel: str
    account: str
    version: str
    table: str
    db: sqlite_utils.Database
    counts: Counter[str] = field(default_factory=Counter)
    delete_reasons: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    held: int = 0
    held_codes: list[tuple[str, int]] = field(default_factory=list)
    in_flight: int = 0
    examined: int = 0
    rendered: int = 0
    figures: PlanFigures = field(default_factory=PlanFigures)
    violations: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    full: bool = False  # every SKU's inputs were compared (no usable change mark)

    @property
    def total(self) -> int:
        """Number of changes."""
        return sum(self.counts.values())

    def rows(self, *, limit: int | None = None) -> Iterator[PlanRow]:
        """The planned rows in SKU order, read page by page (safe to interleave with writes)."""
        after, produced = "", 0
        while limit is None or produced < limit:
            page = self.db.execute(
                f"SELECT sku, action, reason, detail, parts, content_hash, price_hash,"
                f" quantity_hash, fields, warnings, remote_id, prev_status, diff"
                f" FROM temp.{self.table} WHERE sku > ? ORDER BY sku LIMIT ?",
                [after, CHUNK],
            ).fetchall()
            if not page:
                return
            for (sku, action, reason, detail, parts, ch, ph, qh, blob, warnings, remote_id,
                 prev_status, diff) in page:
                yield PlanRow(
                    sku=sku, action=Action(action), reason=reason, detail=detail,
                    parts=frozenset(p for p in parts.split(",") if p),
                    hashes=(ch, ph, qh) if ch is not None else None,
                    fields=unpack_fields(blob), warnings=issues_from_json(warnings),
                    remote_id=remote_id, prev_status=prev_status,
                    diff=json.loads(diff) if diff else None, blob=blob,
                )
                produced += 1
                if limit is not None and produced >= limit:
                    return
            after = page[-1][0]

    def changes(self) -> Iterator[PlannedChange]:
        """The changes as the adapter sees them."""
        for row in self.rows():
            yield row.change(self.channel)

    def close(self) -> None:
        """Drop the plan's temporary table."""
        self.db.execute(f"DROP TABLE IF EXISTS temp.{self.table}")

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts (without the per-SKU changes)."""
        f = self.figures
        return {
            "channel": self.channel,
            "account": self.account,
            "create": self.counts[Action.CREATE],
            "update": self.counts[Action.UPDATE],
            "price_quantity": self.counts[Action.PRICE_QUANTITY],
            "delete": self.counts[Action.DELETE],
            "delete_reasons": dict(self.delete_reasons),
            "unchanged": self.unchanged,
            "held_invalid": self.held,
            "held_codes": dict(self.held_codes),
            "in_flight": self.in_flight,
            "examined": self.examined,
            "full_comparison": self.full,
            "listed_before": f.listed_before,
            "listed_after": f.projected,
            "to_zero_quantity": f.to_zero,
            "price_changes_over_limit": f.price_over,
            "guardrail_violations": list(self.violations),
            "seconds": round(self.elapsed, 3),
        }


def build_plan(binding: ChannelBinding, catalog: Catalog, *,
               skus: Iterable[str] | None = None, full: bool = False) -> Plan:
    """Plan ``binding``'s channel; see the module docstring.

    ``skus``: look only at these SKUs (every one is re-rendered; the orders fast path).
    ``full``: compare every SKU's inputs instead of trusting the change stamps.
    """
    from feedsync.sync.channels import render_version

    started = time.perf_counter()
    db = catalog.db
    ensure_schema(db)
    full = ensure_triggers(db) or full
    now = binding.clock()
    version = render_version(binding.mapper, binding.workspace)
    plan = Plan(channel=binding.name, account=binding.account, version=version,
                table=f"sync_plan_{next(_plan_ids)}", db=db)
    plan.figures.price_limit = binding.guardrails.max_price_change_pct
    dirty_table = f"{plan.table}_dirty"
    _create_temp_tables(db, plan.table)
    top = dirty.current_mark(db)  # read before any input, so later changes stay unconsumed
    if skus is not None:  # SKUs the catalog or this channel's state knows, nothing else
        db.execute(
            f"INSERT OR IGNORE INTO temp.{dirty_table} (sku) SELECT s.value FROM json_each(?) s"
            " WHERE s.value IN (SELECT sku FROM products) OR s.value IN (SELECT sku FROM"
            " listing_inputs WHERE channel = ? AND account = ?)",
            [json.dumps(list(skus)), binding.name, binding.account])
        plan.examined = int(db.execute(f"SELECT COUNT(*) FROM temp.{dirty_table}"
                                       ).fetchone()[0])
    else:
        mark = dirty.read_mark(db, binding.name, binding.account)
        incremental = not full and mark is not None and mark[1] == version
        plan.full = not incremental
        plan.examined = dirty.fill_dirty(
            db, dirty_table, channel=binding.name, account=binding.account, version=version,
            now=now, mark=mark[0] if incremental and mark is not None else None)
    planner = _Planner(binding, catalog, plan, now)
    after = ""
    while True:
        chunk = [r[0] for r in db.execute(
            f"SELECT sku FROM temp.{dirty_table} WHERE sku > ? ORDER BY sku LIMIT ?",
            [after, CHUNK]).fetchall()]
        if not chunk:
            break
        planner.plan_chunk(chunk)
        after = chunk[-1]
    db.execute(f"DROP TABLE temp.{dirty_table}")
    if skus is None:
        dirty.write_mark(db, binding.name, binding.account, top, version, utcnow_iso())
        prune_changes(db)
    _finish(plan, binding)
    plan.elapsed = time.perf_counter() - started
    return plan


def _create_temp_tables(db: sqlite_utils.Database, table: str) -> None:
    db.execute(
        f"CREATE TEMP TABLE {table} (sku TEXT PRIMARY KEY, action TEXT NOT NULL,"
        " reason TEXT NOT NULL, detail TEXT NOT NULL, parts TEXT NOT NULL,"
        " content_hash TEXT, price_hash TEXT, quantity_hash TEXT, fields BLOB, warnings TEXT,"
        " remote_id TEXT, prev_status TEXT, diff TEXT, zero INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute(f"CREATE TEMP TABLE {table}_dirty (sku TEXT PRIMARY KEY)")


class _Planner:
    """Renders and decides one chunk of dirty SKUs at a time."""

    def __init__(self, binding: ChannelBinding, catalog: Catalog, plan: Plan, now: Any) -> None:
        self.binding = binding
        self.catalog = catalog
        self.plan = plan
        self.now = now
        self.schema = binding.schema
        self.capabilities = binding.capabilities

    def plan_chunk(self, chunk: list[str]) -> None:
        db = self.plan.db
        inputs = dirty.read_inputs(db, self.binding.name, chunk, self.now)
        present = [s for s in chunk if inputs[s].src_hash is not None]
        records: dict[str, MappedRecord] = {}
        if present:
            for record in self.binding.mapper.map_catalog(self.catalog, skus=present,
                                                          now=self.now):
                if record.sku in inputs:
                    records[record.sku] = record
        self.plan.rendered += len(records)
        listings = self._listings(chunk)
        cache_rows: list[list[Any]] = []
        plan_rows: list[list[Any]] = []
        forget: list[list[str]] = []
        stamp = utcnow_iso()
        for sku in chunk:
            if inputs[sku].src_hash is None and sku not in listings:
                forget.append([self.binding.name, self.binding.account, sku])
                continue  # gone from the catalog and never sent: nothing to track
            self._one(inputs[sku], records.get(sku), listings.get(sku), cache_rows, plan_rows,
                      stamp)
        with db.atomic():
            db.conn.executemany("DELETE FROM listing_inputs WHERE channel = ? AND account = ?"
                                " AND sku = ?", forget)
            db.conn.executemany(
                "INSERT OR REPLACE INTO listing_inputs (channel, account, sku, render_version,"
                " src_hash, src_stock, src_overrides, src_excluded, next_boundary, want,"
                " want_content, want_price, want_quantity, reason, issues, needs, planned_at)"
                " VALUES (" + ", ".join("?" * 17) + ")", cache_rows)
            db.conn.executemany(
                f"INSERT INTO temp.{self.plan.table} (sku, action, reason, detail, parts,"
                " content_hash, price_hash, quantity_hash, fields, warnings, remote_id,"
                " prev_status, diff, zero) VALUES (" + ", ".join("?" * 14) + ")", plan_rows)

    def _listings(self, chunk: list[str]) -> dict[str, Listing]:
        rows = self.plan.db.execute(
            "SELECT sku, status, remote_exists, content_hash, price_hash, quantity_hash, fields,"
            " remote_id, submission_id FROM listings WHERE channel = ? AND account = ?"
            " AND sku IN (SELECT value FROM json_each(?))",
            [self.binding.name, self.binding.account, json.dumps(chunk)],
        )
        return {
            sku: Listing(status, bool(exists), (ch, ph, qh), blob, remote_id, submission_id)
            for sku, status, exists, ch, ph, qh, blob, remote_id, submission_id in rows
        }

    def _one(self, inp: dirty.Inputs, record: MappedRecord | None, listing: Listing | None,
             cache_rows: list[list[Any]], plan_rows: list[list[Any]], stamp: str) -> None:
        b = self.binding
        hashes: Hashes | None = None
        reason, detail, issues = "", "", None
        if inp.src_hash is None:
            want, reason = "delete", DeleteReason.REMOVED
        elif record is None:
            want, reason, detail = "delete", DeleteReason.FILTERED, "the mapping gave no record"
        elif inp.excluded:
            want, reason, detail = "delete", DeleteReason.EXCLUDED, inp.exclusion_reason or ""
        elif not record.included:
            want = "delete"
            reason = DeleteReason.ARCHIVED if inp.status == "archived" else DeleteReason.FILTERED
            detail = record.exclusion or ""
        elif record.has_errors:
            want, reason = "hold", "invalid"
            issues = issues_to_json(i for i in record.issues if i.severity is Severity.ERROR)
        else:
            want = "send"
            hashes = part_hashes(record.fields, self.schema)
        in_flight = listing is not None and listing.submission_id is not None
        action, parts = (None, frozenset()) if in_flight else decide(
            want, hashes, listing, self.capabilities)
        # needs: look again next time (an action is pending, or the verdict on one is)
        cache_rows.append([
            b.name, b.account, inp.sku, self.plan.version, inp.src_hash, inp.stock,
            inp.overrides, int(inp.excluded), inp.next_boundary, want,
            *(hashes or (None, None, None)), str(reason), issues,
            int(in_flight or action is not None), stamp,
        ])
        if action is None:
            return
        self.plan.counts[action] += 1
        fields = record.fields if record is not None and action is not Action.DELETE else None
        diff, zero = self._figures(inp.sku, action, parts, listing, fields)
        if action is Action.DELETE:
            self.plan.delete_reasons[str(reason)] += 1
        warnings = [i for i in record.issues] if record is not None and fields else []
        plan_rows.append([
            inp.sku, str(action), str(reason), detail, ",".join(sorted(parts)),
            *(hashes or (TOMBSTONE, TOMBSTONE, TOMBSTONE)), pack_fields(fields),
            issues_to_json(warnings) if warnings else None,
            listing.remote_id if listing is not None else None,
            listing.status if listing is not None else None,
            dumps(diff) if diff else None, int(zero),
        ])

    def _figures(self, sku: str, action: Action, parts: frozenset[str],
                 listing: Listing | None, fields: dict[str, Any] | None
                 ) -> tuple[dict[str, list[Any]] | None, bool]:
        """Field diff and guardrail figures of one change (old fields read only here)."""
        figures = self.plan.figures
        if action is Action.CREATE:
            figures.creates += 1
            return None, False
        if action is Action.DELETE:
            figures.deletes += 1
            figures.note_sample(figures.delete_sample, sku)
            return None, False
        old = unpack_fields(listing.fields if listing is not None else None) or {}
        new = fields or {}
        zero = False
        old_parts, new_parts = split_parts(old, self.schema), split_parts(new, self.schema)
        if "quantity" in parts:
            before, after = quantity_of(old_parts["quantity"]), quantity_of(new_parts["quantity"])
            if before is not None and before > 0 and after == 0:
                zero = True
                figures.to_zero += 1
                figures.note_sample(figures.to_zero_sample, sku)
        if "price" in parts:
            for name, a, b_, pct in price_changes(old_parts["price"], new_parts["price"]):
                figures.note_price(sku, name, a, b_, pct)
        return field_diff(old, new), zero


def _finish(plan: Plan, binding: ChannelBinding) -> None:
    """Channel-wide counts and the guardrail verdict."""
    db, key = plan.db, [binding.name, binding.account]
    plan.figures.listed_before = int(db.execute(
        "SELECT COUNT(*) FROM listings WHERE channel = ? AND account = ? AND remote_exists = 1",
        key).fetchone()[0])
    wants = dict(db.execute(
        "SELECT want, COUNT(*) FROM listing_inputs WHERE channel = ? AND account = ?"
        " GROUP BY want", key).fetchall())
    plan.held = int(wants.get("hold", 0))
    plan.in_flight = int(db.execute(
        "SELECT COUNT(*) FROM listings WHERE channel = ? AND account = ?"
        " AND submission_id IS NOT NULL", key).fetchone()[0])
    sending = plan.counts[Action.CREATE] + plan.counts[Action.UPDATE] \
        + plan.counts[Action.PRICE_QUANTITY]
    plan.unchanged = max(int(wants.get("send", 0)) - sending - plan.in_flight, 0)
    if plan.held:
        plan.held_codes = [(code, n) for code, n in db.execute(
            "SELECT json_extract(j.value, '$.code') AS code, COUNT(*) FROM listing_inputs c,"
            " json_each(c.issues) j WHERE c.channel = ? AND c.account = ? AND c.want = 'hold'"
            " GROUP BY code ORDER BY 2 DESC, 1 LIMIT 5", key).fetchall()]
    plan.violations = check(binding.guardrails, plan.figures)
