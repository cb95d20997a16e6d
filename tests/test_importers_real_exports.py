"""Real Shopify and WooCommerce exports (tests/fixtures/real_exports/, sources in its README):
each imports with every row accounted for, and its first Google and Meta feeds publish once the
workspace has a store URL (issue #10).

The numbers are what each file holds, counted by hand from the file (see the README's "what it
exercises" column): records, the rows that are not products, families, stock counts and rows
whose stock the store does not track.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from feedsync.catalog import Catalog, open_catalog
from feedsync.catalog.importers import import_file
from feedsync.cli.main import cli

CORPUS = Path(__file__).parent / "fixtures" / "real_exports"
STORE = "https://shop.example.com"
G = "{http://base.google.com/ns/1.0}"


@dataclass(frozen=True)
class Expected:
    """What one corpus file imports as."""

    file: str
    rows: int  # CSV records (a quoted multi-line description is one record)
    products: int  # SKUs created
    not_products: dict[str, int]
    families: int
    stock_rows: int  # on-hand counts set
    untracked: int  # SKUs in stock without a count
    derived: int  # SKUs derived for rows without one
    feed_items: int  # items in both the Google and the Meta feed
    excluded: int  # SKUs left out of the feeds by the mapping's filters (not active)


VARIABLE = "variable product (its variations are the SKUs)"
GROUPED = "grouped product (a set of other products, not sold itself)"
IMAGE_ROW = "image-only row (an image of the product above)"

CASES = [
    # 20 single-variant products without SKU or tracker + one 2-variant family, one tracked
    Expected("shopify-2021-packt.csv", rows=21, products=21, not_products={}, families=1,
             stock_rows=1, untracked=20, derived=21, feed_items=21, excluded=0),
    # Dec 2023, Markets columns: one 21-variant family without SKUs, stock tracked (3, then 0s)
    Expected("shopify-2023-mlouye-products.csv", rows=21, products=21, not_products={},
             families=1, stock_rows=21, untracked=0, derived=21, feed_items=21, excluded=0),
    # 2025 format: no Variant Inventory Qty column (stock comes in Shopify's inventory export),
    # 19 image-only rows, 2 products archived/unpublished, 4 variants without SKU
    Expected("shopify-2025-velofant-sv.csv", rows=33, products=14,
             not_products={IMAGE_ROW: 19}, families=3, stock_rows=0, untracked=0, derived=4,
             feed_items=12, excluded=2),
    # the platform's own sample: 2 variable parents, 1 grouped, stock not managed, 1 hidden
    Expected("woocommerce-sample_products.csv", rows=25, products=22,
             not_products={VARIABLE: 2, GROUPED: 1}, families=2, stock_rows=0, untracked=22,
             derived=0, feed_items=21, excluded=1),
    # Russian admin: translated headers, no SKUs, no Stock column; 2 rows Published = -1
    Expected("woocommerce-ru-no-sku.csv", rows=9, products=9, not_products={}, families=0,
             stock_rows=0, untracked=9, derived=9, feed_items=7, excluded=2),
    # 9.x batch export: a private parent (Published 0) with both variations at Stock 0
    Expected("woocommerce-9x-variable-meta.csv", rows=3, products=2,
             not_products={VARIABLE: 1}, families=1, stock_rows=2, untracked=0, derived=2,
             feed_items=0, excluded=2),
]


def invoke(runner: CliRunner, workspace: Path, *args: str) -> tuple[int, Any]:
    result = runner.invoke(cli, ["--workspace", str(workspace), "--json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture
def store(tmp_path: Path, runner: CliRunner) -> Path:
    """A workspace made by `feedsync init --store-url` (the merchant's first step)."""
    root = tmp_path / "shop"
    result = runner.invoke(cli, ["init", str(root), "--store-url", STORE,
                                 "--name", "Example Store"])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_every_row_is_accounted_for(case: Expected, store: Path, runner: CliRunner) -> None:
    code, summary = invoke(runner, store, "catalog", "import", str(CORPUS / case.file))
    assert code == 0, summary
    assert summary["rows"] == case.rows
    assert summary["rows_accounted"] == case.rows  # created + updated + unchanged + skipped + …
    assert (summary["created"], summary["skipped"]) == (case.products, 0)
    assert summary["not_products"] == case.not_products
    assert summary["inventory_rows"] == case.stock_rows
    assert summary["stock_not_tracked"] == case.untracked
    assert summary["derived_skus"] == case.derived
    _, stats = invoke(runner, store, "catalog", "stats")
    assert stats["products"] == case.products
    assert stats["families"] == case.families
    assert stats["stock_not_tracked"] == case.untracked


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_reimport_is_stable(case: Expected, store: Path, runner: CliRunner) -> None:
    """Derived SKUs are the same on every import: nothing is created twice."""
    invoke(runner, store, "catalog", "import", str(CORPUS / case.file))
    code, again = invoke(runner, store, "catalog", "import", str(CORPUS / case.file))
    assert code == 0
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, case.products)


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_first_feeds_publish(case: Expected, store: Path, runner: CliRunner) -> None:
    invoke(runner, store, "catalog", "import", str(CORPUS / case.file))
    for channel in ("google", "facebook"):
        code, built = invoke(runner, store, "feed", "build", channel)
        feed = built["feeds"][0]
        assert feed["skipped"] == 0, feed  # no SKU left out for an error
        assert (feed["items"], feed["excluded"]) == (case.feed_items, case.excluded)
        if case.feed_items:
            assert code == 0 and feed["published"], feed
        else:  # nothing active to sell: the publish gate refuses an empty feed (exit 5)
            assert code == 5 and not feed["published"]
    if case.feed_items:
        _, report = invoke(runner, store, "validate", "google", "facebook", "--no-warnings")
        assert all(not c["skus"] for c in report["channels"]), report


@pytest.mark.parametrize("case", [c for c in CASES if c.untracked],
                         ids=[c.file for c in CASES if c.untracked])
def test_untracked_stock_is_in_stock_everywhere(case: Expected, store: Path,
                                                runner: CliRunner) -> None:
    """Untracked SKUs are in stock on Google and get untracked_quantity (10) on Meta; the
    stock view says so (tracked 0, available NULL) — never 0 units."""
    invoke(runner, store, "catalog", "import", str(CORPUS / case.file))
    invoke(runner, store, "feed", "build", "google", "facebook")
    catalog = open_catalog(store / "feedsync.db")
    try:
        untracked = {row[0]: row[1:] for row in catalog.db.execute(
            "SELECT s.sku, s.available, s.tracked, p.status FROM stock s"
            " JOIN products p USING (sku) WHERE s.tracked = 0")}
    finally:
        catalog.db.close()
    assert len(untracked) == case.untracked
    assert all(available is None and tracked == 0 for available, tracked, _ in
               untracked.values())
    active = {sku for sku, (_, _, status) in untracked.items() if status == "active"}
    items = etree.parse(str(store / "out" / "google.xml")).getroot().iter("item")
    availability = {i.findtext(f"{G}id"): i.findtext(f"{G}availability") for i in items}
    assert active and {availability[sku] for sku in active} == {"in_stock"}
    with (store / "out" / "facebook.csv").open(encoding="utf-8", newline="") as handle:
        meta = {row["id"]: row for row in csv.DictReader(handle)}
    assert {meta[sku]["quantity_to_sell_on_facebook"] for sku in active} == {"10"}
    assert {meta[sku]["availability"] for sku in active} == {"in stock"}


def test_without_a_store_url_links_are_missing(tmp_path: Path, runner: CliRunner) -> None:
    """The issue's symptom, and what the init hint says: no store URL, no link, no feed."""
    root = tmp_path / "bare"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    invoke(runner, root, "catalog", "import", str(CORPUS / "shopify-2021-packt.csv"))
    code, built = invoke(runner, root, "feed", "build", "google")
    assert code == 5 and built["feeds"][0]["items"] == 0
    assert built["feeds"][0]["skipped"] == 21


def test_shopify_links_and_brand(store: Path, runner: CliRunner) -> None:
    invoke(runner, store, "catalog", "import", str(CORPUS / "shopify-2021-packt.csv"))
    code, preview = invoke(runner, store, "preview", "google", "floor-lamp")
    assert code == 0, preview
    text = json.dumps(preview)
    assert f"{STORE}/products/floor-lamp" in text
    assert "in_stock" in text


def test_woocommerce_links_use_the_parent_for_variations(store: Path,
                                                         runner: CliRunner) -> None:
    invoke(runner, store, "catalog", "import", str(CORPUS / "woocommerce-sample_products.csv"))
    invoke(runner, store, "feed", "build", "google", "facebook")
    items = {i.findtext(f"{G}id"): i for i in
             etree.parse(str(store / "out" / "google.xml")).getroot().iter("item")}
    assert items["woo-vneck-tee-red"].findtext(f"{G}link") == f"{STORE}/?p=44"  # its parent
    assert items["woo-cap"].findtext(f"{G}link") == f"{STORE}/?p=60"
    # an external product keeps its own URL
    assert items["wp-pennant"].findtext(f"{G}link").startswith("https://mercantile.")
    # .5 lbs (no leading zero) is a weight
    assert items["woo-vneck-tee-red"].findtext(f"{G}shipping_weight") == "0.227 kg"
    # Meta gets the store's name where the export has no brand
    csv_text = (store / "out" / "facebook.csv").read_text(encoding="utf-8")
    assert '"Example Store"' in csv_text


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_same_counts_through_the_reader_process(case: Expected, catalog: Catalog,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Large files are read in a forked process: warnings, notes and stock states cross the
    pipe intact."""
    monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    result = import_file(catalog, CORPUS / case.file)
    summary = result.summary
    assert result.accounted() == result.rows == case.rows
    assert (summary.created, summary.not_products) == (case.products, case.not_products)
    assert (summary.stock_not_tracked, summary.derived_skus) == (case.untracked, case.derived)


def test_shopify_inventory_export_of_the_same_store(store: Path, runner: CliRunner) -> None:
    """The product export's derived SKUs are found again in Shopify's inventory export (by
    handle and options); its per-location Available replaces the product export's total."""
    invoke(runner, store, "catalog", "import", str(CORPUS / "shopify-2023-mlouye-products.csv"))
    code, summary = invoke(runner, store, "catalog", "import", "--skip-invalid",
                           str(CORPUS / "shopify-2023-mlouye-inventory.csv"))
    assert code == 3  # the two studio-bag rows: that product is not in the catalog
    assert summary["format"] == "inventory"
    assert (summary["rows"], summary["rows_accounted"]) == (23, 23)
    assert (summary["inventory_rows"], summary["skipped"]) == (21, 2)
    assert summary["skipped_reasons"] == {
        "this SKU is not in the catalog (import its product first)": 2}
    catalog = open_catalog(store / "feedsync.db")
    try:
        # 3 from the product export's total at 'default' is replaced by 103 at Shop location
        assert catalog.available("otti-combat-boot-milky-35") == 103
        assert catalog.available("otti-combat-boot-olive-41") == 100
        located = {(lv.location, lv.on_hand) for lv in catalog.inventory(
            "otti-combat-boot-milky-35")}
        assert located == {("Shop location", 103), ("default", 0)}
    finally:
        catalog.db.close()
    # importing the product export again keeps the per-location stock (no double count)
    code, again = invoke(runner, store, "catalog", "import",
                         str(CORPUS / "shopify-2023-mlouye-products.csv"))
    assert code == 0 and again["inventory_rows"] == 0
    catalog = open_catalog(store / "feedsync.db")
    try:
        assert catalog.available("otti-combat-boot-milky-35") == 103
    finally:
        catalog.db.close()


def test_the_link_rule_is_overridable_in_the_mapping(store: Path, runner: CliRunner) -> None:
    mapping = store / "mappings" / "google.toml"
    text = mapping.read_text(encoding="utf-8")
    assert '\nlink = "product_url"\n' in text
    mapping.write_text(text.replace(
        '\nlink = "product_url"\n',
        '\nlink = { template = "{store_url}/shop/{attributes.handle}" }\n'), encoding="utf-8")
    invoke(runner, store, "catalog", "import", str(CORPUS / "shopify-2021-packt.csv"))
    code, _ = invoke(runner, store, "feed", "build", "google")
    assert code == 0
    items = {i.findtext(f"{G}id"): i for i in
             etree.parse(str(store / "out" / "google.xml")).getroot().iter("item")}
    assert items["floor-lamp"].findtext(f"{G}link") == f"{STORE}/shop/floor-lamp"
