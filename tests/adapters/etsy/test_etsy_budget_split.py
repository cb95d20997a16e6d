"""A low day budget still sends the quantity that travels with a content edit (issue #13:
"spend it on quantities first, then prices, then content").

A change of an existing listing carrying content and a quantity (or price) is split by the
adapter: the part the budget allows goes alone through the inventory read-modify-write, the
content waits (deferred, planned again). Runs on the Etsy double, which checks every request
against Etsy's OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from etsy_double import EtsyDouble
from etsy_oracle import EtsyOracle
from feedsync.adapters.etsy import budget
from feedsync.adapters.etsy.steps import StepStore
from test_etsy_adapter import FAMILY, change, env_for

from feedsync.sync.runs import Outcome
from feedsync.testing.contract import ContractEnv


@pytest.fixture
def double(oracle: EtsyOracle) -> Iterator[EtsyDouble]:
    with EtsyDouble(oracle) as d:
        yield d
    assert d.violations == []


def _low_budget(env: ContractEnv, double: EtsyDouble, left: int) -> None:
    """Etsy has ``left`` calls for today, and said so to the last run (x-remaining-today)."""
    double.remaining_today = left
    StepStore(env.catalog.db, "default").note_remaining(left, double.clock.time())


def _offering(double: EtsyDouble, lid: int, sku: str) -> dict:
    offering: dict = double.products(lid)[sku]["offerings"][0]
    return offering


def test_a_quantity_with_a_content_edit_goes_first_and_the_content_waits(
        tmp_path: Path, double: EtsyDouble) -> None:
    env = env_for(tmp_path, double, content_reserve=500, price_reserve=100)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-R-M")["listing_id"]
    title = double.listings[lid]["title"]
    _low_budget(env, double, 300)  # under the content reserve, above the price reserve
    change(env, "TEE-R-M", title="Softest tee", quantity="1", price="18.00")
    result = env.push()
    assert _offering(double, lid, "TEE-R-M")["quantity"] == 1  # the stock is true at once
    assert _offering(double, lid, "TEE-R-M")["price"]["amount"] == 1800  # a price may go too
    assert double.listings[lid]["title"] == title  # the content edit waits
    assert set(double.products(lid)) == {r.sku for r in FAMILY}  # no variant lost
    assert result.outcome is Outcome.PARTIAL, result.message
    deferred = {d["sku"]: d["issues"] for d in result.details["deferred"]}
    assert set(deferred) == {"TEE-R-M"}
    [note] = [i for i in deferred["TEE-R-M"] if i["code"] == "budget_deferred"]
    assert note["message"].startswith("quantity and price sent now; the content change "
                                      "deferred to the next run")

    double.remaining_today = 5_000  # the budget is back (the last count seen is an hour
    double.clock.advance(3601)  # old, so the run asks Etsy): the content goes, nothing lost
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.listings[lid]["title"] == "Softest tee"
    assert _offering(double, lid, "TEE-R-M")["quantity"] == 1


def test_under_the_price_reserve_only_the_quantity_goes(tmp_path: Path,
                                                        double: EtsyDouble) -> None:
    env = env_for(tmp_path, double, content_reserve=500, price_reserve=100)
    assert env.push().outcome is Outcome.OK
    lid = double.listing_of("TEE-B-M")["listing_id"]
    _low_budget(env, double, 50)  # under the price reserve
    change(env, "TEE-B-M", title="Softest tee", quantity="2", price="21.00")
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert _offering(double, lid, "TEE-B-M")["quantity"] == 2
    assert _offering(double, lid, "TEE-B-M")["price"]["amount"] == 1950  # the price waits
    deferred = {d["sku"]: d["issues"] for d in result.details["deferred"]}
    assert set(deferred) == {"TEE-B-M"}
    assert deferred["TEE-B-M"][0]["message"].startswith("quantity sent now; the content change")


def test_only_price_and_quantity_parts_the_budget_allows_are_sent_alone() -> None:
    everything = ["content", "price", "quantity"]
    assert budget.sendable_now(everything, {"price", "quantity"}) == {"price", "quantity"}
    assert budget.sendable_now(everything, {"quantity"}) == {"quantity"}
    assert budget.sendable_now(["content"], {"price", "quantity"}) == frozenset()
    assert budget.sendable_now(everything, set()) == frozenset()
