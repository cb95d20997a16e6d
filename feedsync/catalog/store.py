"""Reading and writing the catalog: batched upserts, streaming reads, stock, overrides, prune.

Writes never decide transactions: a caller that needs "one file imports atomically" wraps the
calls in ``catalog.db.atomic()``. Reads stream through cursors, so memory stays flat however large
the catalog is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import sqlite_utils

from feedsync.catalog import schema
from feedsync.catalog.rows import CONTENT_COLUMNS, product_values, row_to_product, values_hash
from feedsync.db import migrate, open_database, utcnow_iso
from feedsync.models import InventoryLevel, Product

BATCH_SIZE = 1000
_PLACEHOLDER_LIMIT = 900  # stay under SQLite's default 999 host parameters per statement


@dataclass
class UpsertSummary:
    """What an import did: counts, plus the SKUs it skipped or removed (for reports).

    Every row of an imported file lands in exactly one of ``created``, ``updated``,
    ``unchanged``, ``skipped`` (with its reason in ``skipped_reasons``) or ``not_products`` (rows
    that carry no SKU of their own: variable parents, grouped products, image-only rows).
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    inventory_rows: int = 0
    problems: list[str] = field(default_factory=list)
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    not_products: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    warning_reasons: dict[str, int] = field(default_factory=dict)
    derived_skus: int = 0
    derived_sku_examples: list[str] = field(default_factory=list)
    stock_not_tracked: int = 0
    without_stock_count: int = 0  # tracked SKUs the file gives no count for
    without_brand: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view for ``--json`` output."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "removed": self.removed,
            "inventory_rows": self.inventory_rows,
            "problems": list(self.problems),
            "skipped_reasons": dict(self.skipped_reasons),
            "not_products": dict(self.not_products),
            "warning_count": self.warning_count,
            "warning_reasons": dict(self.warning_reasons),
            "warnings": list(self.warnings),
            "derived_skus": self.derived_skus,
            "derived_sku_examples": list(self.derived_sku_examples),
            "stock_not_tracked": self.stock_not_tracked,
            "without_stock_count": self.without_stock_count,
            "without_brand": self.without_brand,
        }


# A product ready for the `products` table: content column values + content_hash, and images.
PreparedProduct = tuple[list[Any], list[str]]


def prepare_product(product: Product) -> PreparedProduct:
    """The pure half of an upsert (no database access): row values with their hash, images."""
    values = product_values(product)
    values.append(values_hash(values, product.images))  # the content_hash column
    return values, product.images


def open_catalog(path: Path | str) -> Catalog:
    """Open the workspace database at ``path`` and bring the catalog tables up to date."""
    return Catalog(open_database(path))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Catalog:
    """The product catalog inside a workspace database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        migrate(db, schema.COMPONENT, schema.MIGRATIONS)
        self._tracking_seen = False

    # --- writes ---------------------------------------------------------------------------

    def upsert_products(self, products: Iterable[Product]) -> UpsertSummary:
        """Insert new SKUs and update changed ones, in batches; unchanged SKUs are not written."""
        summary = UpsertSummary()
        for batch in _chunks(products, BATCH_SIZE):
            self.upsert_prepared([prepare_product(product) for product in batch], summary)
        return summary

    def upsert_prepared(self, rows: Sequence[PreparedProduct], summary: UpsertSummary) -> None:
        """The database half of :meth:`upsert_products` for rows from :func:`prepare_product`.

        Counts go into ``summary``. Importers prepare rows on one thread and write them on
        another, so Python's row building overlaps with SQLite's page work.
        """
        existing = self._existing_hashes([values[0] for values, _ in rows])
        now = utcnow_iso()
        inserts: list[list[Any]] = []
        updates: list[list[Any]] = []
        image_skus: list[list[str]] = []
        images: list[list[Any]] = []
        for values, product_images in rows:
            sku = values[0]
            previous = existing.get(sku)
            if previous == values[-1]:
                summary.unchanged += 1
                continue
            if previous is None:
                inserts.append([*values, now, now])
                summary.created += 1
            else:
                updates.append([*values[1:], now, sku])
                summary.updated += 1
                image_skus.append([sku])
            images.extend([sku, pos, url] for pos, url in enumerate(product_images, start=1))
        conn = self.db.conn
        if inserts:
            columns = [*CONTENT_COLUMNS, "content_hash", "created_at", "updated_at"]
            conn.executemany(
                f"INSERT INTO products ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                inserts,
            )
        if updates:
            assignments = ", ".join(f"{c} = ?" for c in (*CONTENT_COLUMNS[1:], "content_hash"))
            conn.executemany(
                f"UPDATE products SET {assignments}, updated_at = ? WHERE sku = ?", updates
            )
        if image_skus:
            conn.executemany("DELETE FROM images WHERE sku = ?", image_skus)
        if images:
            conn.executemany("INSERT INTO images (sku, position, url) VALUES (?, ?, ?)", images)
        if self._tracking_seen:
            conn.executemany(
                "INSERT OR IGNORE INTO temp.import_seen (sku) VALUES (?)",
                [[values[0]] for values, _ in rows],
            )

    def _existing_hashes(self, skus: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(skus, _PLACEHOLDER_LIMIT):
            marks = ", ".join("?" for _ in chunk)
            cursor = self.db.conn.execute(
                f"SELECT sku, content_hash FROM products WHERE sku IN ({marks})", chunk
            )
            found.update(cursor.fetchall())
        return found

    def set_inventory(self, levels: Iterable[InventoryLevel]) -> int:
        """Set on-hand quantities per (SKU, location); reservations are left as they are.

        Every SKU must exist in the catalog (callers check first, to report the file line).
        """
        count = 0
        now = utcnow_iso()
        for batch in _chunks(levels, BATCH_SIZE):
            self.db.conn.executemany(
                "INSERT INTO inventory (sku, location, on_hand, reserved, updated_at)"
                " VALUES (?, ?, ?, 0, ?)"
                " ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand,"
                " updated_at = excluded.updated_at WHERE on_hand != excluded.on_hand",
                [[lv.sku, lv.location, lv.on_hand, now] for lv in batch],
            )
            count += len(batch)
        return count

    def set_stock_tracking(self, tracked: Sequence[str], untracked: Sequence[str]) -> int:
        """Mark SKUs as counted (``tracked``) or sellable without a count (``untracked``).

        Returns how many SKUs changed state. Only rows whose state differs are written, so the
        sync's change triggers fire for real changes only; resetting to tracked is skipped
        entirely while no SKU of the catalog is untracked (the usual case, and the fast one).
        """
        changed = 0
        conn = self.db.conn
        if untracked:
            changed += conn.executemany(
                "UPDATE products SET stock_tracked = 0 WHERE sku = ? AND stock_tracked = 1",
                [[sku] for sku in untracked]).rowcount
        if tracked and conn.execute(
                "SELECT 1 FROM products WHERE stock_tracked = 0 LIMIT 1").fetchone():
            changed += conn.executemany(
                "UPDATE products SET stock_tracked = 1 WHERE sku = ? AND stock_tracked = 0",
                [[sku] for sku in tracked]).rowcount
        return max(changed, 0)

    def stock_tracked(self, sku: str) -> bool:
        """Whether the store counts the stock of ``sku`` (False: sellable without a count)."""
        row = self.db.execute("SELECT stock_tracked FROM products WHERE sku = ?",
                              [sku]).fetchone()
        return bool(row[0]) if row else True

    def exclude(self, sku: str, channel: str, reason: str = "") -> None:
        """Keep ``sku`` off ``channel`` whatever the mapping's filters say."""
        self.db.execute(
            "INSERT OR REPLACE INTO channel_exclusions (sku, channel, reason) VALUES (?, ?, ?)",
            [sku, channel, reason],
        )

    def include(self, sku: str, channel: str) -> None:
        """Remove an exclusion of ``sku`` from ``channel``."""
        self.db.execute(
            "DELETE FROM channel_exclusions WHERE sku = ? AND channel = ?", [sku, channel]
        )

    def set_override(self, sku: str, channel: str, field_name: str, value: str | None) -> None:
        """Override one channel field for one SKU (``None`` removes the override)."""
        if value is None:
            self.db.execute(
                "DELETE FROM channel_overrides WHERE sku = ? AND channel = ? AND field = ?",
                [sku, channel, field_name],
            )
            return
        self.db.execute(
            "INSERT OR REPLACE INTO channel_overrides (sku, channel, field, value)"
            " VALUES (?, ?, ?, ?)",
            [sku, channel, field_name, value],
        )

    # --- prune ----------------------------------------------------------------------------

    def start_tracking_seen(self) -> None:
        """Record every SKU upserted from now on (in a temp table), for :meth:`prune_unseen`."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS import_seen (sku TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.import_seen")
        self._tracking_seen = True

    def mark_seen(self, skus: Iterable[str]) -> None:
        """Mark SKUs as present in the export even when they were not upserted (skipped rows)."""
        for chunk in _chunks(skus, BATCH_SIZE):
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO temp.import_seen (sku) VALUES (?)", [[s] for s in chunk]
            )

    def stop_tracking_seen(self) -> None:
        """Stop recording upserted SKUs (after an import, whether it committed or not)."""
        self._tracking_seen = False
        self.db.execute("DROP TABLE IF EXISTS temp.import_seen")

    def unseen_count(self) -> int:
        """How many catalog SKUs the tracked import did not mention."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM products WHERE sku NOT IN (SELECT sku FROM temp.import_seen)"
        ).fetchone()
        return int(row[0])

    def prune_unseen(self) -> int:
        """Delete the SKUs the tracked import did not mention; returns how many went."""
        cursor = self.db.execute(
            "DELETE FROM products WHERE sku NOT IN (SELECT sku FROM temp.import_seen)"
        )
        self._tracking_seen = False
        return int(cursor.rowcount)

    # --- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        """Number of products (SKUs) in the catalog."""
        return int(self.db.execute("SELECT COUNT(*) FROM products").fetchone()[0])

    def existing_skus(self, skus: Sequence[str]) -> set[str]:
        """Which of ``skus`` are in the catalog (one query per 900 SKUs)."""
        found: set[str] = set()
        for chunk in _chunks(skus, _PLACEHOLDER_LIMIT):
            marks = ", ".join("?" for _ in chunk)
            cursor = self.db.conn.execute(f"SELECT sku FROM products WHERE sku IN ({marks})", chunk)
            found.update(row[0] for row in cursor)
        return found

    def has_sku(self, sku: str) -> bool:
        """Whether ``sku`` is in the catalog."""
        return self.db.execute("SELECT 1 FROM products WHERE sku = ?", [sku]).fetchone() is not None

    def get_product(self, sku: str) -> Product | None:
        """One product by SKU, or None."""
        for product in self.iter_products("sku = ?", [sku]):
            return product
        return None

    def iter_products(self, where: str = "", params: Sequence[Any] = ()) -> Iterator[Product]:
        """Stream products ordered by SKU (optionally filtered by a SQL ``where`` clause).

        Images are merged in from a second cursor ordered the same way, so the whole read is two
        sequential scans rather than one query per product.
        """
        clause = f"WHERE {where}" if where else ""
        products = self.db.conn.execute(
            f"SELECT {', '.join(CONTENT_COLUMNS)} FROM products {clause} ORDER BY sku", params
        )
        image_where = f"WHERE sku IN (SELECT sku FROM products {clause})" if where else ""
        images = self.db.conn.execute(
            f"SELECT sku, url FROM images {image_where} ORDER BY sku, position", params
        )
        pending = images.fetchone()
        for values in products:
            row = dict(zip(CONTENT_COLUMNS, values, strict=True))
            sku = row["sku"]
            urls: list[str] = []
            while pending is not None and pending[0] < sku:
                pending = images.fetchone()
            while pending is not None and pending[0] == sku:
                urls.append(pending[1])
                pending = images.fetchone()
            yield row_to_product(row, urls)

    def inventory(self, sku: str) -> list[InventoryLevel]:
        """Stock rows of one SKU by location."""
        rows = self.db.execute(
            "SELECT sku, location, on_hand, reserved FROM inventory WHERE sku = ?"
            " ORDER BY location",
            [sku],
        ).fetchall()
        return [InventoryLevel(*row) for row in rows]

    def iter_inventory(self) -> Iterator[InventoryLevel]:
        """Every stock row, ordered by SKU then location (streamed, for exports)."""
        cursor = self.db.conn.execute(
            "SELECT sku, location, on_hand, reserved FROM inventory ORDER BY sku, location"
        )
        for row in cursor:
            yield InventoryLevel(*row)

    def available(self, sku: str) -> int:
        """Σ(on hand − reserved) over locations; 0 for a SKU without stock rows.

        For a SKU whose stock is not tracked this is whatever count was last stored; ask
        :meth:`stock_tracked` first."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(on_hand - reserved), 0) FROM inventory WHERE sku = ?", [sku]
        ).fetchone()
        return int(row[0])

    def exclusions(self, sku: str) -> dict[str, str]:
        """Channels ``sku`` is excluded from, with the reason."""
        rows = self.db.execute(
            "SELECT channel, reason FROM channel_exclusions WHERE sku = ?", [sku]
        ).fetchall()
        return dict(rows)

    def overrides(self, sku: str, channel: str) -> dict[str, str]:
        """Field overrides of ``sku`` on ``channel``."""
        rows = self.db.execute(
            "SELECT field, value FROM channel_overrides WHERE sku = ? AND channel = ?",
            [sku, channel],
        ).fetchall()
        return dict(rows)

    def stats(self) -> dict[str, Any]:
        """Counts for ``feedsync catalog stats``."""
        q = self.db.execute

        def scalar(sql: str) -> int:
            return int(q(sql).fetchone()[0] or 0)

        by_status = dict(q("SELECT status, COUNT(*) FROM products GROUP BY status").fetchall())
        categories = q(
            "SELECT category, COUNT(*) FROM products GROUP BY category ORDER BY 2 DESC, 1"
        ).fetchall()
        return {
            "products": scalar("SELECT COUNT(*) FROM products"),
            "families": scalar(
                "SELECT COUNT(DISTINCT item_group_id) FROM products WHERE item_group_id IS NOT NULL"
            ),
            "variants": scalar("SELECT COUNT(*) FROM products WHERE item_group_id IS NOT NULL"),
            "by_status": {s: by_status.get(s, 0) for s in ("active", "draft", "archived")},
            "without_gtin": scalar("SELECT COUNT(*) FROM products WHERE gtin IS NULL"),
            "on_sale": scalar("SELECT COUNT(*) FROM products WHERE sale_price IS NOT NULL"),
            "out_of_stock": scalar("SELECT COUNT(*) FROM stock WHERE available <= 0"),
            "stock_not_tracked": scalar("SELECT COUNT(*) FROM products WHERE stock_tracked = 0"),
            "units_available": scalar("SELECT SUM(MAX(available, 0)) FROM stock"),
            "images": scalar("SELECT COUNT(*) FROM images"),
            "locations": scalar("SELECT COUNT(DISTINCT location) FROM inventory"),
            "categories": {c or "(none)": n for c, n in categories},
        }
