"""Reading what the engine needs from the catalog as one streamed, SKU-ordered join.

Products are read in SKU order, a block at a time; for each block, its images, stock totals, the
channel's overrides and exclusions and its untracked SKUs come from one range query per table
(``sku BETWEEN first AND last``, on each table's SKU-first key), fetched whole and joined in Python
by dictionary: a handful of queries per block instead of queries (or cursor steps) per SKU, and
memory bounded by the block. (Joining in Python is faster than SQLite's correlated subqueries
here, measured on the bench catalog.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from feedsync.catalog.rows import CONTENT_COLUMNS, product_from_values
from feedsync.models import Product

if TYPE_CHECKING:
    from feedsync.catalog import Catalog

CHUNK = 900  # SQLite's default limit is 999 host parameters per statement
BLOCK = 500  # products per block: images, stock, overrides … are read per block's SKU range

# (product, available — None when the store does not track its stock —, overrides, exclusion)
CatalogRow = tuple[Product, int | None, dict[str, str], str | None]

_SKU_AT = CONTENT_COLUMNS.index("sku")


def _scan(catalog: Catalog, channel: str, where: str, params: list[Any]) -> Iterator[CatalogRow]:
    conn = catalog.db.conn
    clause = f"WHERE {where}" if where else ""
    # the same rows as Catalog.iter_products, read by position (no dict per row)
    products = conn.execute(
        f"SELECT {', '.join(CONTENT_COLUMNS)} FROM products {clause} ORDER BY sku", params)
    while block := products.fetchmany(BLOCK):
        yield from _join(conn, channel, block, where, params)


def _join(conn: Any, channel: str, block: list[tuple[Any, ...]], where: str,
          params: list[Any]) -> Iterator[CatalogRow]:
    """A block of product rows with their images, stock, overrides and exclusion: one query
    per table for the block's SKU range, fetched whole (issue #19: no fetchone per SKU)."""
    bounds = f"{where} AND " if where else ""
    span = f"WHERE {bounds}sku BETWEEN ? AND ?"
    args = [*params, block[0][_SKU_AT], block[-1][_SKU_AT]]
    images: dict[str, list[str]] = {}
    for sku, url in conn.execute(f"SELECT sku, url FROM images {span} ORDER BY sku, position",
                                 args).fetchall():
        urls = images.get(sku)
        if urls is None:
            images[sku] = [url]
        else:
            urls.append(url)
    stock = dict(conn.execute(
        f"SELECT sku, SUM(on_hand - reserved) FROM inventory {span} GROUP BY sku", args
    ).fetchall())
    overrides: dict[str, dict[str, str]] = {}
    for sku, field, value in conn.execute(
            f"SELECT sku, field, value FROM channel_overrides {span} AND channel = ?"
            " ORDER BY sku, field", [*args, channel]).fetchall():
        overrides.setdefault(sku, {})[field] = value
    exclusions = dict(conn.execute(
        f"SELECT sku, reason FROM channel_exclusions {span} AND channel = ?", [*args, channel]
    ).fetchall())
    # few SKUs are untracked: the partial index products_untracked reads just those
    untracked = {sku for (sku,) in conn.execute(
        f"SELECT sku FROM products {span} AND stock_tracked = 0", args).fetchall()}
    for values in block:
        sku = values[_SKU_AT]
        yield (
            product_from_values(values, images.get(sku) or []),
            None if sku in untracked else int(stock.get(sku, 0)),
            overrides.get(sku) or {},
            exclusions.get(sku),
        )


# A range of SKUs, first included, end excluded; None leaves that side open.
SkuRange = tuple[str | None, str | None]


def range_clause(sku_range: SkuRange) -> tuple[str, list[str]]:
    """The WHERE condition (and its parameters) selecting the SKUs of ``sku_range``."""
    first, end = sku_range
    parts = [*(["sku >= ?"] if first is not None else []),
             *(["sku < ?"] if end is not None else [])]
    return " AND ".join(parts), [bound for bound in (first, end) if bound is not None]


def iter_catalog(catalog: Catalog, channel: str, skus: Iterable[str] | None = None,
                 sku_range: SkuRange | None = None) -> Iterator[CatalogRow]:
    """(product, available, overrides, exclusion reason or None) per product, in SKU order;
    ``available`` is None for a SKU whose stock the store does not track.

    ``sku_range`` limits the scan to the SKUs from its first (included) to its end (excluded):
    one worker's share of a feed built by several processes (feedsync/feeds/parallel.py)."""
    if sku_range is not None:
        if skus is not None:
            raise ValueError("iter_catalog: pass skus or sku_range, not both")
        where, params = range_clause(sku_range)
        yield from _scan(catalog, channel, where, params)
        return
    if skus is None:
        yield from _scan(catalog, channel, "", [])
        return
    ordered = iter(sorted(set(skus)))
    while chunk := list(islice(ordered, CHUNK)):
        marks = ", ".join("?" for _ in chunk)
        yield from _scan(catalog, channel, f"sku IN ({marks})", chunk)
