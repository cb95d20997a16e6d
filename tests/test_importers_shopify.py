"""Shopify product CSV export: handles spanning rows, options, compare-at sales, images, stock."""

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

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
EXPORT = FIXTURES / "shopify_products_export.csv"
CDN = "https://cdn.shopify.com/s/files/1/0000/0001/products"


@pytest.fixture(autouse=True, params=["in-process", "reader-process"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with the file read in-process and in a forked reader process."""
    if request.param == "reader-process":
        monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    return str(request.param)


def edited(tmp_path: Path, changes: dict[tuple[int, str], str], drop: tuple[int, ...] = ()) -> Path:
    """A copy of the fixture with cells changed by (data row index, column)."""
    rows = list(csv.reader(EXPORT.open(encoding="utf-8", newline="")))
    header = rows[0]
    for (index, column), value in changes.items():
        rows[index + 1][header.index(column)] = value
    kept = [r for i, r in enumerate(rows) if i - 1 not in drop]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    path = tmp_path / "products_export.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_export_is_detected_and_every_variant_imported(catalog: Catalog) -> None:
    result = import_file(catalog, EXPORT)
    assert result.format == "shopify"
    assert result.rows == 7  # 6 variants + 1 image-only row
    assert (result.summary.created, result.summary.skipped) == (6, 0)
    assert {p.sku for p in catalog.iter_products()} == {
        "TEE-S-BLK", "TEE-M-BLK", "TEE-M-WHT", "MUG-350", "WRAP-PAPER", "WRAP-FABRIC"}


def test_multi_row_handle_becomes_a_family(catalog: Catalog) -> None:
    import_file(catalog, EXPORT)
    tee = catalog.get_product("TEE-M-WHT")
    assert tee is not None
    assert tee.item_group_id == "organic-tee"
    assert tee.title == "Organic Tee"
    assert tee.description == (
        "<p>Soft <strong>organic</strong> cotton.</p>\n<p>Second paragraph.</p>")
    assert (tee.brand, tee.product_type) == ("Northwind", "T-Shirt")
    assert tee.category == "Apparel & Accessories > Clothing > Shirts & Tops"
    assert tee.tags == ["basics", "cotton", "organic"]
    assert (tee.size, tee.color, tee.variant_axes) == ("M", "White", ["size", "color"])
    assert (tee.gender, tee.age_group, tee.mpn) == ("unisex", "adult", "NW-TEE")
    assert (tee.weight, tee.weight_unit) == (Decimal("180"), "g")
    assert tee.attributes["handle"] == "organic-tee"
    assert tee.attributes["seo_title"] == "Organic Tee | Northwind"
    # images from every row of the handle (including the image-only row), by Image Position
    assert tee.images == [f"{CDN}/tee-{n}.jpg?v=1700000000"
                          for n in ("front", "back", "detail", "flat")]


def test_compare_at_price_means_a_sale(catalog: Catalog) -> None:
    import_file(catalog, EXPORT)
    on_sale = catalog.get_product("TEE-S-BLK")
    assert on_sale is not None
    assert (on_sale.price, on_sale.sale_price) == (Decimal("30.00"), Decimal("24.00"))
    same = catalog.get_product("TEE-M-WHT")  # compare-at equal to price: no sale
    assert same is not None and (same.price, same.sale_price) == (Decimal("30.00"), None)
    assert on_sale.images[0] == f"{CDN}/tee-black.jpg?v=1700000000"  # Variant Image first
    assert on_sale.attributes["cost_per_item"] == "8.50"
    assert on_sale.gtin == "0614141000036"


def test_simple_product_draft_and_untracked_stock(catalog: Catalog) -> None:
    import_file(catalog, EXPORT, location="main")
    mug = catalog.get_product("MUG-350")
    assert mug is not None
    assert (mug.item_group_id, mug.variant_axes, mug.status) == (None, [], ProductStatus.DRAFT)
    assert mug.gtin == "4006381333931"
    assert catalog.inventory("MUG-350") == [InventoryLevel("MUG-350", "main", 25, 0)]
    assert catalog.inventory("TEE-M-BLK") == [InventoryLevel("TEE-M-BLK", "main", 0, 0)]
    wrap = catalog.get_product("WRAP-PAPER")
    assert wrap is not None
    assert (wrap.material, wrap.variant_axes) == ("Recycled paper", ["material"])
    assert wrap.attributes["barcode"] == "GW-0001"  # not a GTIN: kept, not rejected
    assert wrap.gtin is None and wrap.weight is None  # 0 grams means no weight
    assert catalog.inventory("WRAP-PAPER") == []  # inventory not tracked by Shopify


def test_newer_export_headers(catalog: Catalog) -> None:
    result = import_file(catalog, FIXTURES / "shopify_products_export_2025.csv")
    assert result.format == "shopify" and result.summary.created == 2
    shirt = catalog.get_product("SH-001-M")
    assert shirt is not None
    assert (shirt.item_group_id, shirt.size, shirt.price) == ("linen-shirt", "M",
                                                              Decimal("79.90"))
    assert shirt.images == ["https://cdn.example.com/linen-1.jpg",
                            "https://cdn.example.com/linen-2.jpg"]
    assert catalog.available("SH-001-S") == 12


def test_bad_variant_is_listed_and_skipped_alone(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(tmp_path, {(1, "Variant Price"): "30,00"})
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert exc.value.problems == [
        f"{path}:4: SKU TEE-M-BLK: Variant Price '30,00': price contains ',': feedsync does "
        "not guess whether it is a decimal or a thousands separator; write '.' as the decimal "
        "separator and no thousands separator (e.g. 12.99 or 1299.00)"]
    assert catalog.count() == 0
    result = import_file(catalog, path, skip_invalid=True)
    assert (result.summary.created, result.summary.skipped) == (5, 1)
    assert catalog.has_sku("TEE-S-BLK") and not catalog.has_sku("TEE-M-BLK")


def test_bad_product_row_skips_the_whole_handle(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(tmp_path, {(0, "Status"): "live"})
    result = import_file(catalog, path, skip_invalid=True)
    assert result.summary.skipped == 3 and result.summary.created == 3
    text = "\n".join(result.summary.problems)
    assert f"{path}:2: SKU TEE-S-BLK: Status 'live': must be one of" in text
    # line 2's Body (HTML) holds a line break, so the next record starts on line 4
    assert f"{path}:4: SKU TEE-M-BLK: skipped: the product's first row (line 2) is invalid" in text
    assert not any(catalog.has_sku(s) for s in ("TEE-S-BLK", "TEE-M-BLK", "TEE-M-WHT"))


def test_missing_variant_sku_and_split_handles(catalog: Catalog, tmp_path: Path) -> None:
    # WRAP-FABRIC loses its SKU; the tee's rows are split by moving its image row after the mug
    rows = list(csv.reader(EXPORT.open(encoding="utf-8", newline="")))
    header = rows[0]
    rows[7][header.index("Variant SKU")] = ""
    rows = [rows[0], rows[1], rows[2], rows[3], rows[5], rows[4], rows[6], rows[7]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = tmp_path / "p.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    text = "\n".join(exc.value.problems)
    # the stray image row is taken for the handle's first row (and gets the derived SKU)
    assert (f"{path}:7: SKU organic-tee: Title: Title is required on the first row of handle "
            "'organic-tee'") in text
    assert "Variant SKU is empty" not in text  # WRAP-FABRIC gets a derived SKU (issue #10)
    # with deriving switched off, the SKU-less variant is refused by name
    with pytest.raises(InputError) as exc:
        import_file(catalog, path, sku_rules={"shopify_sku_rule": ""})
    assert f"{path}:9: Variant SKU: Variant SKU is empty" in "\n".join(exc.value.problems)


def test_missing_columns_are_named(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Handle,Title,Variant Price\nx,X,1.00\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column\\(s\\) Variant SKU"):
        import_file(catalog, path)


def test_a_runaway_handle_is_refused(catalog: Catalog, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("feedsync.catalog.importers.shopify.MAX_ROWS_PER_HANDLE", 2)
    with pytest.raises(InputError, match="handle 'organic-tee' has more than 2 rows"):
        import_file(catalog, EXPORT)
    assert catalog.count() == 0
