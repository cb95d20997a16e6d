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

from feedsync.adapter_types import Action, PlannedChange
from feedsync.db import utcnow_iso
from feedsync.mapping.record import MappedRecord
from feedsync.sync import dirty
from feedsync.sync.channels import mapping_code_version, render_version
from feedsync.sync.diff import ChunkPlanner
from feedsync.sync.guardrails import QUANTITY_RULES, PlanFigures, check
from feedsync.sync.parts import PARTS, Hashes
from feedsync.sync.state import (
    ensure_schema,
    ensure_triggers,
    issues_from_json,
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
    only: frozenset[str] | None = None  # parts this plan is restricted to (the fast path)
    left_out: int = 0  # SKUs with changes a restricted plan leaves to the next full plan
    # Guardrails not applied to this plan (the orders fast path: feedsync.sync.guardrails)
    exempt: frozenset[str] = frozenset()

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
                    # a part hash may be NULL (unknown on the channel) in a restricted plan
                    hashes=None if action == Action.DELETE else (ch, ph, qh),
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
            **({"only_parts": sorted(self.only), "left_for_next_push": self.left_out}
               if self.only is not None else {}),
            **({"guardrails_exempt": sorted(self.exempt)} if self.exempt else {}),
        }


def build_plan(binding: ChannelBinding, catalog: Catalog, *,
               skus: Iterable[str] | None = None, full: bool = False,
               parts: Iterable[str] | None = None,
               exempt_quantity_guardrails: bool = False) -> Plan:
    """Plan ``binding``'s channel; see the module docstring.

    ``skus``: look only at these SKUs (every one is re-rendered; the orders fast path).
    ``full``: compare every SKU's inputs instead of trusting the change stamps.
    ``parts``: plan only these parts (of ``content``, ``price``, ``quantity``) of items the
    channel holds; the rest stays dirty for the next plan (:mod:`feedsync.sync.diff`).
    ``exempt_quantity_guardrails``: do not apply the guardrails that judge quantities (the orders
    fast path's sell-outs; :mod:`feedsync.sync.guardrails`). Only for a plan of given ``skus``
    restricted to ``parts={"quantity"}``, so nothing but quantities can pass unguarded.
    """
    started = time.perf_counter()
    db = catalog.db
    ensure_schema(db)
    full = ensure_triggers(db) or full
    now = binding.clock()
    version = render_version(binding.mapper, binding.workspace)
    only = None if parts is None else frozenset(parts)
    if only is not None and (not only or not only <= set(PARTS)):
        raise ValueError(f"parts must be a non-empty subset of {', '.join(PARTS)}; "
                         f"got {sorted(only)}")
    if exempt_quantity_guardrails and (skus is None or only != frozenset({"quantity"})):
        raise ValueError("exempt_quantity_guardrails is only for a plan of given SKUs restricted"
                         " to parts={'quantity'} (the orders fast path)")
    plan = Plan(channel=binding.name, account=binding.account, version=version,
                table=f"sync_plan_{next(_plan_ids)}", db=db, only=only,
                exempt=QUANTITY_RULES if exempt_quantity_guardrails else frozenset())
    plan.figures.price_limit = binding.guardrails.max_price_change_pct
    dirty_table = f"{plan.table}_dirty"
    _create_temp_tables(db, plan.table)
    top = dirty.current_mark(db)  # read before any input, so later changes stay unconsumed
    mark = dirty.read_mark(db, binding.name, binding.account)
    checked = _check_mapping(binding, mark, version)
    if skus is not None:  # SKUs the catalog or this channel's state knows, nothing else
        db.execute(
            f"INSERT OR IGNORE INTO temp.{dirty_table} (sku) SELECT s.value FROM json_each(?) s"
            " WHERE s.value IN (SELECT sku FROM products) OR s.value IN (SELECT sku FROM"
            " listing_inputs WHERE channel = ? AND account = ?)",
            [json.dumps(list(skus)), binding.name, binding.account])
        plan.examined = int(db.execute(f"SELECT COUNT(*) FROM temp.{dirty_table}"
                                       ).fetchone()[0])
    else:
        incremental = not full and mark is not None and mark[1] == version
        plan.full = not incremental
        plan.examined = dirty.fill_dirty(
            db, dirty_table, channel=binding.name, account=binding.account, version=version,
            now=now, mark=mark[0] if incremental and mark is not None else None)
    planner: ChunkPlanner | None = None  # built on the first chunk: it asks the adapter class
    after = ""
    while True:
        chunk = [r[0] for r in db.execute(
            f"SELECT sku FROM temp.{dirty_table} WHERE sku > ? ORDER BY sku LIMIT ?",
            [after, CHUNK]).fetchall()]
        if not chunk:
            break
        planner = planner or ChunkPlanner(binding, catalog, plan, now, only)
        planner.plan_chunk(chunk)
        after = chunk[-1]
    db.execute(f"DROP TABLE temp.{dirty_table}")
    if skus is None:
        dirty.write_mark(db, binding.name, binding.account, top, version, utcnow_iso(),
                         checked)
        prune_changes(db)
    _finish(plan, binding)
    plan.elapsed = time.perf_counter() - started
    return plan


def _check_mapping(binding: ChannelBinding, mark: dirty.Mark | None, version: str) -> str:
    """Compile a deferred mapper now unless the channel's last plan compiled this very render
    version on this very code (the mark says so); return the code fingerprint to record.

    A :class:`~feedsync.sync.channels.DeferredMapper` is otherwise compiled only when a SKU is
    rendered: a broken mapping (or one today's code refuses) still fails every plan, as when
    the mapper was compiled at bind time. Other mappers are compiled already.
    """
    code = mapping_code_version()
    if mark is not None and mark.version == version and mark.mapping_checked == code:
        return code
    load = getattr(binding.mapper, "load", None)  # a DeferredMapper (maybe in a ProgressMapper)
    if callable(load):
        load()
    return code


def _create_temp_tables(db: sqlite_utils.Database, table: str) -> None:
    db.execute(
        f"CREATE TEMP TABLE {table} (sku TEXT PRIMARY KEY, action TEXT NOT NULL,"
        " reason TEXT NOT NULL, detail TEXT NOT NULL, parts TEXT NOT NULL,"
        " content_hash TEXT, price_hash TEXT, quantity_hash TEXT, fields BLOB, warnings TEXT,"
        " remote_id TEXT, prev_status TEXT, diff TEXT, zero INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute(f"CREATE TEMP TABLE {table}_dirty (sku TEXT PRIMARY KEY)")


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
    plan.violations = check(binding.guardrails, plan.figures, plan.exempt)
