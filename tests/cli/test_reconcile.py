"""Issue #17 point 6: `feedsync reconcile` works on the channels we ship. A file channel is
compared through the feed it last published (what Google and Meta fetch)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses

from tests.cli.conftest import append_config, one_json, run


def _drift_catalog(root: Path) -> None:
    with sqlite3.connect(root / "feedsync.db") as db:
        db.execute("UPDATE inventory SET on_hand = 0, reserved = 0 WHERE sku = 'BAG-DWN-20F'")
        db.execute("UPDATE products SET price = '1.00' WHERE sku = 'TEE-ORG-BLK-S'")
        db.execute("UPDATE products SET status = 'archived' WHERE sku = 'TEE-ORG-BLK-M'")


def test_a_file_channel_is_compared_with_its_published_feed(example: Path) -> None:
    assert run(example, "feed", "build", "google", "facebook").exit_code == 0
    for channel, name in (("google", "google.xml"), ("facebook", "facebook.csv")):
        clean = run(example, "reconcile", channel)
        assert clean.exit_code == 0, clean.output
        assert clean.stdout == (f"{channel}: 60 SKU(s) compared with the published feed "
                                f"{example / 'out' / name}, 0 difference(s)\n")
    _drift_catalog(example)
    facebook = run(example, "reconcile", "facebook")
    assert facebook.stdout.splitlines() == [
        "BAG-DWN-20F              quantity   expected 0              channel shows 7",
        "TEE-ORG-BLK-M            unexpected expected filtered out: no filters.include set "
        "matched: (status = active) channel shows listed",
        "TEE-ORG-BLK-S            price      expected 1.00           channel shows 28.00",
        f"facebook: 60 SKU(s) compared with the published feed {example / 'out' / 'facebook.csv'}"
        ", 3 difference(s)",
    ]
    google = one_json(run(example, "--json", "reconcile", "google"))
    assert google["ok"] is True and google["compared"] == 60
    # Google's feed says in/out of stock only: a sell-out is compared on that.
    assert {(d["sku"], d["kind"], str(d["expected"]), str(d["live"]))
            for d in google["drift"]} == {("BAG-DWN-20F", "quantity", "0", "1"),
                                          ("TEE-ORG-BLK-M", "unexpected", d_why(google),
                                           "listed"),
                                          ("TEE-ORG-BLK-S", "price", "1.00", "28.00")}


def d_why(report: dict[str, object]) -> str:
    drift = report["drift"]
    assert isinstance(drift, list)
    return next(str(d["expected"]) for d in drift if d["kind"] == "unexpected")


def test_an_item_gone_from_the_catalog_is_unexpected(example: Path) -> None:
    assert run(example, "feed", "build", "facebook").exit_code == 0
    with sqlite3.connect(example / "feedsync.db") as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM products WHERE sku = 'BAG-DWN-20F'")
    data = one_json(run(example, "--json", "reconcile", "facebook"))
    assert [(d["sku"], d["kind"]) for d in data["drift"]] == [("BAG-DWN-20F", "unexpected")]


def test_no_published_feed_and_fix_are_explained(example: Path) -> None:
    nothing = run(example, "reconcile", "google")
    assert nothing.exit_code == 2
    assert nothing.stderr == (f"error: google: no published feed to reconcile against "
                              f"({example / 'out' / 'google.xml'}): run 'feedsync feed build "
                              "google' first\n")
    fix = run(example, "reconcile", "google", "--fix")
    assert fix.exit_code == 2
    assert fix.stderr == ("error: google is a file channel: 'feedsync feed build google' "
                          "republishes its feed from the catalog (reconcile --fix plans "
                          "pushes)\n")


AMAZON = '''
[channels.amazon]
enabled = true
delivery = "api"
seller_id = "A1SELLERID"
marketplace_ids = ["ATVPDKIKX0DER"]
'''


def _amazon_answer(prices: dict[str, str], quantities: dict[str, int]) -> Any:
    """A searchListingsItems double: the SKUs asked for, shaped like Amazon's example
    (specs/amazon/examples/listingsItems.searchListingsItems.200.json)."""
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = dict(parse_qsl(urlsplit(request.url).query))
        items = [{"sku": sku,
                  "summaries": [{"marketplaceId": "ATVPDKIKX0DER", "asin": "B071VG5N9D",
                                 "status": ["BUYABLE"]}],
                  "offers": [{"marketplaceId": "ATVPDKIKX0DER", "offerType": "B2C",
                              "price": {"currencyCode": "USD", "amount": prices[sku]}}],
                  "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT",
                                               "quantity": quantities[sku]}]}
                 for sku in query["identifiers"].split(",") if sku in prices]
        return 200, {}, json.dumps({"numberOfResults": len(items), "items": items})
    return answer


def test_amazon_is_read_back_with_search_listings_items(example: Path,
                                                        monkeypatch: Any) -> None:
    append_config(example, AMAZON)
    for key, value in (("CLIENT_ID", "amzn1.application-oa2-client.x"),
                       ("CLIENT_SECRET", "secret-1"), ("REFRESH_TOKEN", "Atzr|refresh-1")):
        monkeypatch.setenv(f"FEEDSYNC_AMAZON__{key}", value)
    expected = {r["sku"]: r for r in _amazon_records(example)}
    prices = {sku: fields["our_price"] for sku, fields in expected.items()}
    quantities = {sku: int(fields["quantity"]) for sku, fields in expected.items()}
    prices["TEE-ORG-BLK-S"] = "99.00"
    quantities["BAG-DWN-20F"] = 0
    gone = "TEE-ORG-BLK-M"
    del prices[gone]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, "https://api.amazon.com/auth/o2/token",
                 json={"access_token": "Atza|a", "token_type": "bearer", "expires_in": 3600})
        rsps.add_callback(responses.GET, re.compile(
            r"https://sellingpartnerapi-na\.amazon\.com/listings/2021-08-01/items/A1SELLERID\?.*"),
            callback=_amazon_answer(prices, quantities))
        data = one_json(run(example, "--json", "reconcile", "amazon"))
    assert data["ok"] is True and data["against"] == "what amazon shows"
    drift = {(d["sku"], d["kind"]): (d["expected"], d["live"]) for d in data["drift"]}
    assert drift == {
        ("BAG-DWN-20F", "quantity"): (int(expected["BAG-DWN-20F"]["quantity"]), 0),
        ("TEE-ORG-BLK-S", "price"): (expected["TEE-ORG-BLK-S"]["our_price"], "99.00"),
        (gone, "missing"): ("listed", "absent"),
    }


def _amazon_records(root: Path) -> list[dict[str, Any]]:
    data = one_json(run(root, "--json", "validate", "amazon"))
    sendable = [s["sku"] for s in data["channels"][0]["skus"] if s["sendable"]]
    out = []
    for sku in sendable or _all_skus(root):
        preview = one_json(run(root, "--json", "preview", "amazon", sku))
        if preview["sendable"]:
            out.append({"sku": sku, **preview["fields"]})
    return out


def _all_skus(root: Path) -> list[str]:
    with sqlite3.connect(root / "feedsync.db") as db:
        return [row[0] for row in db.execute("SELECT sku FROM products ORDER BY sku")]


def test_exit_code_flag_makes_drift_visible_to_scripts(example: Path) -> None:
    # QA: reconcile exited 0 whatever it found, so a monitoring script could not see drift.
    assert run(example, "feed", "build", "google").exit_code == 0
    assert run(example, "reconcile", "google", "--exit-code").exit_code == 0  # no drift
    _drift_catalog(example)
    assert run(example, "reconcile", "google").exit_code == 0  # the default is unchanged
    flagged = run(example, "--json", "reconcile", "google", "--exit-code")
    assert flagged.exit_code == 3
    data = one_json(flagged)
    assert data["ok"] is False and data["exit_code"] == 3 and len(data["drift"]) == 3
    assert data["error"] == "3 difference(s) between google and the catalog"
