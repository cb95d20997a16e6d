"""Where each Etsy listing stands, in the workspace database (component ``etsy``).

A listing is created in steps — draft → inventory → images → activate — and a run can stop
between any two (a crash, the day's budget, a refused image). ``etsy_listings`` keeps, per
(account, listing_key), the listing id Etsy gave, the state feedsync last set, the image URL
sent at each rank and, while a createDraftListing is in flight, when it was started and with
which title: if its answer is lost, the next run reads the shop's drafts back and adopts the
one that call made instead of creating a second (``adapters.etsy.listing``). Every write
commits at once (the database runs in autocommit), so a step that Etsy confirmed is never
forgotten; the per-SKU listing state (status, hashes, remote id = listing id) stays the core's.

``etsy_refresh_marks`` records a token refresh in flight (``adapters.etsy.auth``);
``etsy_budget`` the last ``x-remaining-today`` Etsy reported, so a run knows how low the day's
budget is before its first call (``adapters.etsy.budget``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlite_utils

from feedsync.db import migrate

COMPONENT = "etsy"
MIGRATIONS: list[str] = [
    """
    CREATE TABLE etsy_listings (
        account TEXT NOT NULL,
        listing_key TEXT NOT NULL,
        listing_id INTEGER,
        state TEXT NOT NULL DEFAULT 'none',
        draft_started_at REAL,
        draft_title TEXT,
        images TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, listing_key)
    );
    CREATE INDEX etsy_listings_id ON etsy_listings (account, listing_id);
    CREATE TABLE etsy_refresh_marks (
        account TEXT PRIMARY KEY,
        started_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE etsy_budget (
        account TEXT PRIMARY KEY,
        remaining INTEGER NOT NULL,
        seen_at REAL NOT NULL
    )
    """,
    "ALTER TABLE etsy_listings ADD COLUMN image_ids TEXT NOT NULL DEFAULT '{}'",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ListingSteps:
    """One listing's progress. ``state``: none · drafting · draft · active · sold_out
    (withdrawn by feedsync because no variant has stock) · inactive · deleted.
    ``images``: rank (as text) → the image URL uploaded there."""

    listing_key: str
    listing_id: int | None = None
    state: str = "none"
    draft_started_at: float | None = None
    draft_title: str | None = None
    images: dict[str, str] = field(default_factory=dict)
    image_ids: dict[str, int] = field(default_factory=dict)  # rank → Etsy listing_image_id


class StepStore:
    """Read and write :class:`ListingSteps` of one account."""

    def __init__(self, db: sqlite_utils.Database, account: str) -> None:
        self.db = db
        self.account = account
        migrate(db, COMPONENT, MIGRATIONS)

    def get(self, listing_key: str) -> ListingSteps:
        """The steps of a listing (a fresh record when feedsync never touched it)."""
        row = self.db.execute(
            "SELECT listing_id, state, draft_started_at, draft_title, images, image_ids "
            "FROM etsy_listings WHERE account = ? AND listing_key = ?",
            [self.account, listing_key]).fetchone()
        if row is None:
            return ListingSteps(listing_key)
        return ListingSteps(listing_key, row[0], row[1], row[2], row[3], json.loads(row[4]),
                            json.loads(row[5]))

    def put(self, steps: ListingSteps) -> None:
        """Store a listing's steps now (committed at once)."""
        self.db.execute(
            "INSERT INTO etsy_listings (account, listing_key, listing_id, state, "
            "draft_started_at, draft_title, images, image_ids, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, listing_key) DO UPDATE SET listing_id = excluded.listing_id, "
            "state = excluded.state, draft_started_at = excluded.draft_started_at, "
            "draft_title = excluded.draft_title, images = excluded.images, "
            "image_ids = excluded.image_ids, updated_at = excluded.updated_at",
            [self.account, steps.listing_key, steps.listing_id, steps.state,
             steps.draft_started_at, steps.draft_title,
             json.dumps(steps.images, sort_keys=True),
             json.dumps(steps.image_ids, sort_keys=True), _now()])

    def key_of(self, listing_id: int) -> str | None:
        """The listing key feedsync made this Etsy listing for (None if unknown)."""
        row = self.db.execute("SELECT listing_key FROM etsy_listings WHERE account = ? AND "
                              "listing_id = ?", [self.account, listing_id]).fetchone()
        return row[0] if row else None

    def last_remaining(self, now: float) -> int | None:
        """The calls Etsy said were left today, if it said so in the last hour (None else).

        Etsy's day window slides, so the count has only grown since it was seen; after an
        hour it is too pessimistic to steer by (a run that hit zero would wait a whole day),
        and the first answer of the run gives the real figure anyway."""
        row = self.db.execute("SELECT remaining, seen_at FROM etsy_budget WHERE account = ?",
                              [self.account]).fetchone()
        if row is None or now - float(row[1]) >= 3600:
            return None
        return int(row[0])

    def note_remaining(self, remaining: int, now: float) -> None:
        """Remember Etsy's last ``x-remaining-today``."""
        self.db.execute("INSERT OR REPLACE INTO etsy_budget (account, remaining, seen_at) "
                        "VALUES (?, ?, ?)", [self.account, remaining, now])

    def listing_ids(self, state: str) -> set[int]:
        """Etsy listing ids feedsync left in ``state``."""
        return {int(row[0]) for row in self.db.execute(
            "SELECT listing_id FROM etsy_listings WHERE account = ? AND state = ? AND "
            "listing_id IS NOT NULL", [self.account, state])}

    def claimed(self, listing_id: int) -> bool:
        """True when another listing key already owns this Etsy listing id."""
        row = self.db.execute("SELECT 1 FROM etsy_listings WHERE account = ? AND listing_id = ?",
                              [self.account, listing_id]).fetchone()
        return row is not None


class RefreshMarks:
    """A token refresh in flight for one account (see ``adapters.etsy.auth``)."""

    def __init__(self, db: sqlite_utils.Database, account: str) -> None:
        self.db = db
        self.account = account
        migrate(db, COMPONENT, MIGRATIONS)

    def unfinished(self) -> str | None:
        """When an earlier refresh started that never finished (None if none)."""
        row = self.db.execute("SELECT started_at FROM etsy_refresh_marks WHERE account = ?",
                              [self.account]).fetchone()
        return row[0] if row else None

    def begin(self) -> None:
        """Mark a refresh as started (committed before the token request is sent)."""
        self.db.execute("INSERT OR REPLACE INTO etsy_refresh_marks (account, started_at) "
                        "VALUES (?, ?)", [self.account, _now()])

    def done(self) -> None:
        """The refresh's answer is stored: clear the mark."""
        self.db.execute("DELETE FROM etsy_refresh_marks WHERE account = ?", [self.account])
