"""Sync state tables (component ``sync``): what each channel has, what we want it to have, runs.

Tables, all keyed by (channel, account, sku) where per SKU:

``listings``
    What the channel has, as far as we know: the hashes of the content, price and quantity parts
    it last acknowledged (accepted *or* rejected: identical data is never re-sent), the record
    fields it got (zlib-compressed JSON, for field-level diffs), its remote id, a status
    (pending, live, rejected, deleted), the channel's latest issues (JSON) and timestamps.
    ``remote_exists`` says whether the channel holds the item (decides create vs update).
    ``submission_id`` is set while a submission carrying the SKU is in flight; such a SKU is
    left out of new plans until the submission is final.

``listing_inputs``
    The plan cache. Per SKU: the inputs it was last rendered from (catalog ``content_hash``,
    available stock, a signature of its channel overrides, whether it is excluded, the next
    sale boundary, the render version) and what that render wants: ``send`` with the three part
    hashes, ``delete`` with a reason, or ``hold`` (validation errors). Dirty SKUs are found by
    comparing these inputs with the catalog in SQL, so unchanged SKUs are never re-rendered.

``sync_changes`` / ``sync_marks``
    Triggers on the catalog tables a render reads (products, inventory, channel overrides and
    exclusions) stamp each touched SKU with an increasing sequence number in
    ``sync_changes``; each channel remembers the last number its plan consumed (and the render
    version it used) in ``sync_marks``. A plan then reads only SKUs stamped since, SKUs whose
    sale boundary passed (an index) and SKUs flagged ``needs`` (the channel lacks what the last
    render wants): a plan with nothing to do costs a few index probes, whatever the catalog's
    size. Without a mark, after a render-version change, or when a trigger was missing, the
    plan compares every SKU's inputs instead (:mod:`feedsync.sync.dirty`).

``submissions`` / ``submission_items``
    Every batch sent: the channel's handle and the adapter's poll detail, its state
    (sending → pending → done | failed | lost), and per SKU the action, the hashes and fields
    sent, and the channel's outcome. A run that dies mid-way leaves rows the next run resumes.

``sync_runs`` / ``sync_run_steps``
    The journal of runs and of each step (one channel push, an orders pull …) inside a run.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from feedsync.db import MigrationStep, migrate

COMPONENT = "sync"

# Hash value recorded for a listing we asked the channel to delete.
TOMBSTONE = "-"

_V1 = """
CREATE TABLE listings (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    sku TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'live', 'rejected', 'deleted')),
    remote_exists INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT,
    price_hash TEXT,
    quantity_hash TEXT,
    fields BLOB,
    remote_id TEXT,
    issues TEXT NOT NULL DEFAULT '[]',
    submission_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    outcome_at TEXT,
    PRIMARY KEY (channel, account, sku)
) WITHOUT ROWID;
CREATE INDEX listings_status ON listings (channel, account, status, remote_exists);
CREATE INDEX listings_submission ON listings (submission_id) WHERE submission_id IS NOT NULL;
CREATE TABLE listing_inputs (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    sku TEXT NOT NULL,
    render_version TEXT NOT NULL,
    src_hash TEXT,
    src_stock INTEGER,
    src_overrides TEXT,
    src_excluded INTEGER NOT NULL DEFAULT 0,
    next_boundary INTEGER,
    want TEXT NOT NULL CHECK (want IN ('send', 'delete', 'hold')),
    want_content TEXT,
    want_price TEXT,
    want_quantity TEXT,
    reason TEXT,
    issues TEXT,
    needs INTEGER NOT NULL DEFAULT 1,
    planned_at TEXT NOT NULL,
    PRIMARY KEY (channel, account, sku)
) WITHOUT ROWID;
CREATE INDEX listing_inputs_needs ON listing_inputs (channel, account) WHERE needs = 1;
CREATE INDEX listing_inputs_boundary ON listing_inputs (channel, account, next_boundary)
    WHERE next_boundary IS NOT NULL;
CREATE INDEX listing_inputs_want ON listing_inputs (channel, account, want);
CREATE TABLE sync_changes (
    seq INTEGER PRIMARY KEY,
    sku TEXT NOT NULL
);
CREATE TABLE sync_marks (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    seq INTEGER NOT NULL,
    render_version TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, account)
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    run_id INTEGER,
    handle TEXT,
    state TEXT NOT NULL CHECK (state IN ('sending', 'pending', 'done', 'failed', 'lost')),
    items INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    polls INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX submissions_open ON submissions (channel, account, state)
    WHERE state IN ('sending', 'pending');
CREATE TABLE submission_items (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    action TEXT NOT NULL,
    content_hash TEXT,
    price_hash TEXT,
    quantity_hash TEXT,
    fields BLOB,
    prev_status TEXT,
    status TEXT,
    issues TEXT,
    remote_id TEXT,
    PRIMARY KEY (submission_id, sku)
) WITHOUT ROWID;
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    dry_run INTEGER NOT NULL DEFAULT 0,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE sync_run_steps (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    channel TEXT,
    account TEXT,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    counts TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX sync_run_steps_channel ON sync_run_steps (channel, id)
"""

# v2: the code fingerprint that last compiled the mark's render version (feedsync.sync.plan:
# an unchanged mapping is not recompiled by a plan with nothing to render, #19).
_V2 = "ALTER TABLE sync_marks ADD COLUMN mapping_checked TEXT"

MIGRATIONS: list[MigrationStep] = [_V1, _V2]

# The catalog tables a render reads; every write to them stamps the SKU (see the docstring).
WATCHED_TABLES = ("products", "inventory", "channel_overrides", "channel_exclusions")


def _stamp(sku: str) -> str:
    # An append to a rowid table: the cheapest write SQLite has (catalog imports pay for it).
    return f"INSERT INTO sync_changes (sku) VALUES ({sku})"


def trigger_definitions() -> dict[str, str]:
    """Name → body of every change-stamping trigger."""
    defs: dict[str, str] = {}
    for table in WATCHED_TABLES:
        prefix = f"sync_stamp_{table}"
        defs[f"{prefix}_insert"] = f"AFTER INSERT ON {table} BEGIN {_stamp('NEW.sku')}; END"
        defs[f"{prefix}_update"] = f"AFTER UPDATE ON {table} BEGIN {_stamp('NEW.sku')}; END"
        defs[f"{prefix}_delete"] = f"AFTER DELETE ON {table} BEGIN {_stamp('OLD.sku')}; END"
        defs[f"{prefix}_rename"] = (f"AFTER UPDATE OF sku ON {table} WHEN OLD.sku IS NOT"
                                    f" NEW.sku BEGIN {_stamp('OLD.sku')}; END")
    return defs


def ensure_triggers(db: sqlite_utils.Database) -> bool:
    """Create any missing change-stamping trigger; True if one had to be (re)created, in
    which case changes may have gone unstamped and the next plan must compare everything."""
    have = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_stamp_%'")}
    created = False
    for name, body in trigger_definitions().items():
        if name not in have:
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            created = True
    return created


def prune_changes(db: sqlite_utils.Database, *, keep_days: int = 30) -> int:
    """Drop change stamps every channel has consumed; returns how many went.

    A channel not planned for ``keep_days`` loses its mark (its next plan compares every SKU),
    so a channel switched off does not make the log grow forever; with no mark left at all the
    triggers go too (the next plan re-creates them and compares everything). The newest row
    always stays, so the sequence never restarts below a mark.
    """
    cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("DELETE FROM sync_marks WHERE updated_at < ?", [cutoff])
    if db.execute("SELECT COUNT(*) FROM sync_marks").fetchone()[0] == 0:
        for name in trigger_definitions():
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
        return int(db.execute("DELETE FROM sync_changes").rowcount)
    cursor = db.execute(
        "DELETE FROM sync_changes WHERE seq <= (SELECT MIN(seq) FROM sync_marks)"
        " AND seq < (SELECT MAX(seq) FROM sync_changes)")
    return int(cursor.rowcount)
def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or upgrade the sync tables (idempotent, cheap when up to date)."""
    migrate(db, COMPONENT, MIGRATIONS)


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, compact, UTF-8 kept (hashing and storage use the same)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def pack_fields(fields: dict[str, Any] | None) -> bytes | None:
    """Record fields as zlib-compressed canonical JSON (level 1: descriptions still shrink
    ~2.5x, at a third of level 6's cost)."""
    if fields is None:
        return None
    return zlib.compress(dumps(fields).encode("utf-8"), 1)


def unpack_fields(blob: bytes | None) -> dict[str, Any] | None:
    """Inverse of :func:`pack_fields`."""
    if blob is None:
        return None
    data: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return data


def issues_to_json(issues: Any) -> str:
    """Issues (``feedsync.models.Issue``) as a JSON list of objects."""
    return dumps([
        {"sku": i.sku, "severity": str(i.severity), "code": i.code, "message": i.message,
         "field": i.field, "rule": i.rule, "source": i.source}
        for i in issues
    ])


def issues_from_json(text: str | None) -> list[Any]:
    """Inverse of :func:`issues_to_json`."""
    from feedsync.models import Issue, Severity

    if not text:
        return []
    return [
        Issue(sku=d["sku"], severity=Severity(d["severity"]), code=d["code"],
              message=d["message"], field=d.get("field"), rule=d.get("rule"),
              source=d.get("source", "feedsync"))
        for d in json.loads(text)
    ]
