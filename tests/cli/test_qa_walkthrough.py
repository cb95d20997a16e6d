"""Findings of a QA walk through feedsync as a new merchant (the README demo, a foreign store,
a copied workspace …), each pinned by the command the merchant ran (click runner)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner, Result

from feedsync.cli.main import cli
from feedsync.sync.report import result_lines
from feedsync.sync.runs import Outcome, StepResult
from tests.conftest import REPO_ROOT

SAMPLES = REPO_ROOT / "samples" / "catalog.csv"  # the README demo's sample catalog


def run(root: Path, *args: str, input: str | None = None) -> Result:
    """``feedsync --workspace ROOT ARGS…``."""
    return CliRunner().invoke(cli, ["--workspace", str(root), *args], input=input)


def sandbox_workspace(tmp_path: Path) -> Path:
    """``feedsync init --sandbox demo`` with the sample catalog imported (the README demo)."""
    root = tmp_path / "demo"
    done = CliRunner().invoke(cli, ["init", "--sandbox", str(root)])
    assert done.exit_code == 0, done.output
    done = run(root, "catalog", "import", str(SAMPLES))
    assert done.exit_code == 0, done.output
    return root


# 1. eBay listed 18 of 58 sample products: the sample categories had no eBay category id.

def test_ebay_mapping_has_a_category_for_every_sample_category(tmp_path: Path) -> None:
    root = sandbox_workspace(tmp_path)
    done = run(root, "validate", "ebay", "--json")
    report = json.loads(done.stdout)["channels"][0]
    category_issues = [(s["sku"], i["code"]) for s in report["skus"] for i in s["issues"]
                       if i["field"] == "category_id"]
    assert category_issues == []
    with SAMPLES.open(newline="", encoding="utf-8") as handle:
        active = [r for r in csv.DictReader(handle) if r.get("status", "active") in ("", "active")]
    assert report["summary"]["sendable"] == len(active) == 58
    assert report["summary"]["with_errors"] == 0


def test_push_line_says_how_many_skus_were_held_back() -> None:
    result = StepResult(step="push", outcome=Outcome.OK, channel="ebay",
                        message="ebay: 18 sent in 1 batch(es), 18 accepted",
                        counts={"items": 18, "held_invalid": 40})
    first = next(result_lines(result))
    assert first.endswith("ebay: 18 sent in 1 batch(es), 18 accepted; 40 held back for "
                          "validation errors (feedsync validate ebay)")


FAKE_CONFIG = """
[channels.fake]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"
"""

FAKE_MAPPING = """
channel = "fake"

[fields]
id = "sku"
title = "title"
link = "link"
image_link = "image"
price = { rule = "price" }
quantity = { rule = "quantity" }
availability = { rule = "availability" }
"""


def test_push_counts_the_skus_validation_held_back(tmp_path: Path) -> None:
    from feedsync.catalog import open_catalog
    from feedsync.models import InventoryLevel
    from feedsync.testing import reset_default_channel
    from tests.conftest import make_product

    root = tmp_path / "ws"
    (root / "mappings").mkdir(parents=True)
    (root / "feedsync.toml").write_text(FAKE_CONFIG)
    (root / "mappings" / "fake.toml").write_text(FAKE_MAPPING)
    catalog = open_catalog(root / "feedsync.db")
    catalog.upsert_products([make_product("OK-1"), make_product("OK-2"),
                             make_product("NO-TITLE", title="")])
    catalog.set_inventory(InventoryLevel(s, "main", 3) for s in ("OK-1", "OK-2", "NO-TITLE"))
    catalog.db.close()
    reset_default_channel()
    try:
        done = run(root, "push")
        step = json.loads(run(root, "status", "--json").stdout)
    finally:
        reset_default_channel()
    assert "; 1 held back for validation errors (feedsync validate fake)" in done.output, \
        done.output
    assert step["channels"][0]["held_invalid"] == 1


# 2. validate cleared Amazon, then Amazon refused six sample products with 90220.

def test_amazon_validation_holds_products_without_an_identifier(tmp_path: Path) -> None:
    root = sandbox_workspace(tmp_path)
    done = run(root, "validate", "amazon", "--json")
    assert done.exit_code == 6, done.output
    report = json.loads(done.stdout)["channels"][0]
    held = {s["sku"]: s["issues"] for s in report["skus"] if not s["sendable"] and s["included"]}
    with SAMPLES.open(newline="", encoding="utf-8") as handle:
        no_gtin = {r["sku"] for r in csv.DictReader(handle)
                   if not r["gtin"] and r.get("status", "active") in ("", "active")}
    assert set(held) == no_gtin and len(no_gtin) == 6
    issue = held["SOAP-OAT"][0]
    assert issue["field"] == "externally_assigned_product_identifier"
    assert issue["code"] == "missing_required" and "GTIN exemption" in issue["message"]
    assert "supplier_declared_has_product_identifier_exemption" in issue["message"]


def test_a_gtin_exemption_lifts_the_identifier_requirement(tmp_path: Path) -> None:
    from feedsync.adapters.amazon.render import RenderContext, build_attributes
    from feedsync.adapters.amazon.schema import SCHEMA

    from feedsync.mapping.validate import SchemaValidator

    exempt = {"sku": "SOAP-OAT", "product_type": "SKIN_CLEANING_AGENT", "item_name": "Soap",
              "supplier_declared_has_product_identifier_exemption": "true"}
    assert SchemaValidator(SCHEMA).validate("SOAP-OAT", exempt, {}) == []
    attributes = build_attributes("SOAP-OAT", exempt, RenderContext("ATVPDKIKX0DER"))
    assert attributes["supplier_declared_has_product_identifier_exemption"] == [
        {"value": True, "marketplace_id": "ATVPDKIKX0DER"}]
    bare = {k: v for k, v in exempt.items() if "exemption" not in k}
    assert [i.field for i in SchemaValidator(SCHEMA).validate("SOAP-OAT", bare, {})] == [
        "externally_assigned_product_identifier"]


# 3. Config strictness: lax booleans, unknown or lower-case currencies, the common channel keys.

def _problems(tmp_path: Path, text: str) -> list[str]:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    (root / "feedsync.toml").write_text(text)
    done = run(root, "--json", "status")
    assert done.exit_code == 4, done.output
    return [p.split(": ", 1)[1] for p in json.loads(done.stdout)["problems"]]


def test_switches_take_toml_booleans_only(tmp_path: Path) -> None:
    for value in ('"yes"', "1", '"off"'):
        problems = _problems(tmp_path, f'[channels.google]\nenabled = {value}\n'
                                       f'[orders]\nfast_path = {value}\n')
        assert any(p.startswith("channels.google.enabled: must be true or false (a TOML "
                                "boolean, without quotes)") for p in problems), problems
        assert any(p.startswith("orders.fast_path: must be true or false") for p in problems)


def test_currencies_are_iso_4217_codes(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[catalog]\ndefault_currency = "XYZ"\n'
                                   '[currency_rates]\nEUR = 1.1\nusd = 1\n'
                                   '[fees.ebay]\ncurrency = "ABC"\n')
    assert problems == [
        "catalog.default_currency: is not an ISO 4217 currency code (an upper-case code like "
        "USD, EUR or GBP) (got 'XYZ')",
        "currency_rates: 'usd' must be an upper-case ISO 4217 code like USD; did you mean 'USD'?",
        "fees.ebay.currency: is not an ISO 4217 currency code (an upper-case code like USD, EUR "
        "or GBP) (got 'ABC')",
    ]
    lower = _problems(tmp_path, '[catalog]\ndefault_currency = "usd"\n')
    assert lower == ["catalog.default_currency: must be an upper-case ISO 4217 code like USD; "
                     "did you mean 'USD'? (got 'usd')"]


def test_an_unknown_channel_key_offers_the_common_keys(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[channels.ebay]\nenabled = false\ndelivry = "api"\n')
    [problem] = problems
    assert problem.startswith("channels.ebay.delivry: unknown key (allowed: account, adapter, ")
    for key in ("enabled", "delivery", "mapping", "account", "adapter", "guardrails"):
        assert f" {key}," in problem or f" {key})" in problem, problem
    assert problem.endswith("did you mean 'delivery'?")


# 4. A copied workspace read the old workspace's feed file (its absolute path was journaled).

def test_a_copied_workspace_reads_its_own_feed(example: Path, tmp_path: Path) -> None:
    import shutil

    assert run(example, "feed", "build", "google").exit_code == 0
    outside = tmp_path / "elsewhere" / "fb.csv"
    done = run(example, "feed", "build", "facebook", "--out", str(outside))
    assert done.exit_code == 0, done.output
    copy = tmp_path / "copy"
    shutil.copytree(example, copy)
    (example / "out" / "google.xml").unlink()  # the original is gone (a move)
    status = {c["channel"]: c for c in json.loads(run(copy, "--json", "status").stdout)
              ["channels"]}
    assert status["google"]["feed"]["path"] == str(copy / "out" / "google.xml")
    assert status["google"]["feed"]["exists"] and status["google"]["feed"]["items"] > 0
    assert status["facebook"]["feed"]["path"] == str(outside)  # an --out elsewhere stays
    done = run(copy, "reconcile", "google")
    assert str(example) not in done.output and "no published feed" not in done.output, \
        done.output


# 5. `init` had no currency: a Swedish store's prices were imported as USD without a word.

REAL = REPO_ROOT / "tests" / "fixtures" / "real_exports"  # public store exports (README there)


def test_init_writes_the_store_currency_and_the_import_names_it(tmp_path: Path) -> None:
    root = tmp_path / "velofant"
    done = CliRunner().invoke(cli, ["init", str(root), "--currency", "sek",
                                    "--store-url", "https://velofant.se"])
    assert done.exit_code == 0, done.output
    assert 'default_currency = "SEK"' in (root / "feedsync.toml").read_text()
    done = run(root, "catalog", "import", str(REAL / "shopify-2025-velofant-sv.csv"))
    assert done.exit_code in (0, 3), done.output
    assert "prices read as SEK ([catalog] default_currency; the export names no currency)" \
        in done.output
    from feedsync.catalog import open_catalog

    catalog = open_catalog(root / "feedsync.db")
    try:
        currencies = {c for (c,) in catalog.db.execute("SELECT DISTINCT currency FROM products")}
    finally:
        catalog.db.close()
    assert currencies == {"SEK"}


def test_init_asks_for_the_currency_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--currency", "XYZ",
                                    "--store-url", "https://x.example"])
    assert done.exit_code == 2 and "--currency 'XYZ'" in done.output
    done = CliRunner().invoke(cli, ["init", str(tmp_path / "y"), "--store-url",
                                    "https://y.example"])  # not a terminal: the default
    assert done.exit_code == 0 and 'default_currency = "USD"' in (
        tmp_path / "y" / "feedsync.toml").read_text()


def test_a_woocommerce_import_says_which_currency_prices_were_read_in(tmp_path: Path) -> None:
    root = tmp_path / "woo"
    assert CliRunner().invoke(cli, ["init", str(root), "--currency", "RUB", "--store-url",
                                    "https://shop.example.ru"]).exit_code == 0
    done = run(root, "--json", "catalog", "import", str(REAL / "woocommerce-ru-no-sku.csv"))
    assert json.loads(done.stdout)["prices_read_as"] == "RUB", done.output


# 6. `validate --remote SKU` without a channel is a usage mistake, not a configuration error.

def test_remote_validation_without_a_channel_says_to_name_it(example: Path) -> None:
    done = run(example, "validate", "--remote", "BALM-LIP")
    assert done.exit_code == 2, done.output
    assert "name the channel first: feedsync validate amazon --remote BALM-LIP" in done.output
    assert "unknown channel" not in done.output


# 7. secrets.toml.example named no [ebay] or [etsy] secrets.

def test_secrets_example_names_every_channel_secret() -> None:
    import importlib
    import tomllib
    from importlib import resources

    from feedsync.registry import builtin_channels

    text = resources.files("feedsync.workspace_template").joinpath(
        "secrets.toml.example").read_text(encoding="utf-8")
    uncommented = "\n".join(line.removeprefix("# ") for line in text.splitlines()
                            if not line.startswith("# Copy") and "FEEDSYNC_<" not in line)
    tables = tomllib.loads(uncommented)
    for channel in builtin_channels():
        config = importlib.import_module(f"feedsync.adapters.{channel}.config")
        for key in getattr(config, "SECRET_KEYS", ()):
            assert key in tables.get(channel, {}), f"[{channel}] {key} missing"


# 8. A WooCommerce store run on a laptop exports http://localhost/… images; nothing warned.

def test_images_on_localhost_are_warned_about(tmp_path: Path) -> None:
    root = tmp_path / "ru"
    assert CliRunner().invoke(cli, ["init", str(root), "--currency", "RUB", "--store-url",
                                    "https://shop.example.ru"]).exit_code == 0
    # a public Russian WooCommerce export (tests/fixtures/real_exports/README.md)
    done = run(root, "catalog", "import", str(REAL / "woocommerce-ru-no-sku.csv"))
    assert done.exit_code in (0, 3), done.output
    done = run(root, "--json", "validate", "google")
    report = json.loads(done.stdout)["channels"][0]
    warned = [i for s in report["skus"] for i in s["issues"] if i["code"] == "unreachable_url"]
    assert warned, report["summary"]
    assert all(i["severity"] == "warning" and i["field"] in ("image_link",
               "additional_image_link") for i in warned)
    assert "is on localhost: marketplaces cannot fetch it" in warned[0]["message"]


def test_private_and_local_hosts_are_unreachable_public_ones_are_not() -> None:
    from feedsync.adapters.google.schema import SCHEMA

    from feedsync.mapping.hosts import unreachable_host
    from feedsync.mapping.validate import SchemaValidator

    assert unreachable_host("http://192.168.1.20/img/a.jpg") == "a private address"
    assert unreachable_host("http://[::1]:8080/a.jpg") == "a loopback address"
    assert unreachable_host("https://nas.local/a.jpg") == "a local network name"
    assert unreachable_host("https://cdn.shopify.com/s/files/a.jpg") is None
    assert unreachable_host("https://93.184.216.34/a.jpg") is None
    issues = SchemaValidator(SCHEMA).validate(
        "SKU-1", {"link": "http://127.0.0.1/p/1", "image_link": "https://shop.example.com/a.jpg"},
        {})
    assert [(i.code, i.field) for i in issues if i.code == "unreachable_url"] == [
        ("unreachable_url", "link")]
