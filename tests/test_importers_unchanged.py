"""Re-importing a native CSV skips parsing rows unchanged since the last import (issue #19),
and ends exactly where a full parse of every row ends: same products, images, stock and counts.

The files are the real store exports of tests/fixtures/real_exports/ (sources in its README),
imported and written back as native CSV by ``catalog export`` (what a merchant re-imports), and
small native files for the edge cases.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedsync.catalog import Catalog, open_catalog
from feedsync.catalog.importers import export_catalog, import_file, native, unchanged
from feedsync.catalog.importers.base import ParseOptions
from feedsync.errors import InputError
from tests.test_importers_native import row, write_csv

CORPUS = Path(__file__).parent / "fixtures" / "real_exports"
STORE_EXPORTS = ["shopify-2021-packt.csv", "shopify-2023-mlouye-products.csv",
                 "shopify-2025-velofant-sv.csv", "woocommerce-9x-variable-meta.csv",
                 "woocommerce-sample_products.csv", "woocommerce-ru-no-sku.csv"]
TABLES = {
    "products": "SELECT * FROM products ORDER BY sku",
    "images": "SELECT sku, position, url FROM images ORDER BY sku, position",
    "inventory": "SELECT sku, location, on_hand, reserved FROM inventory ORDER BY sku, location",
}


@pytest.fixture(autouse=True, params=["in-process", "reader-process"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test with the file read in-process and in a forked reader process."""
    if request.param == "reader-process":
        monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    return str(request.param)


@pytest.fixture
def parsed_skus(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """SKUs the native parser fully parsed (recorded in-process only: a forked reader's list
    stays in the child)."""
    seen: list[str] = []
    real = native.NativeRowParser.parse

    def counting(self: native.NativeRowParser, line: int, cells: Any, *args: Any) -> Any:
        seen.append(cells[0])
        return real(self, line, cells, *args)

    monkeypatch.setattr(native.NativeRowParser, "parse", counting)
    yield seen


def snapshot(catalog: Catalog) -> dict[str, list[tuple[Any, ...]]]:
    """The catalog's content, without the timestamps of writes."""
    conn = catalog.db.conn
    conn.row_factory = None
    tables = {name: [tuple(r) for r in conn.execute(sql)] for name, sql in TABLES.items()}
    names = [d[1] for d in conn.execute("PRAGMA table_info(products)")]
    keep = [i for i, n in enumerate(names) if n not in ("created_at", "updated_at")]
    tables["products"] = [tuple(r[i] for i in keep) for r in tables["products"]]
    return tables


def counts(result: Any) -> dict[str, Any]:
    data = result.as_dict()
    del data["seconds"]
    return data


def native_export_of(store_export: Path, tmp_path: Path) -> Path:
    """A real store export imported, then written back as native CSV (catalog export)."""
    scratch = open_catalog(tmp_path / "scratch.db")
    import_file(scratch, store_export)
    out = io.StringIO()
    export_catalog(scratch, out)
    scratch.db.close()
    path = tmp_path / f"{store_export.stem}-native.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


def forget_rows(catalog: Catalog) -> None:
    """Make the next import parse every row (as before issue #19)."""
    catalog.db.execute("DELETE FROM import_rows")


@pytest.mark.parametrize("name", STORE_EXPORTS)
def test_reimport_of_a_real_export_parses_nothing_and_changes_nothing(
        name: str, catalog: Catalog, tmp_path: Path, parsed_skus: list[str],
        reading_mode: str) -> None:
    path = native_export_of(CORPUS / name, tmp_path)
    first = import_file(catalog, path)
    assert first.summary.created == first.rows > 0
    before = snapshot(catalog)
    parsed_skus.clear()
    again = import_file(catalog, path)
    assert (again.summary.created, again.summary.updated) == (0, 0)
    assert again.summary.unchanged == again.rows == first.rows
    assert again.accounted() == again.rows
    assert again.summary.without_brand == first.summary.without_brand
    assert again.summary.stock_not_tracked == first.summary.stock_not_tracked
    assert again.summary.without_stock_count == first.summary.without_stock_count
    assert again.summary.inventory_rows == first.summary.inventory_rows
    assert snapshot(catalog) == before
    if reading_mode == "in-process":
        assert parsed_skus == []


@pytest.mark.parametrize("name", STORE_EXPORTS)
def test_a_changed_file_ends_as_a_full_parse_ends(name: str, tmp_path: Path) -> None:
    """Old file, then a new one (a price, a title, an image, stock, a row gone, a row added):
    the skipping import and one that parses every row leave identical catalogs and counts."""
    old = native_export_of(CORPUS / name, tmp_path)
    lines = old.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    new_rows = [dict(zip(header, r, strict=True)) for r in _csv_rows(old)]
    new_rows[0]["title"] = new_rows[0]["title"] + " (new)"
    new_rows[-1]["quantity"] = "77"
    if len(new_rows) > 2:
        new_rows[1]["price"] = "1234.50"
        new_rows[1]["sale_price"] = new_rows[1]["sale_start"] = new_rows[1]["sale_end"] = ""
        new_rows[2]["image_urls"] = "https://cdn.example.com/changed.jpg"
        del new_rows[-2]
    new_rows.append(dict(row("ADDED-1", quantity="3")))
    new = write_csv(tmp_path / "new.csv", new_rows, columns=header)
    results, snapshots = [], []
    for label, skip in (("skipping", True), ("full", False)):
        catalog = open_catalog(tmp_path / f"{label}.db")
        import_file(catalog, old)
        if not skip:
            forget_rows(catalog)
        results.append(counts(import_file(catalog, new, label="new.csv")))
        snapshots.append(snapshot(catalog))
        catalog.db.close()
    assert results[0] == results[1]
    assert snapshots[0] == snapshots[1]
    assert results[0]["created"] == 1 and results[0]["updated"] >= 1


def _csv_rows(path: Path) -> list[list[str]]:
    import csv
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_stock_cells_are_always_read(catalog: Catalog, tmp_path: Path,
                                     parsed_skus: list[str], reading_mode: str) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", [
        row("A", quantity="5"), row("B", quantity="2", location="shop"), row("C")]))
    parsed_skus.clear()
    result = import_file(catalog, write_csv(tmp_path / "b.csv", [
        row("A", quantity="9"), row("B", quantity="untracked"), row("C", quantity=" 4 ")],
        columns=["sku", "title", "price", "quantity", "location"]))
    assert (result.summary.unchanged, result.summary.stock_not_tracked) == (3, 1)
    assert [lv.on_hand for lv in catalog.inventory("A")] == [9]
    assert not catalog.stock_tracked("B")
    assert [(lv.location, lv.on_hand) for lv in catalog.inventory("C")] == [("default", 4)]
    if reading_mode == "in-process":
        assert parsed_skus == []


def test_a_bad_quantity_on_an_unchanged_row_is_reported_as_before(catalog: Catalog,
                                                                  tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", [row("A", quantity="5"), row("B")]))
    bad = write_csv(tmp_path / "b.csv", [row("A", quantity="-3"), row("B", quantity="x")])
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as exc:
            import_file(catalog, bad)
        messages.append(exc.value.problems)
        forget_rows(catalog)  # the second time: every row parsed in full
    assert messages[0] == messages[1]
    assert messages[0][0].startswith(f"{bad}:2: SKU A: quantity '-3': quantity must not be")
    assert [lv.on_hand for lv in catalog.inventory("A")] == [5]


def test_an_edit_by_another_path_is_overwritten_by_the_file(catalog: Catalog,
                                                            tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [row("A"), row("B"), row("C")])
    import_file(catalog, path)
    catalog.db.execute("UPDATE products SET title = 'Edited', content_hash = 'x' WHERE sku = 'A'")
    catalog.db.execute("DELETE FROM products WHERE sku = 'B'")
    result = import_file(catalog, path)
    assert (result.summary.updated, result.summary.created, result.summary.unchanged) == (1, 1, 1)
    product = catalog.get_product("A")
    assert product is not None and product.title == "Product A"
    assert import_file(catalog, path).summary.unchanged == 3


def test_a_renamed_product_does_not_lend_its_row_to_the_old_sku(catalog: Catalog,
                                                                 tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [row("A")])
    import_file(catalog, path)
    catalog.db.execute("UPDATE products SET sku = 'Z' WHERE sku = 'A'")
    catalog.db.execute("INSERT INTO products (sku, title, price, currency, content_hash,"
                       " created_at, updated_at) VALUES ('A', 'Other', '1', 'USD', 'h', '', '')")
    assert import_file(catalog, path).summary.updated == 1
    product = catalog.get_product("A")
    assert product is not None and product.title == "Product A"


def test_other_options_parse_again(catalog: Catalog, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [row("A")])
    import_file(catalog, path)
    result = import_file(catalog, path, default_currency="EUR")
    assert result.summary.updated == 1
    product = catalog.get_product("A")
    assert product is not None and product.currency == "EUR"


def test_duplicates_and_prune_count_unchanged_rows(catalog: Catalog, tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", [row("A"), row("B"), row("C")]))
    path = write_csv(tmp_path / "b.csv", [row("A"), row("B"), row("A")])
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert exc.value.problems == [f"{path}:4: SKU A: sku 'A': duplicate SKU: 'A' is already on "
                                  "line 2 of this file"]
    result = import_file(catalog, path, skip_invalid=True, prune=True, force=True)
    assert (result.summary.unchanged, result.summary.skipped, result.summary.removed) == (2, 1, 1)
    assert not catalog.has_sku("C") and catalog.has_sku("A")


def test_a_rolled_back_import_records_nothing(catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        import_file(catalog, write_csv(tmp_path / "a.csv", [row("A"), row("B", price="x")]))
    conn: sqlite3.Connection = catalog.db.conn
    assert conn.execute("SELECT COUNT(*) FROM import_rows").fetchone()[0] == 0


def test_the_reader_digests_rows_as_the_module_says(catalog: Catalog, tmp_path: Path) -> None:
    """native._rows inlines unchanged.row_hash: both give the same digest, which the options
    change."""
    cells = row("A", brand="Acme", quantity="4")
    import_file(catalog, write_csv(tmp_path / "a.csv", [cells]))
    stored = catalog.db.execute("SELECT row_hash FROM import_rows WHERE sku = 'A'").fetchone()[0]
    content = [cells.get(name, "") for name in native._CONTENT_COLUMNS]
    assert stored == unchanged.row_hash(content, unchanged.salt(ParseOptions("a.csv")))
    assert stored != unchanged.row_hash(content, unchanged.salt(ParseOptions("a.csv", "EUR")))
