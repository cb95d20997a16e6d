"""``feedsync report`` and ``feedsync sync --report`` as a merchant runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from feedsync.cli.main import cli

REPO = Path(__file__).resolve().parents[2]


def _example_workspace(tmp_path: Path) -> Path:
    """A copy of the repository's example workspace with the sample catalog imported."""
    root = tmp_path / "shop"
    root.mkdir()
    shutil.copy(REPO / "feedsync.toml", root / "feedsync.toml")
    shutil.copytree(REPO / "mappings", root / "mappings")
    result = CliRunner().invoke(cli, ["--workspace", str(root), "catalog", "import",
                                      str(REPO / "samples" / "catalog.csv")])
    assert result.exit_code == 0, result.output
    return root


def _run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(root), *args])


def test_report_writes_the_page_and_names_it(tmp_path):
    root = _example_workspace(tmp_path)
    result = _run(root, "report")
    assert result.exit_code == 0, result.output
    page = root / "out" / "report.html"
    assert f"report written to {page}" in result.output
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "google" in html and "facebook" in html


def test_report_json_in_both_positions_is_one_object(tmp_path):
    root = _example_workspace(tmp_path)
    out = tmp_path / "r.html"
    for args in (["--json", "report", "--out", str(out)], ["report", "--out", str(out),
                                                            "--json"]):
        result = _run(root, *args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["ok"] is True and data["out"] == str(out)
        assert {row["channel"] for row in data["channels"]} == {"google", "facebook"}
        assert data["catalog"]["active"] > 0


def test_report_refuses_unknown_channel_and_bad_date(tmp_path):
    root = _example_workspace(tmp_path)
    result = _run(root, "report", "--channel", "ebayy")
    assert result.exit_code == 2
    assert "--channel ebayy: not configured" in result.output
    result = _run(root, "--json", "report", "--since", "last tuesday")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["ok"] is False and "YYYY-MM-DD" in data["error"]


def test_sync_report_refreshes_the_page_after_the_run(tmp_path):
    root = _example_workspace(tmp_path)
    page = tmp_path / "site" / "report.html"
    result = _run(root, "--json", "sync", "--report", str(page))
    data = json.loads(result.output)
    assert data["report"] == {"out": str(page), "ok": True}
    assert page.is_file() and "<svg" in page.read_text()


def test_file_channels_count_what_their_last_feed_holds_and_left_out(tmp_path):
    root = _example_workspace(tmp_path)
    assert _run(root, "feed", "build", "google").exit_code == 0
    data = json.loads(_run(root, "--json", "report", "--channel", "google").output)
    google = data["channels"][0]
    # samples/catalog.csv: 60 SKUs, one draft and one archived left out by the mapping filters
    assert google["listing"]["listed"] == 58 and google["listing"]["excluded"] == 2
    assert google["listing"]["share_listed"] == 1.0


def test_the_sandbox_demo_workspace_has_fee_models_for_the_report(tmp_path):
    demo = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["init", "--sandbox", str(demo), "--sandbox-port", "19556"])
    assert result.exit_code == 0, result.output
    data = json.loads(_run(demo, "--json", "report").output)
    with_model = {row["channel"] for row in data["channels"] if row["fee_model"]}
    # eBay reports its fees on orders but still needs the fulfilment model; Google charges none
    assert with_model == {"amazon", "ebay", "etsy", "facebook", "walmart"}
