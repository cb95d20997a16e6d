"""The Etsy adapter through the real sync engine: families, resumable steps, hostile cases.

Runs on tests/adapters/etsy/etsy_double.py, which checks every request against Etsy's OpenAPI
document (``violations`` must stay empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import test_etsy_contract as contract
from etsy_double import IMAGES, EtsyDouble
from etsy_oracle import EtsyOracle
from test_etsy_contract import SECRETS, SETTINGS, record

from feedsync.mapping.record import MappedRecord
from feedsync.sync.runs import Outcome
from feedsync.testing.contract import ContractEnv
from feedsync.testing.fakes import SimulatedCrash

FAMILY = [record("TEE-R-M", "TEE", "19.50", "3", color="Red", size="M"),
          record("TEE-B-M", "TEE", "19.50", "4", color="Blue", size="M"),
          record("TEE-R-L", "TEE", "21.00", "5", color="Red", size="L")]


class Harness(contract.TestEtsyContract):
    """The contract harness with other records and settings (not collected: no Test prefix)."""

    def __init__(self, records: list[MappedRecord], **settings: Any) -> None:
        self.records = records
        self.channel_settings = {**SETTINGS, **settings}

    def sample_records(self) -> list[MappedRecord]:
        return list(self.records)


@pytest.fixture
def double(oracle: EtsyOracle) -> Iterator[EtsyDouble]:
    with EtsyDouble(oracle) as d:
        yield d
    assert d.violations == []


def env_for(tmp_path: Path, double: EtsyDouble, records: list[MappedRecord] = FAMILY,
            **settings: Any) -> ContractEnv:
    return Harness(records, **settings).make_env(tmp_path, double)


def change(env: ContractEnv, sku: str, **fields: Any) -> None:
    """Edit one record and make the next plan re-render (a new mapping version)."""
    old = env.mapper.records[sku]
    env.mapper.records[sku] = replace(old, fields={**old.fields, **fields})
    env.mapper.version += "+"


def remove(env: ContractEnv, sku: str) -> None:
    """Filter one SKU out (the plan deletes it)."""
    old = env.mapper.records[sku]
    env.mapper.records[sku] = replace(old, fields={}, included=False, exclusion="filtered out")
    env.mapper.version += "+"


def test_a_family_is_one_listing_with_every_variant(tmp_path: Path, double: EtsyDouble) -> None:
    env = env_for(tmp_path, double)
    assert env.push().outcome is Outcome.OK
    listing = double.listing_of("TEE-R-M")
    assert listing["state"] == "active"
    products = double.products(listing["listing_id"])
    assert set(products) == {"TEE-R-M", "TEE-B-M", "TEE-R-L"}
    assert products["TEE-R-L"]["offerings"][0]["price"] == {
        "amount": 2100, "divisor": 100, "currency_code": "USD"}
    inventory = double.inventories[listing["listing_id"]]
    assert inventory["price_on_property"] == [514]  # size decides the price
    # draft, inventory (no read of a fresh draft), two images, activate
    assert [label for _, label in double.log if label != "token" and label != "image"] == [
        "POST /shops/{id}/listings", "PUT /listings/{id}/inventory",
        "POST /shops/{id}/listings/{id}/images", "POST /shops/{id}/listings/{id}/images",
        "PATCH /shops/{id}/listings/{id}"]
    assert double.downloads == ["/tee-1.jpg", "/tee-2.jpg"]


def test_a_price_change_rewrites_the_inventory_without_losing_variants(
        tmp_path: Path, double: EtsyDouble) -> None:
    env = env_for(tmp_path, double)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-R-M")["listing_id"]
    double.log.clear()
    change(env, "TEE-R-M", price="18.00")
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert [label for _, label in double.log if label != "token"] == [
        "GET /listings/{id}/inventory", "PUT /listings/{id}/inventory"]
    products = double.products(lid)
    assert set(products) == {"TEE-R-M", "TEE-B-M", "TEE-R-L"}
    assert products["TEE-R-M"]["offerings"][0]["price"]["amount"] == 1800
    assert products["TEE-B-M"]["offerings"][0]["quantity"] == 4


def test_a_variant_removed_from_the_family_leaves_the_inventory(
        tmp_path: Path, double: EtsyDouble) -> None:
    env = env_for(tmp_path, double)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-R-M")["listing_id"]
    remove(env, "TEE-B-M")
    result = env.push(force=True)  # one of three deleted breaks the 20 % delete guardrail
    assert result.outcome is Outcome.OK, result.message
    assert set(double.products(lid)) == {"TEE-R-M", "TEE-R-L"}
    assert double.listings[lid]["state"] == "active"
    assert env.listings()["TEE-B-M"]["status"] == "deleted"
    # the whole family gone: the listing is withdrawn, not left for sale
    remove(env, "TEE-R-M")
    remove(env, "TEE-R-L")
    assert env.push(force=True).outcome is Outcome.OK
    assert double.listings[lid]["state"] == "inactive"


def test_an_image_that_404s_or_is_50_mb_is_reported_and_the_listing_resumes(
        tmp_path: Path, double: EtsyDouble) -> None:
    double.missing.add("/tee-1.jpg")
    double.sizes["/tee-2.jpg"] = 50 * 1024 * 1024  # declared by Content-Length, never read
    env = env_for(tmp_path, double)
    result = env.push()
    assert result.outcome is Outcome.PARTIAL
    lid = double.listing_of("TEE-R-M")["listing_id"]
    assert double.listings[lid]["state"] == "draft"  # Etsy publishes only with an image
    issues = env.listings()["TEE-R-M"]["issues"]
    text = " ".join(i["message"] for i in issues)
    assert "404" in text and "52,428,800 bytes" in text and "at least one image" in text
    # the merchant fixes the first image: the same draft is completed, not a second one made
    for sku in ("TEE-R-M", "TEE-B-M", "TEE-R-L"):
        change(env, sku, images=[f"{IMAGES}/tee-1-fixed.jpg"])
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.calls("POST /shops/{id}/listings") == 1
    assert double.listings[lid]["state"] == "active"


def test_an_image_without_length_is_cut_off_at_the_cap(tmp_path: Path,
                                                       double: EtsyDouble) -> None:
    from feedsync.adapters.etsy.client import ImageTooLarge

    env = env_for(tmp_path, double, image_max_bytes=4096)
    adapter = env.bind().adapter()
    double.sizes["/big.jpg"] = 10_000
    with pytest.raises(ImageTooLarge, match="4,096"):
        adapter.client.download(f"{IMAGES}/big.jpg", 4096)


def test_a_lost_create_answer_is_read_back_not_duplicated(tmp_path: Path,
                                                          double: EtsyDouble) -> None:
    double.lose_next_create = True  # Etsy makes the draft, the answer is a 500
    env = env_for(tmp_path, double)
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.calls("POST /shops/{id}/listings") == 1
    assert double.calls("GET /shops/{id}/listings") == 1  # the read-back
    assert len(double.listings) == 1
    assert next(iter(double.listings.values()))["state"] == "active"


def test_the_day_budget_reaching_zero_mid_push_resumes_at_the_missing_step(
        tmp_path: Path, double: EtsyDouble) -> None:
    double.remaining_today = 3  # draft, inventory, first image … then 429 for the day
    env = env_for(tmp_path, double, content_reserve=0, price_reserve=0)
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    listings = env.listings()
    assert all(any(i["code"] == "budget_deferred" and "resumes at the missing step"
                   in i["message"] for i in v["issues"]) for v in listings.values())
    lid = next(iter(double.listings))
    assert len(double.images[lid]) == 1
    double.remaining_today = 100  # a new day: Etsy's retry-after (an hour) has passed
    double.clock.advance(3601)
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.calls("POST /shops/{id}/listings") == 1
    assert double.downloads.count("/tee-1.jpg") == 1  # image 1 is not fetched or sent again
    assert len(double.images[lid]) == 2
    assert double.listings[lid]["state"] == "active"


def test_a_low_budget_sends_quantities_first(tmp_path: Path, double: EtsyDouble) -> None:
    records = [*FAMILY, record("MUG-1", "MUG-1", "8.50"), record("CAP-1", "CAP-1", "12.00")]
    env = env_for(tmp_path, double, records, content_reserve=500, price_reserve=100)
    assert env.push().outcome is Outcome.OK
    double.remaining_today = 300  # under the content reserve, above the price reserve
    change(env, "MUG-1", title="Big mug")
    change(env, "TEE-R-M", quantity="1")
    change(env, "TEE-R-L", price="25.00")
    result = env.push()
    assert result.outcome is Outcome.PARTIAL
    lid = double.listing_of("TEE-R-M")["listing_id"]
    assert double.products(lid)["TEE-R-M"]["offerings"][0]["quantity"] == 1
    assert double.products(lid)["TEE-R-L"]["offerings"][0]["price"]["amount"] == 2500
    deferred = {d["sku"]: d["issues"] for d in result.details["deferred"]}
    assert set(deferred) == {"MUG-1"}
    assert any(i["code"] == "budget_deferred" and "content change deferred" in i["message"]
               for i in deferred["MUG-1"])
    assert double.listing_of("MUG-1")["title"] == "Soft tee MUG-1"
    # Under the price reserve: the family's quantity goes (its answer shows 49 calls left),
    # the cap's price waits, the mug's content still waits.
    double.remaining_today = 50
    change(env, "TEE-R-M", quantity="0")
    change(env, "CAP-1", price="13.00")
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert double.products(lid)["TEE-R-M"]["offerings"][0]["quantity"] == 0
    cap = double.listing_of("CAP-1")["listing_id"]
    assert double.products(cap)["CAP-1"]["offerings"][0]["price"]["amount"] == 1200
    deferred = {d["sku"]: d["issues"] for d in result.details["deferred"]}
    assert set(deferred) == {"MUG-1", "CAP-1"}
    assert "price change deferred" in deferred["CAP-1"][0]["message"]


def test_a_rotated_refresh_token_lost_by_a_kill_says_exactly_what_to_do(
        tmp_path: Path, double: EtsyDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    from feedsync.http.store import SqliteStateStore

    double.rotate = True
    env = env_for(tmp_path, double)

    def killed(*args: Any) -> None:
        raise SimulatedCrash("killed right after the token endpoint answered")

    monkeypatch.setattr(SqliteStateStore, "put_refresh_token", killed)
    with pytest.raises(SimulatedCrash):
        env.push()
    monkeypatch.undo()
    # Etsy issued "…-r" and invalidated the old token; feedsync never stored the new one.
    result = env.push()
    assert result.outcome is Outcome.NEEDS_HUMAN
    assert "feedsync auth etsy" in result.message
    assert "stopped before it could store" in result.message
    assert SECRETS["refresh_token"] not in result.message


def test_after_feedsync_auth_etsy_the_next_run_continues(
        tmp_path: Path, double: EtsyDouble) -> None:
    from feedsync.adapters.etsy.steps import RefreshMarks

    from feedsync.http import SqliteStateStore
    from feedsync.http.auth import _fingerprint
    from feedsync.http.store import StoredRefreshToken

    env = env_for(tmp_path, double)
    RefreshMarks(env.catalog.db, "default").begin()  # a refresh that never finished
    double.valid_refresh = "777.fresh-from-auth"
    result = env.push()
    assert result.outcome is Outcome.NEEDS_HUMAN and "feedsync auth etsy" in result.message
    # what `feedsync auth etsy` stores (tests/adapters/etsy/test_etsy_auth.py runs the command)
    SqliteStateStore(env.catalog.db).put_refresh_token("etsy", "default", StoredRefreshToken(
        "777.fresh-from-auth", _fingerprint(SECRETS["refresh_token"])))
    RefreshMarks(env.catalog.db, "default").done()
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.refresh_tokens[-1] == "777.fresh-from-auth"


@pytest.mark.parametrize("etsy_refuses_no_stock", [False, True])
def test_a_sold_out_family_is_withdrawn_until_stock_returns(
        tmp_path: Path, double: EtsyDouble, etsy_refuses_no_stock: bool) -> None:
    double.refuse_no_stock = etsy_refuses_no_stock
    env = env_for(tmp_path, double)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-R-M")["listing_id"]
    for sku in ("TEE-R-M", "TEE-B-M", "TEE-R-L"):
        change(env, sku, quantity="0")
    result = env.push(skus=["TEE-R-M", "TEE-B-M", "TEE-R-L"], parts=frozenset({"quantity"}),
                      exempt_quantity_guardrails=True)  # what the orders fast path sends
    assert result.outcome is Outcome.OK, result.message
    assert double.listings[lid]["state"] == "inactive"  # nothing can sell on Etsy
    if not etsy_refuses_no_stock:
        assert {p["offerings"][0]["quantity"] for p in double.products(lid).values()} == {0}
    live = {r["sku"]: r for r in env.bind().adapter().fetch_live(["TEE-R-M"])}
    assert live["TEE-R-M"]["present"] is True and live["TEE-R-M"]["quantity"] == 0
    change(env, "TEE-R-L", quantity="2")  # stock is back
    assert env.push().outcome is Outcome.OK
    assert double.listings[lid]["state"] == "active"
    assert double.products(lid)["TEE-R-L"]["offerings"][0]["quantity"] == 2


def test_a_title_edit_is_one_update_listing_call(tmp_path: Path, double: EtsyDouble) -> None:
    env = env_for(tmp_path, double)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-R-M")["listing_id"]
    double.log.clear()
    for sku in ("TEE-R-M", "TEE-B-M", "TEE-R-L"):
        change(env, sku, title="Softest tee")
    assert env.push().outcome is Outcome.OK
    assert [label for _, label in double.log if label != "token"] == [
        "PATCH /shops/{id}/listings/{id}"]
    assert double.listings[lid]["title"] == "Softest tee"
    double.log.clear()
    change(env, "TEE-B-M", color="Navy")  # a variation value: the inventory changes
    assert env.push().outcome is Outcome.OK
    assert "PUT /listings/{id}/inventory" in [label for _, label in double.log]
    assert double.products(lid)["TEE-B-M"]["property_values"][0]["values"] == ["Navy"]


def test_images_of_a_single_product_listing_follow_its_record(
        tmp_path: Path, double: EtsyDouble) -> None:
    mug = record("MUG-1", "MUG-1", "8.50")  # two images: mug-1-1.jpg, mug-1-2.jpg
    env = env_for(tmp_path, double, [mug, *FAMILY])
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("MUG-1")["listing_id"]
    assert sorted(double.images[lid]) == [1, 2]
    change(env, "MUG-1", images=[f"{IMAGES}/mug-new.jpg"])
    assert env.push().outcome is Outcome.OK
    assert sorted(double.images[lid]) == [1]  # rank 1 replaced, rank 2 deleted
    assert double.downloads[-1] == "/mug-new.jpg"
    # a family's batch holds only its changed variants: its images are only ever added
    tee = double.listing_of("TEE-R-M")["listing_id"]
    change(env, "TEE-R-M", images=[f"{IMAGES}/tee-red.jpg"])
    assert env.push().outcome is Outcome.OK
    assert sorted(double.images[tee]) == [1, 2, 3]
