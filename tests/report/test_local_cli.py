"""``feedsync local-inventory build / push`` as a merchant runs them (issue #18)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feedsync.cli.main import cli

TOML = """
[workspace]
name = "stores"

[channels.google]
enabled = true
delivery = "file"
"""


def _workspace(tmp_path: Path, extra: str = "") -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(TOML + extra)
    source = tmp_path / "catalog.csv"
    source.write_text("sku,title,price,quantity,location\n"
                      "MUG,Mug,12.00,4,berlin\nCAP,Cap,9.00,0,berlin\nTEE,Tee,15.00,7,depot\n")
    result = CliRunner().invoke(cli, ["--workspace", str(root), "catalog", "import",
                                      str(source)])
    assert result.exit_code == 0, result.output
    return root


def test_build_writes_the_feed_and_names_unmapped_locations(tmp_path):
    root = _workspace(tmp_path, '\n[local_inventory]\nstore_codes = { berlin = "BER-01" }\n')
    result = CliRunner().invoke(cli, ["--workspace", str(root), "local-inventory", "build"])
    assert result.exit_code == 0, result.output
    feed = root / "out" / "google-local.tsv"
    assert f"wrote {feed}: 2 records for 1 store(s)" in result.output
    assert "locations with stock but no store code (not sent): depot" in result.output
    assert feed.read_text().splitlines()[1:] == ["BER-01\tCAP\t0\tout_of_stock",
                                                 "BER-01\tMUG\t4\tin_stock"]
    data = json.loads(CliRunner().invoke(
        cli, ["--workspace", str(root), "local-inventory", "build", "--json"]).output)
    assert data["records"] == 2 and data["unmapped_locations"] == ["depot"]


def test_without_store_codes_the_merchant_is_told_what_to_write(tmp_path):
    root = _workspace(tmp_path)
    result = CliRunner().invoke(cli, ["--workspace", str(root), "local-inventory", "build"])
    assert result.exit_code == 4
    assert "[local_inventory] store_codes is empty" in result.output


def test_push_needs_the_google_api_channel(tmp_path):
    root = _workspace(tmp_path, '\n[local_inventory]\nstore_codes = { berlin = "BER-01" }\n')
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", "local-inventory",
                                      "push"])
    assert result.exit_code == 4
    data = json.loads(result.output)
    assert data["ok"] is False and 'delivery = "api"' in data["error"]
