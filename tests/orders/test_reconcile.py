"""`feedsync reconcile CHANNEL`: drift between the channel's live view and the expectation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.mapping.record import MappedRecord
from feedsync.orders.reconcile import compare
from feedsync.testing.file_channel.schema import SCHEMA
from tests.orders.helpers import live_listings


def reconcile(root: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", "reconcile", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def tamper(root: Path, channel: str, change: dict[str, Any]) -> None:
    path = root / "state" / channel / "listings.json"
    listings = json.loads(path.read_text())
    for sku, value in change.items():
        if value is None:
            listings.pop(sku)
        else:
            listings[sku] = value
    path.write_text(json.dumps(listings))


def test_compare_is_pure_and_names_each_kind() -> None:
    record = MappedRecord("A", "fake", fields={"id": "A", "title": "t", "price": "9.99 USD",
                                               "quantity": "3"})
    assert compare("A", record, {"sku": "A", "quantity": 3, "price": "9.99"}, SCHEMA) == []
    kinds = [d.kind for d in compare("A", record, {"sku": "A", "quantity": 1, "price": "8"},
                                     SCHEMA)]
    assert kinds == ["quantity", "price"]
    assert compare("A", record, None, SCHEMA)[0].kind == "missing"
    hidden = MappedRecord("A", "fake", included=False, exclusion="filtered out")
    drift = compare("A", hidden, {"sku": "A", "quantity": 1}, SCHEMA)
    assert (drift[0].kind, drift[0].expected) == ("unexpected", "filtered out")


def test_no_drift_after_a_push(listed: Path) -> None:
    data = reconcile(listed, "shopb")
    assert (data["compared"], data["drift"]) == (3, [])


def test_drift_is_printed_and_fix_plans_the_corrections(listed: Path) -> None:
    tamper(listed, "shopb", {"SKU-A": {"quantity": "9", "price": "19.99 USD"},
                             "SKU-B": {"quantity": "2", "price": "1.00 USD"},
                             "SKU-C": None, "STRAY": {"quantity": "1", "price": "5 USD"}})
    data = reconcile(listed, "shopb", "--sku", "SKU-A", "--sku", "SKU-B", "--sku", "SKU-C",
                     "--sku", "STRAY")
    drift = {(d["sku"], d["kind"]) for d in data["drift"]}
    assert drift == {("SKU-A", "quantity"), ("SKU-B", "price"), ("SKU-C", "missing"),
                     ("STRAY", "unexpected")}
    human = CliRunner().invoke(cli, ["--workspace", str(listed), "reconcile", "shopb"])
    assert "SKU-A" in human.output and "4 difference(s)" not in human.output  # STRAY unlisted
    assert "3 difference(s)" in human.output

    fixed = reconcile(listed, "shopb", "--fix")
    assert fixed["fixed"] == 3
    plan = fixed["plan"]
    assert (plan["price_quantity"], plan["create"]) == (2, 1)
    # the next push sends exactly the corrections; then there is no drift left
    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.sync.channels import bind_channel
    from feedsync.sync.push import PushOptions, push_channel

    catalog = open_catalog(listed / "feedsync.db")
    try:
        result = push_channel(bind_channel(load_workspace(listed), catalog.db, "shopb"), catalog,
                              PushOptions(wait=0))
    finally:
        catalog.db.close()
    assert result.outcome == "ok", result.message
    live = live_listings(listed, "shopb")
    assert (live["SKU-A"]["quantity"], live["SKU-B"]["price"], "SKU-C" in live) == (
        "5", "19.99 USD", True)
    assert reconcile(listed, "shopb")["drift"] == []


def test_a_file_channel_without_a_published_feed_is_a_usage_error(ows: Path) -> None:
    # Issue #17: a file channel is reconciled against the feed it last published.
    with (ows / "feedsync.toml").open("a") as handle:
        handle.write('\n[channels.facebook]\nenabled = false\ndelivery = "file"\n')
    repo = Path(__file__).resolve().parents[2]
    (ows / "mappings" / "facebook.toml").write_text(
        (repo / "mappings" / "facebook.toml").read_text())
    result = CliRunner().invoke(cli, ["--workspace", str(ows), "reconcile", "facebook"])
    assert result.exit_code == 2
    assert "no published feed to reconcile against" in result.output
