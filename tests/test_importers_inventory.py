"""Inventory-only files: stock per SKU and location, unknown SKUs reported with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsync.catalog import Catalog
from feedsync.catalog.importers import import_file
from feedsync.errors import InputError
from feedsync.models import InventoryLevel
from tests.conftest import make_product

FIXTURE = Path(__file__).parent / "fixtures" / "importers" / "inventory.csv"


@pytest.fixture
def stocked(catalog: Catalog) -> Catalog:
    catalog.upsert_products([make_product("TEE-S-BLK"), make_product("MUG-350")])
    return catalog


@pytest.fixture(autouse=True, params=["in-process", "reader-process"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with the file read in-process and in a forked reader process."""
    if request.param == "reader-process":
        monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    return str(request.param)


def test_inventory_file_sets_stock_per_location(stocked: Catalog) -> None:
    stocked.db.execute("INSERT INTO inventory VALUES ('TEE-S-BLK', 'main', 9, 3, 'x')")
    result = import_file(stocked, FIXTURE, location="backroom")
    assert result.format == "inventory"
    assert (result.summary.inventory_rows, result.summary.skipped) == (3, 0)
    assert stocked.inventory("TEE-S-BLK") == [
        InventoryLevel("TEE-S-BLK", "main", 4, 3),  # reservation kept
        InventoryLevel("TEE-S-BLK", "store", 2, 0),
    ]
    assert stocked.inventory("MUG-350") == [InventoryLevel("MUG-350", "backroom", 11, 0)]
    assert stocked.available("TEE-S-BLK") == 3


def test_unknown_skus_duplicates_and_bad_quantities(stocked: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("SKU,Quantity\nTEE-S-BLK,5\nNOPE,1\nMUG-350,-1\nTEE-S-BLK,6\nMUG-350,\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(stocked, path)
    assert exc.value.problems == [
        f"{path}:3: SKU NOPE: sku 'NOPE': this SKU is not in the catalog (import its product "
        "first)",
        f"{path}:4: SKU MUG-350: quantity '-1': quantity must not be negative (an oversold item "
        "has 0 available); write 0 or correct the stock in the store",
        f"{path}:5: SKU TEE-S-BLK: sku 'TEE-S-BLK @ default': duplicate SKU and location: "
        "'TEE-S-BLK @ default' is already on line 2 of this file",
        f"{path}:6: SKU MUG-350: quantity: quantity is required",
        f"{path}:6: SKU MUG-350: sku 'MUG-350 @ default': duplicate SKU and location: "
        "'MUG-350 @ default' is already on line 4 of this file",
    ]
    assert stocked.inventory("TEE-S-BLK") == []
    result = import_file(stocked, path, skip_invalid=True)
    assert (result.summary.inventory_rows, result.summary.skipped) == (1, 4)  # rows, not problems
    assert stocked.available("TEE-S-BLK") == 5


def test_inventory_header_is_checked(stocked: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,location,qty\nA,b,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(stocked, path, format="inventory")
    assert exc.value.problems == [
        "missing required column 'quantity'",
        "unknown column 'qty' (an inventory file has sku, location, quantity)",
    ]


# Shopify's inventory export header (Products → Inventory → Export), as in
# tests/fixtures/real_exports/shopify-2023-mlouye-inventory.csv; Shopify lets the merchant export
# one location only (https://help.shopify.com/en/manual/products/inventory/inventory-csv).
SHOPIFY_INVENTORY_HEADER = (
    "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,"
    "Option3 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n")


def test_shopify_export_of_one_location_keeps_the_other_locations(
        stocked: Catalog, tmp_path: Path) -> None:
    """A Shopify inventory export covering one location sets that location and replaces the
    product export's total (at --location, else 'default'); stock at a location the file never
    names is not the file's to zero (review finding: it wiped the Warehouse)."""
    stocked.set_inventory([InventoryLevel("TEE-S-BLK", "default", 20),  # product export total
                           InventoryLevel("TEE-S-BLK", "Shop location", 5),
                           InventoryLevel("TEE-S-BLK", "Warehouse", 7),
                           InventoryLevel("MUG-350", "Warehouse", 9)])
    path = tmp_path / "inventory_export.csv"
    path.write_text(SHOPIFY_INVENTORY_HEADER
                    + "tee,Tee,Size,S,,,,,TEE-S-BLK,,,Shop location,0,0,0,6,6\n"
                    + "mug,Mug,Title,Default Title,,,,,MUG-350,,,Shop location,0,0,0,4,4\n",
                    encoding="utf-8")
    import_file(stocked, path)
    assert {(lv.location, lv.on_hand) for lv in stocked.inventory("TEE-S-BLK")} == {
        ("default", 0), ("Shop location", 6), ("Warehouse", 7)}
    assert {(lv.location, lv.on_hand) for lv in stocked.inventory("MUG-350")} == {
        ("Shop location", 4), ("Warehouse", 9)}
    assert stocked.available("TEE-S-BLK") == 13


def test_shopify_export_of_all_locations_zeroes_a_listed_location_the_sku_lacks(
        stocked: Catalog, tmp_path: Path) -> None:
    """Locations the file does list are the file's: a SKU without a row at one of them (not
    stocked there) has no stock there, so units are never counted twice."""
    stocked.set_inventory([InventoryLevel("TEE-S-BLK", "Warehouse", 7),
                           InventoryLevel("TEE-S-BLK", "Outlet", 2)])
    path = tmp_path / "inventory_export.csv"
    path.write_text(SHOPIFY_INVENTORY_HEADER
                    + "tee,Tee,Size,S,,,,,TEE-S-BLK,,,Shop location,0,0,0,6,6\n"
                    + "mug,Mug,Title,Default Title,,,,,MUG-350,,,Warehouse,0,0,0,4,4\n",
                    encoding="utf-8")
    import_file(stocked, path, location="Outlet")
    assert {(lv.location, lv.on_hand) for lv in stocked.inventory("TEE-S-BLK")} == {
        ("Shop location", 6), ("Warehouse", 0), ("Outlet", 0)}
