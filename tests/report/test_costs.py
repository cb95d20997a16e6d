"""Product cost reaches the report from every export that carries it (issue #18, money)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from feedsync.catalog import open_catalog
from feedsync.cli.main import cli

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real_exports"


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text('[workspace]\nname = "costs"\n')
    return root


def _import(root: Path, path: Path, *extra: str) -> None:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "catalog", "import", str(path),
                                      *extra])
    assert result.exit_code == 0, result.output


def _attributes(root: Path, sku: str) -> dict:
    catalog = open_catalog(root / "feedsync.db")
    try:
        product = catalog.get_product(sku)
        assert product is not None, sku
        return dict(product.attributes)
    finally:
        catalog.db.close()


def test_native_cost_column_is_kept_and_exported_back(tmp_path):
    root = _workspace(tmp_path)
    source = tmp_path / "catalog.csv"
    source.write_text("sku,title,price,cost,attributes\n"
                      'MUG-1,Mug,12.00,4.25,"{""fit"": ""n/a""}"\n'
                      "MUG-2,Mug large,14.00,,\n")
    _import(root, source)
    assert _attributes(root, "MUG-1") == {"fit": "n/a", "cost": "4.25"}
    assert "cost" not in _attributes(root, "MUG-2")
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(cli, ["--workspace", str(root), "catalog", "export",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows["MUG-1"]["cost"] == "4.25"
    assert rows["MUG-1"]["attributes"] == '{"fit": "n/a"}'  # cost is not written twice
    assert rows["MUG-2"]["cost"] == ""


def test_native_cost_must_be_money(tmp_path):
    root = _workspace(tmp_path)
    source = tmp_path / "catalog.csv"
    source.write_text("sku,title,price,cost\nMUG-1,Mug,12.00,cheap\n")
    result = CliRunner().invoke(cli, ["--workspace", str(root), "catalog", "import",
                                      str(source)])
    assert result.exit_code != 0
    assert "cost" in result.output and "MUG-1" in result.output


def test_shopify_cost_per_item_from_a_real_export(tmp_path):
    # Velofant's 2025 Shopify export (tests/fixtures/real_exports/README.md): the wheelset's
    # "Cost per item" is 2000.00 (SEK).
    root = _workspace(tmp_path)
    _import(root, REAL / "shopify-2025-velofant-sv.csv")
    catalog = open_catalog(root / "feedsync.db")
    try:
        costs = dict(catalog.db.execute(
            "SELECT title, json_extract(attributes, '$.cost_per_item') FROM products"
            " WHERE title = 'VELOFANT - Wheelset'").fetchall())
    finally:
        catalog.db.close()
    assert costs == {"VELOFANT - Wheelset": "2000.00"}


def test_woocommerce_cost_of_goods_columns(tmp_path):
    # WooCommerce's own sample export (real corpus) with one cost column added the way the
    # Cost of Goods plugins export it ("Meta: _wc_cog_cost"), and WooCommerce's own
    # "Cost of goods" column on a second copy.
    source = (REAL / "woocommerce-sample_products.csv").read_text(encoding="utf-8")
    header, *rows = source.splitlines(keepends=True)
    for column, cost_for in (('"Meta: _wc_cog_cost"', {"woo-beanie": "7.10"}),
                             ('"Cost of goods"', {"woo-beanie": "6.90"})):
        lines = [header.rstrip("\n") + f",{column}\n"]
        for row in rows:  # the sample's rows are one line each
            sku = row.split(",", 3)[2]
            lines.append(row.rstrip("\n") + f",{cost_for.get(sku, '')}\n")
        path = tmp_path / f"woo-{len(column)}.csv"
        path.write_text("".join(lines), encoding="utf-8")
        home = tmp_path / column.strip('"').replace(" ", "_").replace(":", "")
        home.mkdir()
        root = _workspace(home)
        _import(root, path)
        assert _attributes(root, "woo-beanie")["cost"] == cost_for["woo-beanie"]
        assert "cost" not in _attributes(root, "woo-belt")
