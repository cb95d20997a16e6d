"""What real stores write (issue #10), one class at a time, on copies of the real corpus files
(tests/fixtures/real_exports/, sources in its README) with the one cell under test changed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.catalog import Catalog, open_catalog
from feedsync.catalog.importers import export_catalog, import_file
from feedsync.catalog.schema import MIGRATIONS
from feedsync.cli.main import cli
from feedsync.db import migrate, open_database
from feedsync.errors import InputError, UsageError
from feedsync.mapping.rules import untracked_quantity
from feedsync.mapping.spec import QuantitySpec
from feedsync.models import InventoryLevel, ProductStatus
from feedsync.orders import schema as orders_schema
from feedsync.orders.stock import LineKey, LineTarget, StockLedger

CORPUS = Path(__file__).parent / "fixtures" / "real_exports"
PACKT = CORPUS / "shopify-2021-packt.csv"
VELOFANT = CORPUS / "shopify-2025-velofant-sv.csv"
WOO = CORPUS / "woocommerce-sample_products.csv"
WOO_9X = CORPUS / "woocommerce-9x-variable-meta.csv"


def edited(source: Path, tmp_path: Path, change: dict[tuple[str, str], str],
           rename: dict[str, str] | None = None) -> Path:
    """A copy of ``source`` with cells changed by (first-cell key, column) → value, and header
    names renamed."""
    rows = list(csv.reader(source.open(encoding="utf-8-sig", newline="")))
    header = rows[0]
    for (key, column), value in change.items():
        hits = [r for r in rows[1:] if r and r[0] == key]
        assert hits, key
        hits[0][header.index(column)] = value
    rows[0] = [(rename or {}).get(name, name) for name in header]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = tmp_path / source.name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_negative_stock_imports_as_zero_with_a_warning(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(PACKT, tmp_path, {("grey-wheelbarrow", "Variant Inventory Qty"): "-3"})
    result = import_file(catalog, path)
    assert result.summary.skipped == 0
    assert [lv.on_hand for lv in catalog.inventory("grey-wheelbarrow")] == [0]
    assert result.summary.warning_count == 1
    assert "SKU grey-wheelbarrow: Variant Inventory Qty '-3': negative stock (oversold" in \
        result.summary.warnings[0]


def test_excel_mangled_barcodes_are_unusable(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(PACKT, tmp_path, {("floor-lamp", "Variant Barcode"): "3.65275E+11",
                                    ("floor-lamp", "Google Shopping / MPN"): "3.65275E+11"})
    result = import_file(catalog, path)
    lamp = catalog.get_product("floor-lamp")
    assert lamp is not None
    assert (lamp.gtin, lamp.mpn, lamp.attributes.get("barcode")) == (None, None, None)
    assert result.summary.warning_count == 2
    assert all("scientific notation" in w for w in result.summary.warnings)


def test_numeric_part_numbers_are_kept(catalog: Catalog, tmp_path: Path) -> None:
    """An MPN of 12 digits is an MPN, whatever its last digit (only a GTIN has a check digit)."""
    path = edited(PACKT, tmp_path, {("floor-lamp", "Google Shopping / MPN"): "'123456789012",
                                    ("floor-lamp", "Variant Barcode"): "123456789013"})
    result = import_file(catalog, path)
    lamp = catalog.get_product("floor-lamp")
    assert lamp is not None and (lamp.mpn, lamp.gtin) == ("123456789012", None)
    assert result.summary.warning_reasons == {
        "barcode has a GTIN's length but a wrong check digit: not sent as GTIN": 1}


def test_shopify_text_prefixed_barcodes_are_gtins(catalog: Catalog) -> None:
    import_file(catalog, VELOFANT)  # written '7350177880121 by Shopify
    wheelset = catalog.get_product("WH-FS-700C-BK-V1")
    assert wheelset is not None and wheelset.gtin == "7350177880121"


def test_woocommerce_gtin_in_scientific_notation_does_not_refuse_the_row(
        catalog: Catalog, tmp_path: Path) -> None:
    path = edited(CORPUS / "woocommerce-9x-variable-meta.csv", tmp_path,
                  {("947", "GTIN, UPC, EAN, or ISBN"): "4.00638E+12"})
    result = import_file(catalog, path)
    assert (result.summary.created, result.summary.skipped) == (2, 0)
    assert any("scientific notation" in w for w in result.summary.warnings)


def test_numbers_without_a_leading_zero(catalog: Catalog) -> None:
    import_file(catalog, WOO)
    tee = catalog.get_product("woo-tshirt")
    assert tee is not None and (str(tee.weight), tee.weight_unit) == ("0.8", "lb")


def test_private_parent_keeps_its_published_variation_off_sale(catalog: Catalog) -> None:
    import_file(catalog, WOO_9X)
    published = catalog.get_product("woo-948")  # Published 1 under a parent with Published 0
    assert published is not None and published.status is ProductStatus.DRAFT
    assert published.item_group_id == "woo-946"


def test_catalog_hidden_product_is_not_listed(catalog: Catalog) -> None:
    result = import_file(catalog, WOO)
    hidden = catalog.get_product("woo-hoodie-with-pocket")
    assert hidden is not None and hidden.status is ProductStatus.DRAFT
    assert any("Visibility in catalog 'hidden'" in w for w in result.summary.warnings)


def test_variations_of_a_hidden_product_are_hidden(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(WOO, tmp_path, {("45", "Visibility in catalog"): "hidden"})  # woo-hoodie
    result = import_file(catalog, path)
    hoodies = [p for p in catalog.iter_products() if p.item_group_id == "woo-hoodie"]
    assert len(hoodies) == 4
    assert {p.status for p in hoodies} == {ProductStatus.DRAFT}
    assert result.summary.warning_count == 5  # the 4 variations + woo-hoodie-with-pocket


def test_google_shopping_columns_reach_the_catalog(catalog: Catalog, tmp_path: Path) -> None:
    path = edited(PACKT, tmp_path, {("floor-lamp", "Google Shopping / Gender"): "Unisex",
                                    ("floor-lamp", "Google Shopping / Age Group"): "Adult",
                                    ("floor-lamp", "Google Shopping / Custom Label 0"): "sale",
                                    ("floor-lamp", "Image Alt Text"): "A black floor lamp"})
    import_file(catalog, path)
    lamp = catalog.get_product("floor-lamp")
    assert lamp is not None
    assert (lamp.gender, lamp.age_group) == ("unisex", "adult")
    assert lamp.attributes["custom_label_0"] == "sale"
    assert lamp.attributes["image_alt_text"] == {lamp.images[0]: "A black floor lamp"}
    import_file(catalog, VELOFANT)
    wheelset = catalog.get_product("WH-FS-700C-BK-V1")
    assert wheelset is not None and wheelset.attributes["google_product_category"] == "3216"
    # a category metafield in the admin's language: Google's word is taken, others are not
    bike = catalog.get_product("nordstjerna-26")
    assert bike is not None and bike.gender == "unisex"
    chess = catalog.get_product("crescent-chess-28")
    assert chess is not None and chess.age_group is None  # "vuxna" is not Google's word


def test_google_product_category_column_is_sent_as_is(workspace: Path,
                                                      runner: CliRunner) -> None:
    args = ["--workspace", str(workspace), "--json"]
    runner.invoke(cli, [*args, "catalog", "import", str(VELOFANT)])
    result = runner.invoke(cli, [*args, "preview", "google", "WH-FS-700C-BK-V1"])
    assert '"3216"' in result.stdout


def test_german_woocommerce_headers(catalog: Catalog, tmp_path: Path) -> None:
    german = {"Type": "Typ", "SKU": "Artikelnummer", "Name": "Name", "Published": "Veröffentlicht",
              "Visibility in catalog": "Sichtbarkeit im Katalog", "In stock?": "Vorrätig?",
              "Stock": "Bestand", "Regular price": "Regulärer Preis",
              "Sale price": "Angebotspreis", "Categories": "Kategorien", "Images": "Bilder",
              "Parent": "Übergeordnetes Produkt", "Weight (lbs)": "Gewicht (lbs)",
              "Attribute 1 name": "Attribut 1 Name", "Attribute 1 value(s)": "Attribut 1 Wert(e)",
              "Attribute 2 name": "Attribut 2 Name", "Attribute 2 value(s)": "Attribut 2 Wert(e)"}
    path = edited(WOO, tmp_path, {}, rename=german)
    result = import_file(catalog, path)
    assert (result.format, result.summary.created) == ("woocommerce", 22)
    red = catalog.get_product("woo-vneck-tee-red")
    assert red is not None and (red.color, red.item_group_id) == ("Red", "woo-vneck-tee")


def test_unknown_language_needs_a_columns_file(catalog: Catalog, tmp_path: Path) -> None:
    finnish = {"Type": "Tyyppi", "SKU": "Tuotekoodi", "Name": "Nimi",
               "Regular price": "Normaalihinta"}
    path = edited(WOO, tmp_path, {}, rename=finnish)
    with pytest.raises(InputError) as refused:
        import_file(catalog, path, format="woocommerce")
    text = "\n".join(refused.value.problems)
    assert "missing required column 'Type'" in text
    assert "the documented columns are 'Type', 'SKU', 'Name', 'Regular price'" in text
    assert "--columns FILE" in text
    with pytest.raises(InputError, match="--columns FILE"):
        import_file(catalog, path)  # detection says the same
    columns = tuple((theirs, ours) for ours, theirs in finnish.items())
    result = import_file(catalog, path, columns=columns)
    assert (result.format, result.summary.created) == ("woocommerce", 22)


def test_columns_file_on_the_command_line(workspace: Path, runner: CliRunner,
                                          tmp_path: Path) -> None:
    path = edited(WOO, tmp_path, {}, rename={"SKU": "Tuotekoodi", "Regular price": "Hinta"})
    mapping = tmp_path / "columns.toml"
    mapping.write_text('"Tuotekoodi" = "SKU"\n"Hinta" = "Regular price"\n', encoding="utf-8")
    result = runner.invoke(cli, ["--workspace", str(workspace), "--json", "catalog", "import",
                                 str(path), "--format", "woocommerce", "--columns",
                                 str(mapping)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 22
    bad = tmp_path / "bad.toml"
    bad.write_text('"Tuotekoodi" = 3\n', encoding="utf-8")
    result = runner.invoke(cli, ["--workspace", str(workspace), "catalog", "import",
                                 str(path), "--columns", str(bad)])
    assert result.exit_code == 1 and "must be a column name in quotes" in result.output


def test_sku_rule_is_configurable(catalog: Catalog) -> None:
    import_file(catalog, WOO_9X, sku_rules={"woocommerce_sku_rule": "GTA-{id}"})
    assert catalog.has_sku("GTA-947") and catalog.has_sku("GTA-948")
    import_file(catalog, PACKT, sku_rules={"shopify_sku_rule": "shop-{handle}[/{option1}]"})
    assert catalog.has_sku("shop-gardening-gloves/green")  # "/" is kept, values are slugs
    with pytest.raises(UsageError, match="unknown placeholder"):
        import_file(catalog, PACKT, sku_rules={"shopify_sku_rule": "{sku}"})


def test_untracked_becomes_tracked_when_a_count_arrives(catalog: Catalog,
                                                        tmp_path: Path) -> None:
    import_file(catalog, PACKT)
    assert not catalog.stock_tracked("floor-lamp")
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,quantity\nfloor-lamp,4\n", encoding="utf-8")
    import_file(catalog, stock)
    assert catalog.stock_tracked("floor-lamp") and catalog.available("floor-lamp") == 4
    import_file(catalog, PACKT)  # the store still does not track it: untracked again
    assert not catalog.stock_tracked("floor-lamp")


def test_a_variant_the_store_starts_tracking_is_tracked(catalog: Catalog,
                                                        tmp_path: Path) -> None:
    import_file(catalog, PACKT)
    assert not catalog.stock_tracked("floor-lamp")
    path = edited(PACKT, tmp_path, {("floor-lamp", "Variant Inventory Tracker"): "shopify",
                                    ("floor-lamp", "Variant Inventory Qty"): ""})
    result = import_file(catalog, path)
    assert catalog.stock_tracked("floor-lamp")  # tracked, count unknown: nothing to sell yet
    assert result.summary.without_stock_count == 1


def test_orders_never_reserve_untracked_stock(catalog: Catalog) -> None:
    import_file(catalog, PACKT)
    migrate(catalog.db, orders_schema.COMPONENT, orders_schema.MIGRATIONS)
    ledger = StockLedger(catalog.db, now="2026-01-01T00:00:00Z")
    key = LineKey("ebay", "default", "O-1", "1")
    effects = ledger.apply(key, "floor-lamp", LineTarget(reserved=2))
    assert effects == [] and catalog.inventory("floor-lamp") == []
    assert catalog.db.execute("SELECT available, tracked FROM stock WHERE sku = 'floor-lamp'"
                              ).fetchone() == (None, 0)
    # a tracked SKU of the same file is reserved as before
    tracked = ledger.apply(LineKey("ebay", "default", "O-1", "2"), "grey-wheelbarrow",
                           LineTarget(reserved=2))
    assert [(e.sku, e.reserved_change) for e in tracked] == [("grey-wheelbarrow", 2)]
    assert catalog.available("grey-wheelbarrow") == 6


def test_untracked_quantity_rule() -> None:
    assert untracked_quantity(QuantitySpec()) == 10
    assert untracked_quantity(QuantitySpec(untracked_quantity=50, max=5)) == 5
    with pytest.raises(ValueError):
        QuantitySpec(untracked_quantity=0)  # never zero


def test_a_v1_catalog_is_migrated(tmp_path: Path) -> None:
    db = open_database(tmp_path / "old.db")
    migrate(db, "catalog", MIGRATIONS[:1])
    db.execute("INSERT INTO products (sku, title, price, currency, content_hash, created_at,"
               " updated_at) VALUES ('A', 'A', '1', 'USD', 'h', 'now', 'now')")
    db.execute("INSERT INTO inventory (sku, location, on_hand, updated_at)"
               " VALUES ('A', 'main', 3, 'now')")
    db.conn.close()
    catalog = open_catalog(tmp_path / "old.db")
    assert catalog.db.execute("SELECT sku, available, tracked FROM stock").fetchall() == [
        ("A", 3, 1)]
    catalog.set_inventory([InventoryLevel("A", "main", 2)])
    assert catalog.stock_tracked("A") and catalog.available("A") == 2


def test_init_takes_or_refuses_a_store_url(tmp_path: Path, runner: CliRunner) -> None:
    good = runner.invoke(cli, ["init", str(tmp_path / "a"), "--store-url",
                               "https://shop.example.com/"])
    assert good.exit_code == 0
    text = (tmp_path / "a" / "feedsync.toml").read_text(encoding="utf-8")
    assert 'store_url = "https://shop.example.com"' in text
    bad = runner.invoke(cli, ["init", str(tmp_path / "b"), "--store-url", "shop.example.com"])
    assert bad.exit_code == 2 and "must be the store's web address" in bad.output
    bare = runner.invoke(cli, ["init", str(tmp_path / "c")])
    assert "no store web address yet" in bare.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_untracked_stock_survives_export_and_import(catalog: Catalog, tmp_path: Path,
                                                    fmt: str) -> None:
    import_file(catalog, PACKT)
    out = io.StringIO()
    export_catalog(catalog, out, fmt)
    path = tmp_path / f"catalog.{fmt}"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert '"untracked"' in out.getvalue() or ",untracked," in out.getvalue()
    fresh = open_catalog(tmp_path / "fresh.db")
    try:
        result = import_file(fresh, path)
        assert (result.summary.created, result.summary.stock_not_tracked) == (21, 20)
        assert not fresh.stock_tracked("floor-lamp")
        assert fresh.stock_tracked("grey-wheelbarrow") and fresh.available("grey-wheelbarrow") == 8
        again = import_file(catalog, path)  # into the catalog it came from: nothing changes
        assert (again.summary.unchanged, again.summary.stock_not_tracked) == (21, 20)
    finally:
        fresh.db.close()
