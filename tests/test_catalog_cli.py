"""`feedsync catalog import/export` through the CLI, and the README's first command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.cli.context import AppContext
from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "importers"


@pytest.fixture
def example_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository root's example workspace, as the current folder."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO_ROOT / "feedsync.toml", root / "feedsync.toml")
    shutil.copytree(REPO_ROOT / "mappings", root / "mappings")
    shutil.copytree(REPO_ROOT / "samples", root / "samples")
    monkeypatch.chdir(root)
    monkeypatch.delenv("FEEDSYNC_WORKSPACE", raising=False)
    return root


def test_readme_first_command_imports_the_sample_catalog(runner: CliRunner,
                                                         example_workspace: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    first_command = readme.split("```sh\n", 1)[1].split("\n", 1)[0]
    steps = [step.strip() for step in first_command.split("&&")]
    assert steps[0] == "pip install -e ."
    # The first command runs in the sandbox workspace demo/ (issue #15): ../samples/catalog.csv
    imports = [step for step in steps if step.startswith("feedsync catalog import ")]
    assert imports and imports[0].endswith("samples/catalog.csv"), steps
    imported = runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    assert imported.exit_code == 0, imported.output
    assert "created 60 · updated 0 · unchanged 0 · skipped 0" in imported.output
    shown = runner.invoke(cli, ["catalog", "stats"])
    assert shown.exit_code == 0, shown.output
    assert "products:        60" in shown.output
    stats = json.loads(runner.invoke(cli, ["--json", "catalog", "stats"]).output)
    assert stats["products"] == 60
    assert stats["families"] == 5 and stats["variants"] == 31
    assert stats["by_status"] == {"active": 58, "draft": 1, "archived": 1}
    assert 0 < stats["without_gtin"] < 60
    assert 0 < stats["on_sale"] < 60
    assert 0 < stats["out_of_stock"] < 60
    assert stats["images"] > 60  # several products have more than one image
    assert len({c.split(" > ")[0] for c in stats["categories"]}) >= 5
    again = runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    assert "created 0 · updated 0 · unchanged 60" in again.output


def test_sample_catalog_has_the_promised_shapes(runner: CliRunner,
                                                example_workspace: Path) -> None:
    runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    hoodie = json.loads(runner.invoke(cli, ["--json", "catalog", "show", "HOOD-MER-GRY-M"]).output)
    assert hoodie["item_group_id"] == "HOOD-MER"
    assert hoodie["variant_axes"] == ["color", "size"]
    assert hoodie["sale_price"] == "99.00" and hoodie["sale_start"] and hoodie["sale_end"]
    assert hoodie["description"].startswith("<p>")
    assert len(hoodie["images"]) == 2
    tote = json.loads(runner.invoke(cli, ["--json", "catalog", "show", "TOTE-CNV-OLV"]).output)
    assert tote["gtin"] is None and tote["available"] == 0


def test_import_json_summary_and_export_round_trip(runner: CliRunner,
                                                   example_workspace: Path) -> None:
    result = runner.invoke(cli, ["--json", "catalog", "import", "samples/catalog.csv"])
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert summary["ok"] is True and summary["format"] == "native"
    assert (summary["created"], summary["skipped"], summary["rows"]) == (60, 0, 60)
    for fmt in ("csv", "jsonl"):
        out = example_workspace / f"out/export.{fmt}"
        exported = runner.invoke(cli, ["catalog", "export", "--format", fmt, "--out", str(out)])
        assert exported.exit_code == 0, exported.output
        assert "exported 60 products" in exported.output
        back = json.loads(runner.invoke(cli, ["--json", "catalog", "import", str(out)]).output)
        assert (back["unchanged"], back["created"], back["updated"]) == (60, 0, 0)
    to_stdout = runner.invoke(cli, ["catalog", "export"])
    assert to_stdout.stdout.splitlines()[0].startswith("sku,item_group_id,title,")
    assert len(to_stdout.stdout.splitlines()) > 60


def test_invalid_rows_fail_with_every_problem(runner: CliRunner, example_workspace: Path,
                                              tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title,price,quantity\nA,Alpha,12,99,1\nB,Beta,12.99,-1\nC,Gamma,3.00,2\n"
                   "C,Again,4.00,1\n", encoding="utf-8")
    result = runner.invoke(cli, ["catalog", "import", str(bad)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert f"{bad}:2: SKU A: the row has 5 cells but the header has 4" in result.stderr
    assert f"{bad}:3: SKU B: quantity '-1': quantity must not be negative" in result.stderr
    assert f"{bad}:5: SKU C: sku 'C': duplicate SKU" in result.stderr
    as_json = json.loads(runner.invoke(cli, ["--json", "catalog", "import", str(bad)]).output)
    assert as_json["ok"] is False and as_json["kind"] == "InputError"
    assert len(as_json["problems"]) == 3
    partial = runner.invoke(cli, ["catalog", "import", str(bad), "--skip-invalid"])
    assert partial.exit_code == 3
    assert "created 1 · updated 0 · unchanged 0 · skipped 3" in partial.stdout
    assert "skipped 3 invalid row(s):" in partial.stderr


def test_prune_guardrail_and_force(runner: CliRunner, example_workspace: Path,
                                   tmp_path: Path) -> None:
    runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    partial = tmp_path / "partial.csv"
    lines = (example_workspace / "samples/catalog.csv").read_text(encoding="utf-8").splitlines()
    partial.write_text("\n".join(lines[:31]) + "\n", encoding="utf-8")
    refused = runner.invoke(cli, ["catalog", "import", str(partial), "--prune"])
    assert refused.exit_code == 5
    assert "would remove 30 of 60 products (50%)" in refused.stderr
    forced = runner.invoke(cli, ["--json", "catalog", "import", str(partial), "--prune",
                                 "--force"])
    assert forced.exit_code == 0
    assert json.loads(forced.output)["removed"] == 30
    usage = runner.invoke(cli, ["catalog", "import", str(partial), "--force"])
    assert usage.exit_code == 2 and "--force only applies with --prune" in usage.stderr


def test_format_option_and_other_exports(runner: CliRunner, example_workspace: Path) -> None:
    export = str(FIXTURES / "shopify_products_export.csv")
    shopify = runner.invoke(cli, ["catalog", "import", export, "--location", "main"])
    assert shopify.exit_code == 0, shopify.output
    assert "Shopify product CSV" in shopify.output
    stock = runner.invoke(cli, ["--json", "catalog", "import", str(FIXTURES / "inventory.csv")])
    assert json.loads(stock.output)["inventory_rows"] == 3
    wrong = runner.invoke(cli, ["catalog", "import", "samples/catalog.csv", "--format",
                                "inventory"])
    assert wrong.exit_code == 1 and "not an inventory file" in wrong.stderr
    woo = runner.invoke(cli, ["catalog", "import", str(FIXTURES / "wc-product-export.csv"),
                              "--format", "woocommerce"])
    assert woo.exit_code == 0 and "created 6" in woo.output
    missing = runner.invoke(cli, ["catalog", "import", "nope.csv"])
    assert missing.exit_code == 2


def test_progress_bar_only_on_a_terminal(runner: CliRunner, example_workspace: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    assert result.exit_code == 0
    assert result.stderr == ""  # CliRunner's stderr is not a TTY: no bar
    monkeypatch.setattr(AppContext, "show_progress", lambda self: True)
    monkeypatch.setattr("feedsync.cli.progress.INTERVAL", 0.0)  # draw even a fast import
    shown = runner.invoke(cli, ["catalog", "import", "samples/catalog.csv"])
    assert shown.exit_code == 0
    assert "importing catalog.csv" in shown.stderr
    assert "importing" not in shown.stdout
