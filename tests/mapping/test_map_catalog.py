"""map_catalog: one record per product, in SKU order, stock/overrides/exclusions merged right."""

from __future__ import annotations

from pathlib import Path

from feedsync.catalog import Catalog
from feedsync.config import load_workspace
from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.stream import iter_catalog
from feedsync.models import InventoryLevel, ProductStatus
from tests.conftest import make_product
from tests.mapping.conftest import NOW


def fill(catalog: Catalog, count: int) -> list[str]:
    skus = [f"SKU-{n:04d}" for n in range(count)]
    catalog.upsert_products(make_product(sku) for sku in reversed(skus))
    return skus


def test_join_matches_per_sku_queries(catalog: Catalog) -> None:
    skus = fill(catalog, 30)
    catalog.set_inventory([InventoryLevel(s, loc, n % 4) for n, s in enumerate(skus)
                           for loc in ("a", "b") if n % 3])
    catalog.db.execute("UPDATE inventory SET reserved = 1 WHERE sku = 'SKU-0004' AND location='a'")
    catalog.exclude("SKU-0002", "google", "recall")
    catalog.exclude("SKU-0003", "facebook", "not for meta")
    catalog.set_override("SKU-0005", "google", "title", "Custom")
    catalog.set_override("SKU-0005", "google", "brand", "Other")
    catalog.set_override("SKU-0006", "facebook", "title", "Meta only")
    rows = list(iter_catalog(catalog, "google"))
    assert [p.sku for p, *_ in rows] == skus
    for product, available, overrides, exclusion in rows:
        sku = product.sku
        assert available == catalog.available(sku)
        assert overrides == catalog.overrides(sku, "google")
        assert exclusion == catalog.exclusions(sku).get("google")
        assert product == catalog.get_product(sku)


def test_map_catalog_streams_every_product(workspace: Path, catalog: Catalog) -> None:
    skus = fill(catalog, 12)
    catalog.upsert_products([make_product("SKU-0001", status=ProductStatus.ARCHIVED)])
    catalog.set_inventory([InventoryLevel("SKU-0000", "main", 5)])
    catalog.exclude("SKU-0002", "google", "")
    catalog.set_override("SKU-0003", "google", "title", "Custom")
    mapper = ChannelMapper.for_workspace(load_workspace(workspace), "google")
    records = list(mapper.map_catalog(catalog, now=NOW))
    assert [r.sku for r in records] == skus
    by_sku = {r.sku: r for r in records}
    assert by_sku["SKU-0000"].fields["availability"] == "in_stock"
    assert by_sku["SKU-0004"].fields["availability"] == "out_of_stock"
    assert by_sku["SKU-0001"].exclusion == ("filtered out: no filters.include set matched: "
                                            "(status = active)")
    assert by_sku["SKU-0002"].exclusion == "excluded in the catalog"
    assert by_sku["SKU-0003"].fields["title"] == "Custom"
    assert all(r.sendable for r in records if r.included)


def test_skus_subset_in_chunks(workspace: Path, catalog: Catalog) -> None:
    skus = fill(catalog, 1900)
    catalog.set_inventory([InventoryLevel(s, "main", 3) for s in skus[::7]])
    catalog.set_override(skus[1850], "google", "title", "Late chunk")
    mapper = ChannelMapper.for_workspace(load_workspace(workspace), "google")
    wanted = [*skus[::3], "NOT-IN-CATALOG", skus[0]]
    records = list(mapper.map_catalog(catalog, skus=wanted, now=NOW))
    assert [r.sku for r in records] == sorted(set(skus[::3]))
    by_sku = {r.sku: r for r in records}
    assert by_sku[skus[21]].fields["availability"] == "in_stock"  # 21 is a multiple of 7 and 3
    assert by_sku[skus[3]].fields["availability"] == "out_of_stock"
    assert skus[1850] not in by_sku  # 1850 is not a multiple of 3
    late = list(mapper.map_catalog(catalog, skus=[skus[1850]], now=NOW))
    assert late[0].fields["title"] == "Late chunk"
    assert list(mapper.map_catalog(catalog, skus=[], now=NOW)) == []
