"""Catalog tables and their migrations (component ``catalog`` in schema_migrations).

Money and measures are stored as TEXT holding a canonical Decimal string, never REAL, so a price
read back is exactly the price written. JSON columns hold lists/objects serialised with sorted
keys. ``content_hash`` covers everything a channel could show except stock, so a changed price or
title is detectable in SQL without re-rendering.
"""

from __future__ import annotations

import sqlite_utils

from feedsync.db import MigrationStep

COMPONENT = "catalog"

_V1 = """
CREATE TABLE products (
    sku TEXT PRIMARY KEY NOT NULL,
    item_group_id TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    brand TEXT,
    gtin TEXT,
    mpn TEXT,
    condition TEXT NOT NULL DEFAULT 'new',
    category TEXT NOT NULL DEFAULT '',
    product_type TEXT NOT NULL DEFAULT '',
    price TEXT NOT NULL,
    sale_price TEXT,
    sale_start TEXT,
    sale_end TEXT,
    currency TEXT NOT NULL,
    weight TEXT,
    weight_unit TEXT,
    length TEXT,
    width TEXT,
    height TEXT,
    dimension_unit TEXT,
    link TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draft', 'archived')),
    color TEXT,
    size TEXT,
    material TEXT,
    pattern TEXT,
    gender TEXT,
    age_group TEXT,
    variant_axes TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX products_item_group ON products (item_group_id);
CREATE INDEX products_updated_at ON products (updated_at);
CREATE TABLE images (
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (sku, position)
);
CREATE TABLE inventory (
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    location TEXT NOT NULL,
    on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sku, location)
);
CREATE TABLE channel_exclusions (
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sku, channel)
);
CREATE TABLE channel_overrides (
    sku TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sku, channel, field)
);
CREATE VIEW stock AS
    SELECT p.sku AS sku,
           COALESCE(SUM(i.on_hand - i.reserved), 0) AS available,
           COALESCE(SUM(i.on_hand), 0) AS on_hand,
           COALESCE(SUM(i.reserved), 0) AS reserved
    FROM products p LEFT JOIN inventory i ON i.sku = p.sku
    GROUP BY p.sku
"""

# V2 (issue #10): stock that the store does not count. Shopify variants without an inventory
# tracker and WooCommerce products without "manage stock" are sellable without a number: they
# are neither 0 nor any count, so `stock.available` is NULL for them and channels are sent the
# mapping's `[quantity] untracked_quantity`. Orders never reserve such stock.
_V2 = """
ALTER TABLE products ADD COLUMN stock_tracked INTEGER NOT NULL DEFAULT 1
    CHECK (stock_tracked IN (0, 1));
CREATE INDEX products_untracked ON products (sku) WHERE stock_tracked = 0;
DROP VIEW stock;
CREATE VIEW stock AS
    SELECT p.sku AS sku,
           CASE WHEN p.stock_tracked = 1 THEN COALESCE(SUM(i.on_hand - i.reserved), 0)
           END AS available,
           COALESCE(SUM(i.on_hand), 0) AS on_hand,
           COALESCE(SUM(i.reserved), 0) AS reserved,
           p.stock_tracked AS tracked
    FROM products p LEFT JOIN inventory i ON i.sku = p.sku
    GROUP BY p.sku
"""

# V3 (issue #19): the digest of each SKU's row in the last native CSV import (its product cells,
# not its stock cells, with the parse options and the parser's version). A re-import skips
# parsing a row whose digest matches (feedsync/catalog/importers/unchanged.py). An entry lives
# only while its product keeps the content that row produced: the triggers drop it when the
# product is deleted, renamed, or its content_hash changes by any path (the importer records
# anew after its own writes). Triggers rather than a foreign key: an import inserts a million
# entries, and a foreign key would look each one's product up again.
_V3 = (
    """CREATE TABLE import_rows (
        sku TEXT PRIMARY KEY NOT NULL,
        row_hash BLOB NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TRIGGER import_rows_changed AFTER UPDATE OF sku, content_hash ON products
        WHEN NEW.content_hash IS NOT OLD.content_hash OR NEW.sku IS NOT OLD.sku
        BEGIN DELETE FROM import_rows WHERE sku = OLD.sku; END""",
    """CREATE TRIGGER import_rows_deleted AFTER DELETE ON products
        BEGIN DELETE FROM import_rows WHERE sku = OLD.sku; END""",
)


def _v3(db: sqlite_utils.Database) -> None:
    # a callable step: the triggers' bodies hold a ';', which a migration script cannot
    for statement in _V3:
        db.execute(statement)


MIGRATIONS: list[MigrationStep] = [_V1, _V2, _v3]
