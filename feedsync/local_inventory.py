"""Google local inventory: in-store stock per product and store, from the catalog's locations.

Stores are the catalog's inventory locations that ``feedsync.toml [local_inventory] store_codes``
maps to a Google Business Profile store code (``{"shop-berlin" = "BER-01"}``). A location
without a store code is reported, never guessed; a store code whose location has no stock rows
is reported too. Only active products are sent, and only at locations that have a stock row for
them. Availability follows the location's available units (on hand − reserved): ``in_stock``
above zero, ``out_of_stock`` at zero; a product whose stock the store does not count (issue #10:
``products.stock_tracked = 0``) is ``in_stock`` without a quantity.

Two deliveries share these records:

- a feed file, Google's *local product inventory* text format — tab-separated ``store_code``,
  ``id``, ``quantity``, ``availability``
  (https://support.google.com/merchants/answer/3061342), written atomically by
  :func:`write_local_feed`;
- the Merchant API ``localInventories.insert`` per product and store
  (``adapters/google/local.py``), which sends only records that changed since they were last
  accepted (``local_inventory_sent``).

The catalog has one price per product, so no per-store ``price`` is sent: the online price
applies in store too, as Google assumes when a local record has none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from feedsync.db import MigrationStep, migrate

COMPONENT = "local_inventory"
_V1 = """
CREATE TABLE local_inventory_sent (
    sku TEXT NOT NULL,
    store_code TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (sku, store_code)
) WITHOUT ROWID
"""
MIGRATIONS: list[MigrationStep] = [_V1]

IN_STOCK, OUT_OF_STOCK = "in_stock", "out_of_stock"
FEED_HEADER = ("store_code", "id", "quantity", "availability")


@dataclass(frozen=True, slots=True)
class LocalRecord:
    """One product at one store."""

    sku: str
    store_code: str
    quantity: int | None  # None: the store does not count this product's stock
    availability: str

    def digest(self) -> str:
        """A short hash of what Google would be told (to send only changes)."""
        text = f"{self.store_code}\t{self.sku}\t{self.quantity}\t{self.availability}"
        return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


@dataclass
class LocalSummary:
    """What a local inventory build saw besides its records."""

    records: int = 0
    stores: set[str] = field(default_factory=set)
    unmapped_locations: list[str] = field(default_factory=list)  # stock, but no store code
    missing_locations: list[str] = field(default_factory=list)  # store code, but no stock rows


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the table of records already accepted by Google (idempotent)."""
    migrate(db, COMPONENT, MIGRATIONS)


def locations_report(db: sqlite_utils.Database,
                     store_codes: Mapping[str, str]) -> LocalSummary:
    """Locations with stock but no store code, and store codes whose location has no stock."""
    present = [row[0] for row in db.execute(
        "SELECT DISTINCT location FROM inventory ORDER BY location")]
    summary = LocalSummary()
    summary.unmapped_locations = [loc for loc in present if loc not in store_codes]
    summary.missing_locations = sorted(set(store_codes) - set(present))
    return summary


def local_records(db: sqlite_utils.Database,
                  store_codes: Mapping[str, str]) -> Iterator[LocalRecord]:
    """Every active product at every mapped store, ordered by SKU then store code (streamed)."""
    if not store_codes:
        return
    placeholders = ", ".join("?" for _ in store_codes)
    cursor = db.execute(
        "SELECT i.sku, i.location, i.on_hand - i.reserved, p.stock_tracked"
        " FROM inventory i JOIN products p ON p.sku = i.sku"
        f" WHERE p.status = 'active' AND i.location IN ({placeholders})"
        " ORDER BY i.sku", list(store_codes))
    pending: list[LocalRecord] = []
    current = None
    for sku, location, available, tracked in cursor:
        if sku != current and pending:
            yield from sorted(pending, key=lambda r: r.store_code)
            pending = []
        current = sku
        code = store_codes[location]
        if not tracked:
            pending.append(LocalRecord(sku, code, None, IN_STOCK))
        else:
            units = max(int(available or 0), 0)
            pending.append(LocalRecord(sku, code, units, IN_STOCK if units else OUT_OF_STOCK))
    yield from sorted(pending, key=lambda r: r.store_code)


def feed_line(record: LocalRecord) -> str:
    """One TSV line (tabs and line breaks cannot occur: SKUs and store codes are checked)."""
    quantity = "" if record.quantity is None else str(record.quantity)
    return f"{record.store_code}\t{record.sku}\t{quantity}\t{record.availability}\n"


def write_local_feed(db: sqlite_utils.Database, store_codes: Mapping[str, str],
                     target: Path) -> LocalSummary:
    """Write the local product inventory feed to ``target`` atomically; return the summary."""
    from feedsync.feeds.atomic import AtomicFile

    summary = locations_report(db, store_codes)
    with AtomicFile(target) as out:
        out.stream.write(("\t".join(FEED_HEADER) + "\n").encode("utf-8"))
        for record in local_records(db, store_codes):
            out.stream.write(feed_line(record).encode("utf-8"))
            summary.records += 1
            summary.stores.add(record.store_code)
        out.commit()
    return summary
