"""Native CSV / JSON Lines import: upserts, atomicity, every problem listed, hostile input."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedsync.catalog import Catalog
from feedsync.catalog.importers import FIELD_SIZE_LIMIT, import_file
from feedsync.catalog.importers.native import NATIVE_COLUMNS
from feedsync.errors import GuardrailError, InputError, UsageError
from feedsync.models import InventoryLevel, ProductStatus


@pytest.fixture(autouse=True, params=["in-process", "reader-process"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with the file read in-process and in a forked reader process."""
    if request.param == "reader-process":
        monkeypatch.setattr("feedsync.catalog.importers.reading.CHILD_MIN_BYTES", 0)
    return str(request.param)


def row(sku: str, **values: Any) -> dict[str, Any]:
    """A valid native row."""
    data: dict[str, Any] = {"sku": sku, "title": f"Product {sku}", "price": "19.99"}
    data.update(values)
    return data


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None,
              newline: str = "\n") -> Path:
    columns = columns or [c for c in NATIVE_COLUMNS if any(c in r for r in rows)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator=newline, restval="")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def problems_of(exc: pytest.ExceptionInfo[InputError]) -> str:
    return "\n".join(exc.value.problems)


def test_import_creates_then_reports_unchanged_and_updated(catalog: Catalog,
                                                           tmp_path: Path) -> None:
    rows = [row("A", quantity="5", image_urls="https://x.example/a1.jpg|https://x.example/a2.jpg",
                tags="summer, cotton", category="Apparel>Tops"), row("B"), row("C")]
    path = write_csv(tmp_path / "c.csv", rows)
    first = import_file(catalog, path)
    assert (first.summary.created, first.summary.updated, first.summary.unchanged) == (3, 0, 0)
    assert first.summary.inventory_rows == 1
    again = import_file(catalog, path)
    assert (again.summary.created, again.summary.updated, again.summary.unchanged) == (0, 0, 3)
    rows[1]["price"] = "21.00"
    changed = import_file(catalog, write_csv(path, rows))
    assert (changed.summary.updated, changed.summary.unchanged) == (1, 2)
    a = catalog.get_product("A")
    assert a is not None
    assert a.images == ["https://x.example/a1.jpg", "https://x.example/a2.jpg"]
    assert a.tags == ["summer", "cotton"]
    assert a.category == "Apparel > Tops"
    assert a.currency == "USD"
    assert catalog.inventory("A") == [InventoryLevel("A", "default", 5, 0)]
    b = catalog.get_product("B")
    assert b is not None and b.price == Decimal("21.00")


def test_every_problem_is_listed_and_nothing_is_written(catalog: Catalog, tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "old.csv", [row("KEEP", price="10.00")]))
    rows = [
        row("KEEP", price="11.00"),  # valid update that must be rolled back
        row("P1", price="12,99"),
        row("P2", gtin="4006381333932", quantity="-3"),
        row("P3", sale_price="30.00"),
        row("", title=""),
        row("P4", currency="EURO", weight="2"),
    ]
    with pytest.raises(InputError) as exc:
        import_file(catalog, write_csv(tmp_path / "bad.csv", rows))
    text = problems_of(exc)
    label = str(tmp_path / "bad.csv")
    assert f"{label}:3: SKU P1: price '12,99': " in text
    assert "does not guess" in text
    assert f"{label}:4: SKU P2: gtin '4006381333932': GTIN check digit is wrong" in text
    assert f"{label}:4: SKU P2: quantity '-3': quantity must not be negative" in text
    assert f"{label}:5: SKU P3: sale_price '30.00': sale price must be lower" in text
    assert f"{label}:6: sku: sku is required" in text
    assert f"{label}:6: title: title is required" in text
    assert f"{label}:7: SKU P4: currency 'EURO'" in text
    assert f"{label}:7: SKU P4: weight_unit: a weight needs its unit" in text
    assert len(exc.value.problems) == 8
    assert "nothing was imported" in exc.value.message
    keep = catalog.get_product("KEEP")
    assert keep is not None and keep.price == Decimal("10.00")
    assert catalog.count() == 1


def test_skip_invalid_imports_the_valid_rows(catalog: Catalog, tmp_path: Path) -> None:
    rows = [row("A"), row("B", price="abc"), row("C", item_group_id="G", color="Red",
                                                    variant_axes="colour, size")]
    result = import_file(catalog, write_csv(tmp_path / "c.csv", rows), skip_invalid=True)
    assert (result.summary.created, result.summary.skipped) == (1, 2)
    assert result.problem_count == 2
    assert "variant axis 'size' has no value" in "\n".join(result.summary.problems)
    assert catalog.has_sku("A") and not catalog.has_sku("B") and not catalog.has_sku("C")


def test_duplicate_skus_are_found_across_batches(catalog: Catalog, tmp_path: Path) -> None:
    rows = [row(f"S{i:05d}") for i in range(2500)]
    rows.append(row("S00010", title="again"))
    rows.append(row("S02400", title="again"))
    with pytest.raises(InputError) as exc:
        import_file(catalog, write_csv(tmp_path / "dup.csv", rows))
    text = problems_of(exc)
    assert ":2502: SKU S00010: sku 'S00010': duplicate SKU: 'S00010' is already on line 12" in text
    assert ":2503: SKU S02400: sku 'S02400': duplicate SKU: 'S02400' is already on line 2402" \
        in text
    assert catalog.count() == 0
    result = import_file(catalog, tmp_path / "dup.csv", skip_invalid=True)
    assert (result.summary.created, result.summary.skipped) == (2500, 2)
    kept = catalog.get_product("S00010")
    assert kept is not None and kept.title == "Product S00010"  # the first occurrence wins


def test_bom_crlf_and_quoted_newlines(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    write_csv(path, [row("A", description="<p>line one\r\nline two</p>, with \"quotes\"")],
              newline="\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = import_file(catalog, path)
    assert result.summary.created == 1
    product = catalog.get_product("A")
    assert product is not None
    assert product.description == "<p>line one\r\nline two</p>, with \"quotes\""


def test_wrong_encoding_names_the_line(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes("sku,title,price\nA,Plain,1.00\nB,Caf\u00e9 cr\u00e8me,2.00\n"
                     .encode("cp1252"))
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    text = problems_of(exc)
    assert f"{path}:3: SKU B: not valid UTF-8 (byte 0xe9" in text
    assert "Café" in text and "CSV UTF-8" in text
    result = import_file(catalog, path, skip_invalid=True)
    assert (result.summary.created, result.summary.skipped) == (1, 1)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"\n\n  \r\n", "the file is empty"),
    (b"\xff\xfes\x00k\x00u\x00", "UTF-16"),
    (b"PK\x03\x04rest-of-zip", "Excel workbook"),
    (b"sku;title;price\nA;B;1.00\n", "';' as separator"),
    (b"name,colour\nx,y\n", "cannot tell the format"),
])
def test_unreadable_files_are_refused_clearly(catalog: Catalog, tmp_path: Path, content: bytes,
                                               message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_file(catalog, path, format="native" if b";" in content else "auto")


def test_header_only_imports_nothing(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("sku,title,price\n", encoding="utf-8")
    result = import_file(catalog, path)
    assert result.rows == 0 and result.summary.created == 0


def test_missing_and_unknown_columns_are_named(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("sku,titel,prce,colour_name\nA,x,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path, format="native")
    text = problems_of(exc)
    assert "missing required column(s): title, price" in text
    assert "unknown column 'titel' (did you mean 'title'?)" in text
    assert "unknown column 'prce' (did you mean 'price'?)" in text
    assert "unknown column 'colour_name'" in text


def test_ten_megabyte_description_imports(catalog: Catalog, tmp_path: Path) -> None:
    description = "<p>" + "x" * (10 * 1024 * 1024) + "</p>"
    path = write_csv(tmp_path / "big.csv", [row("BIG", description=description), row("SMALL")])
    result = import_file(catalog, path)
    assert result.summary.created == 2
    product = catalog.get_product("BIG")
    assert product is not None and len(product.description) == len(description)


def test_cell_over_the_limit_stops_at_its_line(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("sku,title,price,description\nA,a,1.00,short\n")
        handle.write("B,b,1.00,\"" + "y" * (FIELD_SIZE_LIMIT + 10) + "\"\n")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert f"{path}:3: a cell is larger than 16 MiB" in problems_of(exc)
    assert catalog.count() == 0


def test_unclosed_quote_and_ragged_rows(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('sku,title,price\nA,"Unclosed,1.00\nB,b,2.00\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert f"{path}:2: a quoted cell starting on this line is never closed" in problems_of(exc)
    path.write_text("sku,title,price\nA,a,1.00,extra\nB,b\nC,c,3.00\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    text = problems_of(exc)
    assert f"{path}:2: SKU A: the row has 4 cells but the header has 3" in text
    assert f"{path}:3: SKU B: the row has 2 cells but the header has 3" in text


def test_problem_list_is_capped_but_counted(catalog: Catalog, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "many.csv", [row(f"S{i}", price="x") for i in range(1500)])
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert len(exc.value.problems) == 1001
    assert exc.value.problems[-1] == "… and 500 more problem(s)"
    assert "1500 problem(s) in 1500 row(s)" in exc.value.message


def test_every_field_is_read(catalog: Catalog, tmp_path: Path) -> None:
    full = row(
        "V-RED-M", item_group_id="V", description="<b>x</b>", brand="Acme",
        gtin="4006381333931", mpn="M-1", condition="refurbished", category="A > B",
        product_type="Shirt", price="30.00", sale_price="25.00", sale_start="2026-11-27",
        sale_end="2026-11-30", currency="eur", weight="0.250", weight_unit="kg", length="10",
        width="5", height="2.5", dimension_unit="cm", link="https://x.example/p",
        image_urls="https://x.example/1.jpg", tags="a\\, b, c", status="Draft", color="Red",
        size="M", material="Cotton", pattern="Striped", gender="unisex", age_group="adult",
        variant_axes="color, size, fit", attributes='{"fit": "slim", "layers": 2}',
        quantity="4", location="shop")
    import_file(catalog, write_csv(tmp_path / "f.csv", [full]))
    p = catalog.get_product("V-RED-M")
    assert p is not None
    assert (p.currency, p.condition, p.status) == ("EUR", "refurbished", ProductStatus.DRAFT)
    assert (p.sale_start.isoformat(), p.sale_end.isoformat()) == (  # type: ignore[union-attr]
        "2026-11-27T00:00:00", "2026-11-30T23:59:59")
    assert p.tags == ["a, b", "c"]
    assert p.variant_axes == ["color", "size", "fit"]
    assert p.attributes == {"fit": "slim", "layers": 2}
    assert (p.weight, p.weight_unit, p.height, p.dimension_unit) == (
        Decimal("0.250"), "kg", Decimal("2.5"), "cm")
    assert catalog.inventory("V-RED-M") == [InventoryLevel("V-RED-M", "shop", 4, 0)]


def test_location_option_sets_the_default_location(catalog: Catalog, tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "s.csv", [row("A", quantity="3")]),
                location="warehouse")
    assert catalog.inventory("A") == [InventoryLevel("A", "warehouse", 3, 0)]


def test_jsonl_with_typed_values_and_bad_lines(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines = [
        json.dumps({"sku": "J1", "title": "Json", "price": 12.5, "image_urls": [
            "https://x.example/j.jpg"], "tags": ["a", "b"], "attributes": {"w": 1.5},
            "quantity": 2}),
        "",
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"sku": "J2", "title": "x", "price": "1", "colour": "red"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    text = problems_of(exc)
    assert f"{path}:3: invalid JSON" in text
    assert f"{path}:4: each line must be a JSON object" in text
    assert f"{path}:5: SKU J2: colour: unknown key" in text
    result = import_file(catalog, path, skip_invalid=True)
    assert result.format == "jsonl" and result.summary.created == 1
    j1 = catalog.get_product("J1")
    assert j1 is not None
    assert j1.price == Decimal("12.5") and j1.attributes == {"w": 1.5}
    assert catalog.available("J1") == 2


def test_prune_removes_absent_products_within_the_guardrail(catalog: Catalog,
                                                            tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "all.csv", [row(f"S{i}") for i in range(10)]))
    path = write_csv(tmp_path / "most.csv", [row(f"S{i}") for i in range(8)])
    result = import_file(catalog, path, prune=True)
    assert result.summary.removed == 2 and result.pruned
    assert catalog.count() == 8


def test_prune_refuses_beyond_the_share_and_writes_nothing(catalog: Catalog,
                                                           tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "all.csv", [row(f"S{i}") for i in range(10)]))
    path = write_csv(tmp_path / "few.csv", [row("S0", price="1.00"), row("NEW")])
    with pytest.raises(GuardrailError, match="remove 9 of 10 products"):
        import_file(catalog, path, prune=True)
    assert catalog.count() == 10 and not catalog.has_sku("NEW")
    s0 = catalog.get_product("S0")
    assert s0 is not None and s0.price == Decimal("19.99")
    result = import_file(catalog, path, prune=True, force=True)
    assert result.summary.removed == 9 and catalog.count() == 2
    # the seen-tracking of a refused prune does not leak into the next import
    assert import_file(catalog, path).summary.unchanged == 2


def test_skipped_rows_are_not_pruned(catalog: Catalog, tmp_path: Path) -> None:
    import_file(catalog, write_csv(tmp_path / "all.csv", [row(f"S{i}") for i in range(10)]))
    rows = [row(f"S{i}") for i in range(10)]
    rows[3]["price"] = "9,99"
    result = import_file(catalog, write_csv(tmp_path / "typo.csv", rows), prune=True,
                         skip_invalid=True, prune_max_share=0.0)
    assert result.summary.removed == 0 and result.summary.skipped == 1
    assert catalog.has_sku("S3")


def test_prune_is_refused_for_inventory_files(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,quantity\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--prune"):
        import_file(catalog, path, prune=True)


def test_large_files_are_read_by_a_child_process(catalog: Catalog, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 reading_mode: str) -> None:
    from feedsync.catalog.importers import reading

    used: list[bool] = []
    real = reading._in_child
    monkeypatch.setattr(reading, "_in_child",
                        lambda make, lookup: used.append(True) or real(make, lookup))
    positions: list[int] = []
    path = write_csv(tmp_path / "c.csv", [row(f"S{i:04d}") for i in range(2500)])
    result = import_file(catalog, path, progress=positions.append)
    assert result.rows == 2500 and result.summary.created == 2500
    assert used == ([True] if reading_mode == "reader-process" else [])
    assert positions[-1] == path.stat().st_size and positions == sorted(positions)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('BAD,"never closed,1.00\n')
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert exc.value.problems == [f"{path}:2502: a quoted cell starting on this line is never "
                                  "closed (missing '\"')"]


def test_positional_product_construction_matches_the_model() -> None:
    """The native parser builds Product positionally; models.py must keep this field order."""
    from dataclasses import fields

    from feedsync.catalog.importers import native
    from feedsync.models import Product

    names = tuple(f.name for f in fields(Product))
    assert names[:len(native.PRODUCT_FIELD_ORDER)] == native.PRODUCT_FIELD_ORDER
    assert native._new_product is Product
