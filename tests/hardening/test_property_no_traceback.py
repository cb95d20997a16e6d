"""Property: random bytes and random JSON fed to every importer and config loader end in a clean
error (a FeedsyncError) or success — never a traceback — and the catalog is unchanged on error
(issue #16, point 7)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsync.catalog import Catalog
from feedsync.catalog.importers import import_file
from feedsync.catalog.importers.native import NATIVE_COLUMNS
from feedsync.errors import FeedsyncError
from tests.hardening.test_hostile_input import snapshot

FORMATS = ("auto", "native", "jsonl", "shopify", "woocommerce", "inventory")
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Headers of each format, so random rows get past header detection and reach the value rules.
HEADERS = {
    "native": b"sku,title,price,currency,quantity,attributes,gtin,sale_price\n",
    "shopify": b"Handle,Title,Variant SKU,Variant Price,Variant Inventory Qty,Option1 Name,"
               b"Option1 Value\n",
    "woocommerce": b"ID,Type,SKU,Name,Regular price,Stock,Parent\n",
    "inventory": b"sku,location,quantity\n",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
native_objects = st.dictionaries(st.sampled_from(NATIVE_COLUMNS) | st.text(max_size=6),
                                 json_values, max_size=12)


def clean_or_success(catalog: Catalog, path: Path, fmt: str) -> None:
    before = snapshot(catalog)
    try:
        import_file(catalog, path, format=fmt)
    except FeedsyncError:
        assert snapshot(catalog) == before


@PROPERTY
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(FORMATS))
def test_random_bytes_never_traceback(catalog: Catalog, tmp_path: Path, data: bytes,
                                      fmt: str) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    clean_or_success(catalog, path, fmt)


@PROPERTY
@given(rows=st.lists(st.binary(max_size=200), max_size=5),
       fmt=st.sampled_from(sorted(HEADERS)))
def test_random_rows_under_a_real_header_never_traceback(catalog: Catalog, tmp_path: Path,
                                                         rows: list[bytes], fmt: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(HEADERS[fmt] + b"\n".join(rows))
    clean_or_success(catalog, path, fmt)


@PROPERTY
@given(lines=st.lists(native_objects | json_values, min_size=1, max_size=4))
def test_random_json_lines_never_traceback(catalog: Catalog, tmp_path: Path,
                                           lines: list[object]) -> None:
    path = tmp_path / "random.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    clean_or_success(catalog, path, "jsonl")


@PROPERTY
@given(data=st.binary(max_size=1024) | st.text(max_size=300).map(str.encode),
       which=st.sampled_from(["feedsync.toml", "secrets.toml"]))
def test_random_config_never_tracebacks(workspace: Path, data: bytes, which: str) -> None:
    from feedsync.config import load_workspace

    (workspace / which).write_bytes(data)
    try:
        ws = load_workspace(workspace)
        ws.secrets("google")
    except FeedsyncError:
        pass


@PROPERTY
@given(data=st.binary(max_size=1024) | st.text(max_size=300).map(str.encode))
def test_random_mapping_never_tracebacks(tmp_path: Path, data: bytes) -> None:
    from feedsync.mapping.engine import ChannelMapper
    from feedsync.registry import channel_schema

    path = tmp_path / "google.toml"
    path.write_bytes(data)
    with contextlib.suppress(FeedsyncError):
        ChannelMapper(channel_schema("google"), path)


toml_keys = st.sampled_from(["workspace", "catalog", "output", "currency_rates", "channels",
                             "orders", "google", "facebook", "amazon", "enabled", "delivery",
                             "name", "default_currency", "dir", "guardrails", "secrets"])
toml_values = st.recursive(
    st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(toml_keys | st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


@PROPERTY
@given(data=st.dictionaries(toml_keys, toml_values, max_size=6))
def test_random_settings_never_traceback(tmp_path: Path, data: dict[str, object]) -> None:
    """Random parsed TOML (JSON-like data) through the settings validation: clean or valid."""
    from feedsync.config import parse_settings

    with contextlib.suppress(FeedsyncError):
        parse_settings(data, tmp_path / "feedsync.toml")
