"""Order tables and their migrations (component ``orders`` in schema_migrations).

- ``orders`` / ``order_lines`` are keyed by (channel, account, the channel's order id [, line id]).
  Money is Decimal text; timestamps are ISO 8601 UTC. ``raw`` is the channel payload with personal
  data removed (see :mod:`feedsync.orders.privacy`). ``updated_at`` is the channel's own last
  update time: an older version of an order never overwrites a newer one.
- ``order_lines.shipped_high`` is the most units ever known shipped for the line (the channel's
  count, shipments confirmed by ``orders ship``, or all of it once the order is shipped). It only
  grows, so a stale read can never turn a shipment back into a reservation.
- ``stock_ledger`` holds, per order line, what that line currently has reserved and decremented
  at which location; stock changes are the delta between a line's previous and new entry.
- ``order_cursors`` is the per-(channel, account) position of ``orders pull``, committed with the
  page that reached it.
- ``stock_outbox`` lists (target channel, SKU) pairs whose quantity must be pushed by the fast
  path; rows are written with the orders that caused them and removed once pushed.
- ``order_issues`` records unknown SKUs, oversells and invalid lines per order line.
- ``shipments`` records each shipment sent back to a channel with its tracking number.
"""

from __future__ import annotations

from feedsync.db import MigrationStep

COMPONENT = "orders"

_V1 = """
CREATE TABLE orders (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'unshipped', 'partially_shipped',
                                           'shipped', 'cancelled', 'refunded')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    total TEXT,
    currency TEXT,
    fees TEXT,
    fulfillment_channel TEXT,
    raw TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    unknown_skus INTEGER NOT NULL DEFAULT 0,
    ack_required INTEGER NOT NULL DEFAULT 0,
    acked_at TEXT,
    ack_attempts INTEGER NOT NULL DEFAULT 0,
    ack_error TEXT,
    first_seen_at TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (channel, account, order_id)
);
CREATE INDEX orders_by_update ON orders (channel, account, updated_at);
CREATE INDEX orders_by_status ON orders (status, channel);
CREATE INDEX orders_by_created ON orders (created_at);
CREATE TABLE order_lines (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    sku TEXT,
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    quantity_shipped INTEGER NOT NULL DEFAULT 0 CHECK (quantity_shipped >= 0),
    quantity_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (quantity_confirmed >= 0),
    shipped_high INTEGER NOT NULL DEFAULT 0 CHECK (shipped_high >= 0),
    unit_price TEXT,
    currency TEXT,
    title TEXT,
    channel_item_id TEXT,
    sku_known INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, account, order_id, line_id),
    FOREIGN KEY (channel, account, order_id) REFERENCES orders (channel, account, order_id)
        ON DELETE CASCADE
);
CREATE INDEX order_lines_by_sku ON order_lines (sku);
CREATE TABLE order_cursors (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    cursor TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, account)
);
CREATE TABLE stock_ledger (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    location TEXT NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    decremented INTEGER NOT NULL DEFAULT 0 CHECK (decremented >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, account, order_id, line_id)
);
CREATE INDEX stock_ledger_by_sku ON stock_ledger (sku, location);
CREATE TABLE stock_outbox (
    channel TEXT NOT NULL,
    sku TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (channel, sku)
);
CREATE TABLE order_issues (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_id TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    sku TEXT,
    message TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (channel, account, order_id, line_id, code)
);
CREATE INDEX order_issues_open ON order_issues (resolved_at, code);
CREATE TABLE shipments (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    carrier TEXT NOT NULL,
    ship_method TEXT,
    shipped_at TEXT,
    lines TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('sending', 'confirmed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmed_at TEXT,
    PRIMARY KEY (channel, account, order_id, tracking_number)
)
"""

# v2 (issue #19): the SKU indexes of order_lines and stock_ledger took a random insert per line
# and no query needed them in full: at 100k orders they cost a fifth of storing an order (dirty
# index pages written to the WAL at every page's commit). The one query that looks lines up by
# SKU — reapply_unknown, at every pull: lines whose SKU was unknown — gets a partial index of
# just those lines (0.35 s → 0.5 ms at 100k orders); summing a SKU's ledger entries scans.
_V2 = """
DROP INDEX IF EXISTS order_lines_by_sku;
DROP INDEX IF EXISTS stock_ledger_by_sku;
CREATE INDEX order_lines_unknown_sku ON order_lines (sku) WHERE sku_known = 0
"""

MIGRATIONS: list[MigrationStep] = [_V1, _V2]
