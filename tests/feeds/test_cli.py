"""`feedsync feed build`: output, --json, exit codes, the gate through the CLI, options."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feedsync.catalog import Catalog
from feedsync.cli.main import cli
from tests.feeds import golden_catalog

AS_OF = ["--as-of", golden_catalog.AS_OF.isoformat()]


def run(runner: CliRunner, workspace: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["--workspace", str(workspace), *args])
    return result.exit_code, result.output


def test_build_prints_counts_and_where_to_see_left_out_skus(
        runner: CliRunner, workspace: Path, catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    code, out = run(runner, workspace, "feed", "build", "google", *AS_OF)
    assert code == 0, out
    assert f"google: published {workspace / 'out' / 'google.xml'} (xml, " in out
    assert "5 items; 1 SKUs left out for errors (ZZ-NO-LINK; see 'feedsync validate google')" \
        in out
    assert "1 excluded by filters or overrides" in out
    assert (workspace / "out" / "google.xml").read_bytes().startswith(b"<?xml")


def test_json_output_and_all_channels(runner: CliRunner, workspace: Path,
                                      catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    code, out = run(runner, workspace, "--json", "feed", "build", "--all", "--gzip", *AS_OF)
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] is True
    feeds = {f["channel"]: f for f in data["feeds"]}
    assert set(feeds) == {"google", "facebook"}
    assert feeds["facebook"]["path"] == str(workspace / "out" / "facebook.csv.gz")
    assert feeds["google"]["items"] == 5 and feeds["google"]["skipped"] == 1
    assert feeds["google"]["skipped_sample"] == ["ZZ-NO-LINK"]
    assert feeds["google"]["gate"] == {"allowed": True, "forced": False, "reason": None}
    assert len(feeds["google"]["sha256"]) == 64


def test_the_gate_refuses_a_collapse_and_force_publishes(
        runner: CliRunner, workspace: Path, catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    assert run(runner, workspace, "feed", "build", "facebook", *AS_OF)[0] == 0
    target = workspace / "out" / "facebook.csv"
    before = target.read_bytes()
    for sku in golden_catalog.SENT[:3]:
        catalog.exclude(sku, "facebook", "season over")
    code, out = run(runner, workspace, "feed", "build", "facebook", *AS_OF)
    assert code == 5, out
    assert "NOT published: the item count would drop from 5 to 2" in out
    assert target.read_bytes() == before

    code, out = run(runner, workspace, "--json", "feed", "build", "facebook", *AS_OF)
    assert code == 5
    data = json.loads(out)
    assert data["ok"] is False and data["exit_code"] == 5
    assert data["feeds"][0]["published"] is False

    code, out = run(runner, workspace, "feed", "build", "facebook", "--force", *AS_OF)
    assert code == 0, out
    assert "forced past the publish gate" in out
    assert target.read_bytes() != before


def test_the_gate_limit_comes_from_the_channel_guardrails(
        runner: CliRunner, workspace: Path, catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    assert run(runner, workspace, "feed", "build", "google", *AS_OF)[0] == 0
    catalog.exclude(golden_catalog.SENT[0], "google")
    config = workspace / "feedsync.toml"
    original = config.read_text()
    config.write_text(original + "\n[channels.google.guardrails]\nmax_feed_drop_share = 0.1\n")
    code, out = run(runner, workspace, "feed", "build", "google", *AS_OF)
    assert code == 5 and "more than the 10% allowed" in out
    config.write_text(original + "\n[channels.google.guardrails]\nmax_feed_drop_share = 2\n")
    code, out = run(runner, workspace, "feed", "build", "google", *AS_OF)
    assert code == 4 and "channels.google.guardrails.max_feed_drop_share" in out


def test_strict_exits_3_when_skus_were_left_out(runner: CliRunner, workspace: Path,
                                                catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    code, out = run(runner, workspace, "feed", "build", "google", "--strict", *AS_OF)
    assert code == 3, out
    assert (workspace / "out" / "google.xml").exists()  # published all the same


def test_out_format_and_usage_errors(runner: CliRunner, workspace: Path, tmp_path: Path,
                                     catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    target = tmp_path / "feeds" / "g.txt"
    code, out = run(runner, workspace, "feed", "build", "google", "--format", "tsv",
                    "--out", str(target), *AS_OF)
    assert code == 0, out
    assert target.read_text().startswith("id\ttitle\t")
    for args, message in [
        (["google", "--format", "csv"], "google has no feed format 'csv'; it has: xml, tsv"),
        ([], "name a channel"),
        (["google", "facebook", "--out", str(target)], "--out names one file"),
        (["google", "--all"], "not both"),
        (["google", "--as-of", "tomorrow"], "not an ISO 8601"),
        (["nowhere"], "unknown channel 'nowhere'"),
    ]:
        code, out = run(runner, workspace, "feed", "build", *args)
        assert code in (2, 4), (args, out)
        assert message in out, (args, out)


def test_a_run_holding_the_workspace_lock_makes_the_build_try_later(
        runner: CliRunner, workspace: Path, catalog: Catalog) -> None:
    from feedsync.sync.lock import WorkspaceLock, lock_path

    golden_catalog.load(catalog)
    with WorkspaceLock(lock_path(workspace / "feedsync.db"), "push"):
        code, out = run(runner, workspace, "feed", "build", "google", *AS_OF)
    assert code == 75, out
    assert "another feedsync run holds the workspace lock" in out
    assert not (workspace / "out" / "google.xml").exists()


def test_a_broken_mapping_fails_its_channel_only(runner: CliRunner, workspace: Path,
                                                 catalog: Catalog) -> None:
    golden_catalog.load(catalog)
    (workspace / "mappings" / "facebook.toml").write_text('channel = "facebook"\n[fields]\n'
                                                           'colour = "color"\n')
    code, out = run(runner, workspace, "--json", "feed", "build", "--all", *AS_OF)
    assert code == 4, out
    data = json.loads(out)  # still one valid JSON object
    assert data["ok"] is False and data["exit_code"] == 4
    feeds = {f["channel"]: f for f in data["feeds"]}
    assert feeds["google"]["published"] is True
    assert feeds["facebook"]["published"] is False and feeds["facebook"]["kind"] == "ConfigError"
    assert (workspace / "out" / "google.xml").exists()
    assert not (workspace / "out" / "facebook.csv").exists()

    code, out = run(runner, workspace, "feed", "build", "google", "facebook", *AS_OF)
    assert code == 4
    assert "google: published" in out and "facebook: error:" in out
