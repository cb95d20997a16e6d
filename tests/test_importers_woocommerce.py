"""WooCommerce product CSV export: variable products, variations in any order, exporter quirks."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from feedsync.catalog import Catalog
from feedsync.catalog.importers import import_file
from feedsync.errors import InputError
from feedsync.models import InventoryLevel, ProductStatus

EXPORT = Path(__file__).parent / "fixtures" / "importers" / "wc-product-export.csv"
IMG = "https://shop.example.com/wp-content/uploads/2026/03"


@pytest.fixture(autouse=True, params=["in-process", "reader-process"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with the file read in-process and in a forked reader process."""
    if request.param == "reader-process":
        monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    return str(request.param)


def rows_of_fixture() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8-sig"))))
    return rows[0], rows[1:]


def write(tmp_path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / "wc-product-export.csv"
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    return path


def test_export_is_detected_and_only_sellable_rows_imported(catalog: Catalog) -> None:
    result = import_file(catalog, EXPORT)
    assert result.format == "woocommerce"
    assert result.rows == 9
    assert (result.summary.created, result.summary.skipped) == (6, 0)
    # variable parents (HOODIE, id 30) and the grouped BUNDLE are not sellable SKUs
    assert {p.sku for p in catalog.iter_products()} == {
        "MUG-STONE", "HOODIE-RED-M", "HOODIE-BLUE-L", "SOCKS-S", "SOCKS-M", "EXT-BOOK"}


def test_simple_product_and_exporter_escapes(catalog: Catalog) -> None:
    import_file(catalog, EXPORT)
    mug = catalog.get_product("MUG-STONE")
    assert mug is not None
    assert mug.description == "Hand-glazed stoneware.\nHolds 350 ml.\n\\n is not a newline"
    assert (mug.price, mug.sale_price) == (Decimal("18.5"), Decimal("15"))
    assert (mug.sale_start.isoformat(), mug.sale_end.isoformat()) == (  # type: ignore[union-attr]
        "2026-11-27T00:00:00", "2026-12-01T23:59:59")
    assert mug.tags == ["kitchen", "stoneware, glazed"]
    assert mug.category == "Home > Kitchen"
    assert mug.attributes["categories"] == ["Home > Kitchen", "Gifts > For Her"]
    assert mug.images == [f"{IMG}/mug-1.jpg", f"{IMG}/mug-2.jpg"]
    assert (mug.gtin, mug.brand, mug.material) == ("4006381333931", "Example Home", "Stoneware")
    assert (mug.weight, mug.weight_unit, mug.length, mug.dimension_unit) == (
        Decimal("0.4"), "kg", Decimal("12"), "cm")
    assert (mug.item_group_id, mug.variant_axes) == (None, [])
    assert catalog.available("MUG-STONE") == 12
    book = catalog.get_product("EXT-BOOK")
    assert book is not None
    assert book.description == "-50% for members: a pattern book."  # "'" prefix removed
    assert (book.link, book.status) == ("https://books.example.com/knitting",
                                        ProductStatus.DRAFT)


def test_variations_inherit_from_their_parent_in_any_order(catalog: Catalog) -> None:
    import_file(catalog, EXPORT)
    red = catalog.get_product("HOODIE-RED-M")  # its row comes before the parent's
    blue = catalog.get_product("HOODIE-BLUE-L")
    assert red is not None and blue is not None
    assert red.item_group_id == blue.item_group_id == "HOODIE"
    assert (red.title, blue.title) == ("Hoodie - Red, M", "Hoodie")  # blank name inherits
    assert red.description == blue.description == "A heavyweight cotton hoodie."
    assert red.category == "Clothing > Hoodies" and red.brand == "Northwind"
    assert red.tags == ["winter"]
    assert (red.color, red.size, red.variant_axes) == ("Red", "M", ["color", "size"])
    assert (blue.color, blue.size) == ("Blue", "L")
    assert red.images == [f"{IMG}/hoodie-red.jpg", f"{IMG}/hoodie-1.jpg", f"{IMG}/hoodie-2.jpg"]
    assert blue.images == [f"{IMG}/hoodie-1.jpg", f"{IMG}/hoodie-2.jpg"]
    assert (red.weight, red.weight_unit) == (Decimal("0.7"), "kg")
    assert (red.price, red.sale_price) == (Decimal("60"), Decimal("45"))
    assert catalog.available("HOODIE-RED-M") == 5
    assert catalog.available("HOODIE-BLUE-L") == 40  # Stock "parent": the parent's stock


def test_parent_without_sku_and_stock_status(catalog: Catalog) -> None:
    import_file(catalog, EXPORT)
    small = catalog.get_product("SOCKS-S")
    medium = catalog.get_product("SOCKS-M")
    assert small is not None and medium is not None
    assert small.item_group_id == medium.item_group_id == "woo-30"
    assert (small.status, medium.status) == (ProductStatus.ACTIVE, ProductStatus.DRAFT)
    assert small.size == "S" and small.variant_axes == ["size"]
    assert catalog.inventory("SOCKS-S") == [InventoryLevel("SOCKS-S", "default", 0, 0)]


def test_variation_without_its_parent_is_reported(catalog: Catalog, tmp_path: Path) -> None:
    header, rows = rows_of_fixture()
    rows = [r for r in rows if r[header.index("ID")] != "20"]  # drop the HOODIE parent
    path = write(tmp_path, header, rows)
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert exc.value.problems == [
        f"{path}:3: SKU HOODIE-RED-M: Parent 'HOODIE': parent 'HOODIE' is not in this file",
        f"{path}:4: SKU HOODIE-BLUE-L: Parent 'HOODIE': parent 'HOODIE' is not in this file",
    ]
    assert catalog.count() == 0


def test_invalid_parent_skips_its_variations(catalog: Catalog, tmp_path: Path) -> None:
    header, rows = rows_of_fixture()
    for r in rows:
        if r[header.index("ID")] == "20":
            r[header.index("Published")] = "yes"
    path = write(tmp_path, header, rows)
    result = import_file(catalog, path, skip_invalid=True)
    text = "\n".join(result.summary.problems)
    assert f"{path}:4: Published 'yes': must be 1 (published)" in text
    assert f"{path}:3: SKU HOODIE-RED-M: Parent 'HOODIE': skipped: its parent (line 4)" in text
    assert f"{path}:5: SKU HOODIE-BLUE-L: Parent 'HOODIE': skipped: its parent (line 4)" in text
    assert not catalog.has_sku("HOODIE-RED-M") and catalog.has_sku("MUG-STONE")


def test_localised_prices_and_missing_skus_are_rejected(catalog: Catalog, tmp_path: Path) -> None:
    header, rows = rows_of_fixture()
    for r in rows:
        if r[header.index("SKU")] == "MUG-STONE":
            r[header.index("Regular price")] = "18,50"
        if r[header.index("SKU")] == "SOCKS-M":
            r[header.index("SKU")] = ""
    path = write(tmp_path, header, rows)
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    text = "\n".join(exc.value.problems)
    assert f"{path}:2: SKU MUG-STONE: Regular price '18,50': price contains ','" in text
    assert "SKU is empty" not in text  # SOCKS-M's row gets woo-<ID> (issue #10) …
    # … unless deriving is switched off
    with pytest.raises(InputError) as exc:
        import_file(catalog, path, sku_rules={"woocommerce_sku_rule": ""})
    assert f"{path}:8: SKU: SKU is empty" in "\n".join(exc.value.problems)


def test_translated_headers_are_refused_with_a_hint(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "wc.csv"
    path.write_text("ID,Type,SKU,Name,Regular price,Weight (stone)\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert "not a complete WooCommerce product export" in exc.value.message
    assert exc.value.problems == ["column 'weight (stone)': unknown unit 'stone'"]


def test_many_variations_before_their_parents(catalog: Catalog, tmp_path: Path) -> None:
    """More out-of-order families than the parent cache holds: all wait in the temp table."""
    header, _ = rows_of_fixture()
    col = {name: i for i, name in enumerate(header)}

    def line(**cells: str) -> list[str]:
        out = [""] * len(header)
        for name, value in cells.items():
            out[col[name]] = value
        return out

    variations, parents = [], []
    for family in range(100):
        parents.append(line(ID=str(1000 + family), Type="variable", SKU=f"P{family}",
                            Name=f"Family {family}", Published="1"))
        for size in ("S", "M"):
            variations.append(line(Type="variation", SKU=f"P{family}-{size}", Published="1",
                                   **{"Regular price": "10", "Parent": f"id:{1000 + family}",
                                      "Attribute 1 name": "Size",
                                      "Attribute 1 value(s)": size}))
    result = import_file(catalog, write(tmp_path, header, variations + parents))
    assert result.summary.created == 200
    product = catalog.get_product("P42-M")
    assert product is not None
    assert (product.title, product.item_group_id, product.size) == ("Family 42", "P42", "M")
