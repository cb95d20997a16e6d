"""Hostile and broken input files end in a clear error naming file, line and field (issue #16).

Each case is one an attack on the import found (points 6, 7 and 8): before the fix each ended in a
traceback, ate memory, or was silently stored. The catalog must be exactly as before the failed
import.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from feedsync.catalog import Catalog
from feedsync.catalog.importers import import_file, source
from feedsync.errors import ConfigError, InputError

HEADER = "sku,title,price,currency,quantity\n"


def snapshot(catalog: Catalog) -> list[tuple[object, ...]]:
    """Every product and stock row, to prove a failed import changed nothing."""
    conn: sqlite3.Connection = catalog.db.conn
    rows = list(conn.execute("SELECT * FROM products ORDER BY sku"))
    rows += list(conn.execute("SELECT * FROM inventory ORDER BY 1, 2"))
    return rows


@pytest.fixture
def seeded(catalog: Catalog, tmp_path: Path) -> Catalog:
    """A catalog holding one product, so "unchanged" means something."""
    path = tmp_path / "seed.csv"
    path.write_text(HEADER + "KEEP-1,Kept,9.99,USD,4\n", encoding="utf-8")
    import_file(catalog, path)
    return catalog


def jsonl(**fields: object) -> str:
    """One JSON Lines product with defaults."""
    obj = {"sku": "A1", "title": "T", "price": "1.00", "currency": "USD", "quantity": 1}
    obj.update(fields)
    return json.dumps(obj)


def refused(catalog: Catalog, path: Path) -> str:
    """Import ``path``, expect InputError, check nothing changed; the message and problems."""
    before = snapshot(catalog)
    with pytest.raises(InputError) as exc:
        import_file(catalog, path)
    assert snapshot(catalog) == before
    return exc.value.message + "\n" + "\n".join(exc.value.problems)


CASES = {
    # file name: (content, what the error must say)
    "qty-2-63.csv": (HEADER + f"A1,T,1.00,USD,{2**63}\n", ":2: SKU A1: quantity"),
    "qty-2-63.jsonl": (jsonl(quantity=2**63) + "\n", ":1: SKU A1: quantity"),
    "qty-5000-digits.csv": (HEADER + "A1,T,1.00,USD," + "9" * 5000 + "\n", "quantity"),
    "surrogate.jsonl": ('{"sku":"A1","title":"\\ud800x","price":"1.00"}\n', ":1: title: "),
    "deep.jsonl": (jsonl()[:-1] + ',"attributes":' + "[" * 100_000 + "]" * 100_000 + "}\n",
                   "nested more than"),
    "digits.jsonl": ('{"sku":"A1","title":"T","price":' + "9" * 5000 + "}\n",
                     "a number of 5000 digits"),
    "price-5000-digits.csv": (HEADER + "A1,T," + "9" * 5000 + ",USD,1\n", "price"),
    "exp-price.jsonl": ('{"sku":"A1","title":"T","price":0.1e1000}\n',
                        "price '0.1e1000': price is in scientific notation"),
    "exp-qty.jsonl": ('{"sku":"A1","title":"T","price":"1","quantity":1e2}\n',
                      "quantity '1e2': quantity is in scientific notation"),
    "exp-qty.csv": (HEADER + "A1,T,1.00,USD,1e2\n", "quantity '1e2': quantity is in scientific"),
    "number-sku.jsonl": ('{"sku":123,"title":"T","price":"1"}\n', "sku: expected a single value"),
    "dup-key.jsonl": ('{"sku":"A1","title":"T","title":"U","price":"1"}\n',
                      ":1: title: the key appears twice"),
    "nan.jsonl": ('{"sku":"A1","title":"T","price":NaN}\n', "NaN is not a number"),
    "nul-cell.csv": (HEADER + "A1,T\x00x,1.00,USD,1\n", "NUL"),
    "nul-escape.jsonl": ('{"sku":"A1","title":"T\\u0000x","price":"1"}\n', "title: "),
    "inf-attribute.jsonl": (jsonl(attributes={"w": 1})[:-2] + '1e999}}\n', "out of range"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_a_clear_error_and_changes_nothing(seeded: Catalog, tmp_path: Path,
                                                          name: str) -> None:
    content, expected = CASES[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    text = refused(seeded, path)
    assert expected in text
    assert str(path) in text
    assert len(text) < 2000  # hostile input is never echoed whole


def test_nul_deep_in_a_csv_stops_the_import_at_its_line(seeded: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "late-nul.csv"
    rows = "".join(f"S{i},T,1.00,USD,1\n" for i in range(2000))
    path.write_text(HEADER + rows + "BAD,T\x00,1.00,USD,1\n", encoding="utf-8")
    text = refused(seeded, path)
    assert f"{path}:2002: the line contains a NUL byte" in text


def test_a_line_without_end_is_bounded(seeded: Catalog, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/zero-like input (no newline, ever) is refused at the line limit, not read whole."""
    monkeypatch.setattr(source, "LINE_SIZE_LIMIT", 64 * 1024)
    path = tmp_path / "endless.csv"
    path.write_text(HEADER + "A" * 200_000, encoding="utf-8")
    text = refused(seeded, path)
    assert f"{path}:2: the line is longer than" in text


def test_dev_zero_is_refused_at_once(seeded: Catalog) -> None:
    text = refused(seeded, Path("/dev/zero"))
    assert "NUL bytes" in text


def test_huge_header_is_refused_and_not_echoed(seeded: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("sku," + "x" * 300_000 + "\nA,1\n", encoding="utf-8")
    text = refused(seeded, path)
    assert "longer than 64 KiB" in text and len(text) < 1000
    path.write_text("sku," + "y" * 5000 + "\nA,1\n", encoding="utf-8")
    text = refused(seeded, path)
    assert "cannot tell the format" in text and len(text) < 1000


def test_json_lines_numbers_follow_the_csv_rules(catalog: Catalog, tmp_path: Path) -> None:
    """One set of value rules: a plain JSON number is read exactly like the CSV cell."""
    path = tmp_path / "ok.jsonl"
    path.write_text(jsonl(price=12.5, quantity=3, attributes={"w": 1.5, "n": 2}) + "\n",
                    encoding="utf-8")
    import_file(catalog, path)
    product = catalog.get_product("A1")
    assert product is not None and str(product.price) == "12.5"
    assert product.attributes == {"w": 1.5, "n": 2}
    assert catalog.available("A1") == 3


def test_binary_config_is_a_clear_error(workspace: Path) -> None:
    from feedsync.config import load_workspace

    (workspace / "feedsync.toml").write_bytes(b"[workspace]\nname = 'a'\n\xd0\xcf\x11\xe0")
    with pytest.raises(ConfigError) as exc:
        load_workspace(workspace)
    assert f"{workspace / 'feedsync.toml'}:3: not UTF-8" in exc.value.message


def test_temp_files_of_a_dead_build_go_at_the_next_build(tmp_path: Path) -> None:
    """A killed feed build's temp file goes at the next build; a live writer's stays."""
    import os
    import subprocess
    import sys

    from feedsync.feeds.atomic import AtomicFile, temp_prefix

    target = tmp_path / "feed.xml"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    prefix = temp_prefix(target)
    orphan = tmp_path / f"{prefix}{int(dead.stdout)}-abc123.tmp"
    orphan.write_bytes(b"x" * 1000)
    live = tmp_path / f"{prefix}{os.getppid()}-def456.tmp"  # a running writer (our parent)
    live.write_bytes(b"y")
    with AtomicFile(target) as out:
        out.stream.write(b"<feed/>")
        out.commit()
    assert not orphan.exists() and live.exists()
    assert target.read_bytes() == b"<feed/>"


def test_a_huge_bad_config_value_is_not_echoed_whole(workspace: Path) -> None:
    from feedsync.config import load_workspace

    config = workspace / "feedsync.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[orders]\nlookback_minutes = \""
                      + "x" * 200_000 + "\"\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_workspace(workspace)
    text = exc.value.message + "\n".join(exc.value.problems)
    assert "orders.lookback_minutes" in text and len(text) < 2000
