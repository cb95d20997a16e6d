"""The orders schema's v2 indexes (issue #19): no per-line random index the ingest pays for
and nothing reads, and the per-pull lookup of lines with an unknown SKU served by a partial
index of just those lines."""

from __future__ import annotations

from pathlib import Path

from feedsync.catalog import open_catalog
from feedsync.db import migrate
from feedsync.orders import schema
from feedsync.orders.store import OrderStore


def _indexes(db_path: Path) -> set[str]:
    catalog = open_catalog(db_path)
    names = {row[0] for row in catalog.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN"
        " ('order_lines', 'stock_ledger') AND sql IS NOT NULL")}
    catalog.db.close()
    return names


def test_a_v1_workspace_migrates_to_the_v2_indexes(tmp_path: Path) -> None:
    catalog = open_catalog(tmp_path / "c.db")
    migrate(catalog.db, schema.COMPONENT, schema.MIGRATIONS[:1])  # a workspace of v1
    assert {"order_lines_by_sku", "stock_ledger_by_sku"} <= _indexes(tmp_path / "c.db")
    OrderStore(catalog.db)
    catalog.db.close()
    assert _indexes(tmp_path / "c.db") == {"order_lines_unknown_sku"}


def test_reapplying_unknown_skus_reads_only_the_unknown_lines(tmp_path: Path) -> None:
    catalog = open_catalog(tmp_path / "c.db")
    store = OrderStore(catalog.db)
    statements: list[str] = []
    catalog.db.conn.set_trace_callback(statements.append)
    store.reapply_unknown()
    catalog.db.conn.set_trace_callback(None)
    [query] = [s for s in statements if s.startswith("SELECT") and "order_lines" in s]
    plan = catalog.db.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()
    assert any("order_lines_unknown_sku" in row[-1] for row in plan), plan
