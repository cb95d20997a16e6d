"""Deciding one chunk of dirty SKUs: render, hash, compare with the listing, record the change.

:class:`ChunkPlanner` is the inner loop of :func:`feedsync.sync.plan.build_plan`: for each
chunk of dirty SKUs it reads their inputs, renders the ones still in the catalog, stores what
each render wants in ``listing_inputs`` and writes every needed change (with its field diff
and guardrail figures) into the plan's temporary table, one transaction per chunk.

A plan restricted to some parts (``only``; the orders fast path sends ``{"quantity"}``) plans
just those parts of the SKUs the channel already holds: the record handed to the adapter is what
the channel has (the listing's last-sent fields) with only those parts replaced, and the hashes
it will record are the listing's for every other part. So a content or price edit of the same
SKU stays dirty for the next unrestricted plan, which still sees (and diffs) it. Creates and
deletes are left to that plan too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedsync.adapter_types import Action, Capability
from feedsync.db import utcnow_iso
from feedsync.mapping.record import MappedRecord
from feedsync.models import Severity
from feedsync.sync import dirty
from feedsync.sync.parts import (
    PARTS,
    DeleteReason,
    Hashes,
    field_diff,
    merge_parts,
    part_hashes,
    price_changes,
    quantity_of,
    split_parts,
)
from feedsync.sync.state import TOMBSTONE, dumps, issues_to_json, pack_fields, unpack_fields

if TYPE_CHECKING:
    from datetime import datetime

    from feedsync.catalog import Catalog
    from feedsync.sync.channels import ChannelBinding
    from feedsync.sync.plan import Plan


@dataclass(slots=True)
class Listing:
    """The parts of a ``listings`` row a decision needs."""

    status: str
    remote_exists: bool
    hashes: Hashes
    fields: bytes | None
    remote_id: str | None
    submission_id: int | None


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


class ChunkPlanner:
    """Renders and decides one chunk of dirty SKUs at a time."""

    def __init__(self, binding: ChannelBinding, catalog: Catalog, plan: Plan,
                 now: datetime, only: frozenset[str] | None = None) -> None:
        self.binding = binding
        self.only = only  # send only these parts (see the module docstring)
        self.catalog = catalog
        self.plan = plan
        self.now = now
        self.schema = binding.schema
        self.capabilities = binding.capabilities

    def plan_chunk(self, chunk: list[str]) -> None:
        """Render, decide and record one chunk (one transaction)."""
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
        # needs: look again next time (an action is pending, or the verdict on one is); a part
        # a restricted plan leaves out keeps it set too
        cache_rows.append([
            b.name, b.account, inp.sku, self.plan.version, inp.src_hash, inp.stock,
            inp.overrides, int(inp.excluded), inp.next_boundary, want,
            *(hashes or (None, None, None)), str(reason), issues,
            int(in_flight or action is not None), stamp,
        ])
        if action is None:
            return
        fields = record.fields if record is not None and action is not Action.DELETE else None
        sent: Hashes | None = hashes
        if self.only is not None:
            restricted = self._restrict(action, parts, hashes, listing, fields)
            if restricted is None:
                self.plan.left_out += 1
                return
            action, parts, sent, fields = restricted
        self.plan.counts[action] += 1
        diff, zero = self._figures(inp.sku, action, parts, listing, fields)
        if action is Action.DELETE:
            self.plan.delete_reasons[str(reason)] += 1
        warnings = [i for i in record.issues] if record is not None and fields else []
        plan_rows.append([
            inp.sku, str(action), str(reason), detail, ",".join(sorted(parts)),
            *(sent or (TOMBSTONE, TOMBSTONE, TOMBSTONE)), pack_fields(fields),
            issues_to_json(warnings) if warnings else None,
            listing.remote_id if listing is not None else None,
            listing.status if listing is not None else None,
            dumps(diff) if diff else None, int(zero),
        ])

    def _restrict(self, action: Action, parts: frozenset[str], hashes: Hashes | None,
                  listing: Listing | None, fields: dict[str, Any] | None
                  ) -> tuple[Action, frozenset[str], Hashes, dict[str, Any]] | None:
        """The share of a change that a plan restricted to ``self.only`` sends: its action,
        parts, the hashes to record and the record to render; None when nothing of it goes."""
        assert self.only is not None
        if action not in (Action.UPDATE, Action.PRICE_QUANTITY) or listing is None \
                or hashes is None or fields is None:
            return None  # creates and deletes wait for a full push
        sent = parts & self.only
        if not sent:
            return None
        old = unpack_fields(listing.fields)
        if old is None:
            # What the channel holds is unknown (a listing reconcile found there). An adapter
            # with a price/quantity path renders only the sent parts and needs just the content
            # that identifies the item; a full-replace channel waits for the full push.
            if not self.capabilities & Capability.PRICE_QUANTITY:
                return None
            old = split_parts(fields, self.schema)["content"]
        merged = merge_parts(old, fields, sent, self.schema)
        kept = [new if part in sent else have
                for part, new, have in zip(PARTS, hashes, listing.hashes, strict=True)]
        cheap = "content" not in sent and bool(self.capabilities & Capability.PRICE_QUANTITY)
        return (Action.PRICE_QUANTITY if cheap else Action.UPDATE, sent,
                (kept[0], kept[1], kept[2]), merged)

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
