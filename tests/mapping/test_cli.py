"""feedsync validate / preview / explain, on the sample catalog and on broken data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.catalog import Catalog
from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT, make_product

SAMPLES = REPO_ROOT / "samples" / "catalog.csv"


def run(runner: CliRunner, workspace: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["--workspace", str(workspace), *args])
    return result.exit_code, result.output


@pytest.fixture
def sample_workspace(workspace: Path, runner: CliRunner) -> Path:
    if not SAMPLES.is_file():
        pytest.skip("samples/catalog.csv is not there yet")
    code, output = run(runner, workspace, "catalog", "import", str(SAMPLES))
    assert code == 0, output
    return workspace


def test_sample_catalog_is_valid_for_both_default_mappings(sample_workspace: Path,
                                                           runner: CliRunner) -> None:
    code, output = run(runner, sample_workspace, "validate", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert data["ok"] is True and data["skus_with_errors"] == 0
    assert [c["channel"] for c in data["channels"]] == ["google", "facebook"]
    for channel in data["channels"]:
        summary = channel["summary"]
        assert summary["with_errors"] == 0 and summary["with_warnings"] == 0, channel["skus"]
        assert summary["sendable"] + summary["excluded"] == summary["products"] > 0
        assert summary["excluded"] == sum(summary["excluded_by_reason"].values())


def test_validate_lists_errors_and_exits_6(workspace: Path, catalog: Catalog,
                                           runner: CliRunner) -> None:
    apparel = {"gender": "unisex", "age_group": "adult", "color": "Blue", "size": "M"}
    catalog.upsert_products([
        make_product("GOOD", **apparel),
        make_product("BAD", link=None, condition="mint", **apparel),
        make_product("WARN", gtin="4006381333932", **apparel),
    ])
    code, output = run(runner, workspace, "validate", "google")
    assert code == 6
    assert "BAD (not sent)" in output
    assert "error   link: link is required by google and has no value (missing_required)" \
        in output
    assert "condition: condition 'mint' is not one of new, refurbished, used" in output
    assert "WARN (sent)" in output and "invalid_gtin" in output
    assert "GOOD" not in output
    assert "google: 3 products · 2 sendable · 1 with errors (not sent)" in output
    assert "1 SKU(s) have errors and will not be sent" in output

    code, output = run(runner, workspace, "--json", "validate", "google", "--no-warnings")
    assert code == 6
    data = json.loads(output)
    assert [s["sku"] for s in data["channels"][0]["skus"]] == ["BAD"]
    assert {i["code"] for i in data["channels"][0]["skus"][0]["issues"]} == \
        {"missing_required", "invalid_value"}
    assert data["channels"][0]["skus"][0]["issues"][0]["rule"] == "fields.link: column product_url"


def test_validate_show_excluded(workspace: Path, catalog: Catalog, runner: CliRunner) -> None:
    catalog.upsert_products([make_product("A"), make_product("B", tags=["no-google"])])
    catalog.exclude("A", "google", "supplier recall")
    code, output = run(runner, workspace, "validate", "google", "--show-excluded")
    assert code == 0, output
    assert "A: not sent: excluded in the catalog: supplier recall" in output
    assert "B: not sent: filtered out: filters.exclude[0] matched (tags contain 'no-google')" \
        in output


def test_validate_reports_a_broken_mapping_with_file_and_line(workspace: Path,
                                                              runner: CliRunner) -> None:
    path = workspace / "mappings" / "facebook.toml"
    path.write_text(path.read_text().replace('id = "sku"', 'id = "skew"'))
    code, output = run(runner, workspace, "validate")
    assert code == 4
    assert f"{path}:" in output and "fields.id: unknown column 'skew' (did you mean 'sku'?)" \
        in output


def test_preview(sample_workspace: Path, runner: CliRunner) -> None:
    code, output = run(runner, sample_workspace, "preview", "facebook", "TEE-ORG-BLK-S")
    assert code == 0, output
    assert output.startswith("facebook · TEE-ORG-BLK-S: sent as\n")
    assert "  availability                  in stock\n" in output
    code, output = run(runner, sample_workspace, "--json", "preview", "google", "TEE-ORG-BLK-S")
    data = json.loads(output)
    assert data["sendable"] is True
    assert list(data["fields"])[:3] == ["id", "title", "description"]
    assert data["fields"]["price"].endswith(" USD")


def test_preview_of_an_excluded_or_unknown_sku(workspace: Path, catalog: Catalog,
                                               runner: CliRunner) -> None:
    catalog.upsert_products([make_product("OFF")])
    catalog.exclude("OFF", "google", "paused")
    code, output = run(runner, workspace, "preview", "google", "OFF")
    assert code == 0
    assert output.startswith("google · OFF: NOT SENT (excluded in the catalog: paused); "
                             "it would be\n")
    code, output = run(runner, workspace, "preview", "google", "NOPE")
    assert code == 2 and "SKU 'NOPE' is not in the catalog" in output


def test_explain(workspace: Path, catalog: Catalog, runner: CliRunner) -> None:
    catalog.upsert_products([make_product("E-1", description="<p>Soft &amp; warm</p>")])
    catalog.set_override("E-1", "google", "title", "Hand title")
    code, output = run(runner, workspace, "explain", "google", "E-1")
    assert code == 0, output
    assert "  included: filters.include[0] matched (status = active)" in output
    assert ("description\n  first of description, title: '<p>Soft &amp; warm</p>'\n"
            "  strip_html: '<p>Soft &amp; warm</p>' → 'Soft & warm'\n") in output
    assert "  override (catalog): 'Product E-1' → 'Hand title'\n  = 'Hand title'" in output
    assert "availability\n  rule [quantity] availability: 'out_of_stock'\n" in output
    code, output = run(runner, workspace, "--json", "explain", "google", "E-1")
    data = json.loads(output)
    title = next(f for f in data["fields"] if f["field"] == "title")
    assert title["final"] == "Hand title"
    assert [s["rule"] for s in title["steps"]][-1] == "override (catalog)"
