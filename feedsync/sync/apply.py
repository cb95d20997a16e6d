"""Recording submissions and committing their outcomes with the listing state they change.

The life of one batch, each step one transaction:

1. :func:`open_submission` — before anything is sent: a ``sending`` submission, one
   ``submission_items`` row per SKU (action, hashes and fields to be sent, the status before)
   and every listing marked ``pending`` with the submission's id.
2. the adapter's ``submit`` (no transaction: this is the remote call).
3. :func:`record` — the returned :class:`~feedsync.adapter.Submission`: still ``pending``
   (handle and poll detail stored), or final, whose per-SKU outcomes are applied to the
   listings in the same transaction as the submission's state.

A process that dies between 1 and 3 leaves a ``sending`` row: :func:`release_lost` marks it
``lost`` and restores its listings, whose SKUs are then simply re-planned (channels' item
inserts are upserts, so a batch that did arrive is harmless to send again).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from feedsync.adapter import Action, ItemOutcome, ItemStatus, Submission, SubmissionState
from feedsync.db import utcnow_iso
from feedsync.models import Issue, Severity
from feedsync.sync import dirty
from feedsync.sync.plan import PlanRow
from feedsync.sync.state import TOMBSTONE, dumps, issues_to_json

log = logging.getLogger("feedsync.sync")

OPEN_STATES = ("sending", "pending")


def open_submission(db: sqlite_utils.Database, *, channel: str, account: str,
                    run_id: int | None, rows: Sequence[PlanRow], size: int) -> int:
    """Record a batch about to be sent and mark its listings pending; return its id."""
    now = utcnow_iso()
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO submissions (channel, account, run_id, state, items, bytes,"
            " created_at, updated_at) VALUES (?, ?, ?, 'sending', ?, ?, ?, ?)",
            [channel, account, run_id, len(rows), size, now, now],
        )
        sub_id = int(cursor.lastrowid or 0)
        db.conn.executemany(
            "INSERT INTO submission_items (submission_id, sku, action, content_hash, price_hash,"
            " quantity_hash, fields, prev_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[sub_id, r.sku, str(r.action), *(r.hashes or (TOMBSTONE,) * 3),
              r.blob, r.prev_status] for r in rows],
        )
        db.conn.executemany(
            "INSERT INTO listings (channel, account, sku, status, submission_id, created_at,"
            " updated_at, sent_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)"
            " ON CONFLICT (channel, account, sku) DO UPDATE SET status = 'pending',"
            " submission_id = excluded.submission_id, updated_at = excluded.updated_at,"
            " sent_at = excluded.sent_at",
            [[channel, account, r.sku, sub_id, now, now, now] for r in rows],
        )
    return sub_id


def record(db: sqlite_utils.Database, sub_id: int, submission: Submission) -> Counter[str]:
    """Store what ``submit``/``poll`` returned; apply outcomes when final. Returns counts."""
    now = utcnow_iso()
    with db.atomic():
        if submission.state is SubmissionState.PENDING:
            db.execute(
                "UPDATE submissions SET state = 'pending', handle = ?, detail = ?,"
                " updated_at = ? WHERE id = ?",
                [submission.handle, dumps(submission.detail), now, sub_id],
            )
            return Counter(pending=len(submission.skus))
        counts = _apply_outcomes(db, sub_id, submission, now)
        db.execute(
            "UPDATE submissions SET state = ?, handle = COALESCE(?, handle), detail = ?,"
            " error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
            [submission.state.value, submission.handle, dumps(submission.detail),
             submission.error, now, now, sub_id],
        )
        _settle(db, sub_id)
    return counts


def fail(db: sqlite_utils.Database, sub_id: int, channel: str, error: str,
         state: str = "failed") -> Counter[str]:
    """Mark a submission failed (or ``lost``) and release its SKUs for re-planning."""
    submission = Submission(channel=channel, handle=None, state=SubmissionState.FAILED,
                            skus=[], error=error)
    now = utcnow_iso()
    with db.atomic():
        counts = _apply_outcomes(db, sub_id, submission, now)
        db.execute(
            "UPDATE submissions SET state = ?, error = ?, updated_at = ?, finished_at = ?"
            " WHERE id = ?", [state, error, now, now, sub_id])
        _settle(db, sub_id)
    return counts


def _settle(db: sqlite_utils.Database, sub_id: int) -> None:
    """After a submission is final: re-flag its SKUs for the next plan and drop the fields
    it carried (needed only until the outcome; the listing keeps the accepted ones)."""
    channel, account = db.execute("SELECT channel, account FROM submissions WHERE id = ?",
                                  [sub_id]).fetchone()
    db.execute(dirty.REFRESH_NEEDS.format(
        where="SELECT sku FROM submission_items WHERE submission_id = :sub"),
        {"channel": channel, "account": account, "sub": sub_id})
    db.execute("UPDATE submission_items SET fields = NULL WHERE submission_id = ?", [sub_id])


def release_lost(db: sqlite_utils.Database, channel: str, account: str) -> int:
    """Submissions a dead run left in ``sending``: mark them lost and release their SKUs."""
    ids = [r[0] for r in db.execute(
        "SELECT id FROM submissions WHERE channel = ? AND account = ? AND state = 'sending'",
        [channel, account]).fetchall()]
    for sub_id in ids:
        fail(db, sub_id, channel, "the run stopped while sending this batch (crash or kill); "
             "its SKUs are re-planned", state="lost")
    return len(ids)


def pending_submissions(db: sqlite_utils.Database, channel: str,
                        account: str) -> list[tuple[int, Submission]]:
    """Submissions waiting for the channel's verdict, rebuilt for the adapter's ``poll``."""
    found = []
    for sub_id, handle, detail in db.execute(
        "SELECT id, handle, detail FROM submissions WHERE channel = ? AND account = ?"
        " AND state = 'pending' ORDER BY id", [channel, account]).fetchall():
        skus = [r[0] for r in db.execute(
            "SELECT sku FROM submission_items WHERE submission_id = ? ORDER BY sku", [sub_id])]
        found.append((sub_id, Submission(channel=channel, handle=handle,
                                         state=SubmissionState.PENDING, skus=skus,
                                         detail=json.loads(detail or "{}"))))
    return found


def note_poll(db: sqlite_utils.Database, sub_id: int, submission: Submission) -> None:
    """Count a poll that found the submission still pending (keeping the adapter's detail)."""
    db.execute("UPDATE submissions SET polls = polls + 1, detail = ?, updated_at = ?"
               " WHERE id = ?", [dumps(submission.detail), utcnow_iso(), sub_id])


def _apply_outcomes(db: sqlite_utils.Database, sub_id: int, submission: Submission,
                    now: str) -> Counter[str]:
    channel, account = db.execute("SELECT channel, account FROM submissions WHERE id = ?",
                                  [sub_id]).fetchone()
    outcomes = {o.sku: o for o in submission.outcomes}
    done = submission.state is SubmissionState.DONE
    counts: Counter[str] = Counter()
    items = db.execute(
        "SELECT sku, action, content_hash, price_hash, quantity_hash, fields, prev_status"
        " FROM submission_items WHERE submission_id = ?", [sub_id]).fetchall()
    writes: dict[str, list[list[Any]]] = defaultdict(list)  # statement → parameter rows
    for sku, action, ch, ph, qh, blob, prev_status in items:
        outcome = outcomes.pop(sku, None)
        if outcome is None:
            outcome = ItemOutcome(sku=sku, status=ItemStatus.ACCEPTED if done
                                  else ItemStatus.DEFERRED)
        if outcome.status is ItemStatus.REJECTED and not outcome.issues:
            outcome.issues = [Issue(sku=sku, severity=Severity.ERROR, code="rejected",
                                    message="the channel rejected the item without a reason",
                                    source=channel)]
        issues = issues_to_json(outcome.issues)
        sql, params = _listing_write(Action(action), (ch, ph, qh), blob, prev_status, outcome,
                                     issues, now)
        writes[sql].append([*params, channel, account, sku])
        writes[_ITEM_RESULT].append([outcome.status.value, issues, outcome.remote_id,
                                     sub_id, sku])
        counts[_count_key(outcome.status, done)] += 1
    for sql, rows in writes.items():
        db.conn.executemany(sql, rows)
    if outcomes:  # outcomes for SKUs the batch did not carry: an adapter bug, say so
        counts["unknown_outcomes"] += len(outcomes)
        log.warning("%s: submission %s reported outcomes for SKUs it did not carry: %s",
                    channel, sub_id, ", ".join(sorted(outcomes)[:10]))
    return counts


_ITEM_RESULT = ("UPDATE submission_items SET status = ?, issues = ?, remote_id = ?"
                " WHERE submission_id = ? AND sku = ?")
_KEY = " WHERE channel = ? AND account = ? AND sku = ?"
_FORGET = ("DELETE FROM listings WHERE remote_exists = 0 AND content_hash IS NULL"
           " AND channel = ? AND account = ? AND sku = ?")
_RESTORE = "UPDATE listings SET submission_id = NULL, status = ?, updated_at = ?" + _KEY
_DELETED = ("UPDATE listings SET status = 'deleted', remote_exists = 0, content_hash = ?,"
            " price_hash = ?, quantity_hash = ?, fields = NULL, issues = ?,"
            " submission_id = NULL, updated_at = ?, outcome_at = ?" + _KEY)
_REJECTED = ("UPDATE listings SET status = 'rejected', content_hash = ?, price_hash = ?,"
             " quantity_hash = ?, fields = COALESCE(?, fields), issues = ?,"
             " remote_id = COALESCE(?, remote_id), submission_id = NULL, updated_at = ?,"
             " outcome_at = ?" + _KEY)
_ACCEPTED = ("UPDATE listings SET status = ?, remote_exists = 1, content_hash = ?,"
             " price_hash = ?, quantity_hash = ?, fields = ?, issues = ?,"
             " remote_id = COALESCE(?, remote_id), submission_id = NULL, updated_at = ?,"
             " outcome_at = ?" + _KEY)


def _count_key(status: ItemStatus, done: bool) -> str:
    if status is ItemStatus.DEFERRED:
        return "deferred" if done else "failed"
    return {ItemStatus.ACCEPTED: "accepted", ItemStatus.DELETED: "accepted",
            ItemStatus.PENDING: "accepted", ItemStatus.REJECTED: "rejected"}[status]


def _listing_write(action: Action, hashes: tuple[Any, Any, Any], blob: bytes | None,
                   prev_status: str | None, outcome: ItemOutcome, issues: str,
                   now: str) -> tuple[str, list[Any]]:
    """The statement (and its leading parameters) that applies one outcome to a listing."""
    status = outcome.status
    if status is ItemStatus.DEFERRED:  # not taken: back to how it was, planned again
        if prev_status is None:  # the listing row was made for this batch: forget it
            return _FORGET, []
        return _RESTORE, [prev_status, now]
    if status is ItemStatus.DELETED or (action is Action.DELETE
                                        and status is not ItemStatus.REJECTED):
        return _DELETED, [TOMBSTONE, TOMBSTONE, TOMBSTONE, issues, now, now]
    if status is ItemStatus.REJECTED:
        return _REJECTED, [*hashes, blob, issues, outcome.remote_id, now, now]
    return _ACCEPTED, ["live" if status is ItemStatus.ACCEPTED else "pending", *hashes, blob,
                       issues, outcome.remote_id, now, now]


def cleanup_unlisted(db: sqlite_utils.Database, channel: str, account: str) -> int:
    """Listings the channel never held (a rejected create) whose SKU is now to be deleted:
    nothing to send, so mark them deleted locally."""
    cursor = db.execute(
        "UPDATE listings SET status = 'deleted', content_hash = ?, price_hash = ?,"
        " quantity_hash = ?, updated_at = ? WHERE channel = ? AND account = ?"
        " AND remote_exists = 0 AND submission_id IS NULL AND status != 'deleted'"
        " AND sku IN (SELECT sku FROM listing_inputs WHERE channel = ? AND account = ?"
        " AND want = 'delete')",
        [TOMBSTONE, TOMBSTONE, TOMBSTONE, utcnow_iso(), channel, account, channel, account])
    return int(cursor.rowcount)


def reject_locally(db: sqlite_utils.Database, channel: str, account: str, row: PlanRow,
                   code: str, message: str) -> None:
    """A change that could not even be sent (rendering failed, item too large): record the
    problem on the listing without touching its hashes, so it is reported and retried by every
    run until it goes through, and never blocks the other SKUs."""
    now = utcnow_iso()
    issue = Issue(sku=row.sku, severity=Severity.ERROR, code=code, message=message)
    db.execute(
        "INSERT INTO listings (channel, account, sku, status, issues, created_at, updated_at)"
        " VALUES (?, ?, ?, 'rejected', ?, ?, ?) ON CONFLICT (channel, account, sku) DO UPDATE"
        " SET status = 'rejected', issues = excluded.issues, updated_at = excluded.updated_at",
        [channel, account, row.sku, issues_to_json([issue]), now, now])
