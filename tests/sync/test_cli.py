"""`feedsync plan/push/status/sync` end to end: the real mapping engine, the fake channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.catalog import Catalog, open_catalog
from feedsync.cli.main import cli
from feedsync.models import InventoryLevel
from feedsync.sync.lock import WorkspaceLock, lock_path
from feedsync.testing import FakeChannel, reset_default_channel
from tests.conftest import make_product

CONFIG = """
[workspace]
name = "cli-tests"

[channels.fake]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"

[channels.fake.guardrails]
max_delete_share = 0.5
"""

MAPPING = """
channel = "fake"

[fields]
id = "sku"
title = "title"
description = { from = "description", transforms = ["strip_html"] }
link = "link"
image_link = "image"
brand = "brand"
gtin = "gtin"
price = { rule = "price" }
sale_price = { rule = "sale_price" }
quantity = { rule = "quantity" }
availability = { rule = "availability" }

[filters]
include = [{ status = "active" }]
exclude = [{ category_under = "Hidden" }]
"""


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[tuple[Path, Catalog, FakeChannel]]:
    root = tmp_path / "ws"
    (root / "mappings").mkdir(parents=True)
    (root / "feedsync.toml").write_text(CONFIG)
    (root / "mappings" / "fake.toml").write_text(MAPPING)
    catalog = open_catalog(root / "feedsync.db")
    catalog.upsert_products(make_product(f"SKU-{i}") for i in range(4))
    catalog.set_inventory(InventoryLevel(f"SKU-{i}", "main", 3) for i in range(4))
    channel = reset_default_channel()
    yield root, catalog, channel
    catalog.db.close()
    reset_default_channel()


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    return result.exit_code, result.output


def test_plan_push_status_round_trip(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, catalog, channel = ws
    code, out = _run(root, "plan")
    assert code == 0, out
    assert "fake (account default): 4 to create" in out and "guardrails: ok" in out
    assert "+ create         SKU-0" in out
    code, out = _run(root, "push", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] and data["steps"][0]["counts"]["accepted"] == 4
    assert sorted(channel.items) == [f"SKU-{i}" for i in range(4)]
    assert channel.items["SKU-0"]["price"] == "19.99 USD"

    catalog.upsert_products([make_product("SKU-1", title="Renamed"),
                             make_product("SKU-2", category="Hidden")])
    code, out = _run(root, "plan", "--json")
    assert code == 0, out
    plan = json.loads(out)
    changes = {c["sku"]: c for c in plan["channels"][0]["changes"]}
    assert changes["SKU-1"]["diff"] == {"title": ["Product SKU-1", "Renamed"]}
    assert changes["SKU-2"]["action"] == "delete"
    assert changes["SKU-2"]["reason"] == "filtered"
    code, out = _run(root, "plan")
    assert "~ update         SKU-1  title: 'Product SKU-1' → 'Renamed'" in out
    assert "- delete         SKU-2  (filtered out:" in out

    channel.reject["SKU-1"] = ("title_policy", "Title breaks the policy")
    code, out = _run(root, "push")
    assert code == 3, out
    assert "rejected SKU-1: title_policy: Title breaks the policy" in out
    code, out = _run(root, "status")
    assert code == 0, out
    assert "listed 3: live 2, pending 0, rejected 1; deleted 1" in out
    assert "top rejection codes: title_policy (1)" in out and "partial" in out
    code, out = _run(root, "status", "--json", "--rejected")
    status = json.loads(out)["channels"][0]
    assert status["rejected_skus"][0]["sku"] == "SKU-1"
    assert status["last_run"]["outcome"] == "partial"


def test_dry_run_prints_payloads_and_sends_nothing(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, _, channel = ws
    code, out = _run(root, "push", "--dry-run")
    assert code == 0, out
    assert "fake: batch 1: 4 item(s)" in out
    assert '"method": "create"' in out and "nothing sent" in out
    assert channel.calls == []
    code, out = _run(root, "push", "--dry-run", "--json")
    data = json.loads(out)
    assert data["batches"][0]["payloads"][0]["payload"]["id"] == "SKU-0"
    assert channel.calls == []


def test_guardrail_refusal_exits_5_and_force_pushes(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, catalog, channel = ws
    assert _run(root, "push")[0] == 0
    catalog.db.execute("DELETE FROM products WHERE sku IN ('SKU-0', 'SKU-1', 'SKU-2')")
    code, out = _run(root, "plan")
    assert code == 5 and "max_delete_share" in out
    code, out = _run(root, "push")
    assert code == 5 and "refused" in out and "3 of 4" in out
    assert len(channel.items) == 4
    code, out = _run(root, "push", "--force")
    assert code == 0, out
    assert list(channel.items) == ["SKU-3"]


def test_lock_busy_exits_75(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, _, _ = ws
    with WorkspaceLock(lock_path(root / "feedsync.db"), "sync"):
        code, out = _run(root, "push")
        json_code, json_out = _run(root, "push", "--json")
    assert code == 75
    assert "another feedsync run holds the workspace lock" in out
    assert json_code == 75 and json.loads(json_out)["kind"] == "LockBusy"


def test_sync_pushes_api_channels(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, _, channel = ws
    code, out = _run(root, "sync")
    assert code == 0, out
    assert len(channel.items) == 4
    code, out = _run(root, "sync", "--json")
    assert json.loads(out)["steps"][0]["counts"] == {}


def test_unknown_channel_is_a_usage_error(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, _, _ = ws
    code, out = _run(root, "plan", "nope")
    assert code == 2 and "nope: not configured" in out


def test_sync_builds_the_feeds_of_file_channels(workspace: Path, catalog: Catalog) -> None:
    catalog.upsert_products(make_product(f"F-{i}", category="Apparel > Shirts")
                            for i in range(3))
    catalog.set_inventory(InventoryLevel(f"F-{i}", "main", 2) for i in range(3))
    code, out = _run(workspace, "sync", "--json")
    data = json.loads(out)
    steps = {(s["step"], s["channel"]): s for s in data["steps"]}
    assert steps[("feed", "google")]["outcome"] == "ok", out
    assert steps[("feed", "facebook")]["outcome"] == "ok", out
    assert (workspace / "out" / "google.xml").is_file()
    assert code == 0, out
    code, out = _run(workspace, "sync", "--dry-run")
    assert code == 0 and "dry run: feed file not rebuilt" in out


def test_a_broken_mapping_is_reported_per_channel(ws: tuple[Path, Catalog, FakeChannel]) -> None:
    root, _, _ = ws
    (root / "mappings" / "fake.toml").write_text(MAPPING.replace('title = "title"',
                                                                 'titel = "title"'))
    code, out = _run(root, "plan", "--json")
    assert code == 4
    entry = json.loads(out)["channels"][0]
    assert entry["channel"] == "fake" and "titel" in " ".join(entry["problems"])
    code, out = _run(root, "push")
    assert code == 4 and "titel" in out
