"""A lost createDraftListing answer: read back, never a second draft for one attempt.

Etsy's shop listings (getListingsByShop) can trail a createDraftListing, so a read-back right
after a lost answer may find nothing although the draft exists. The family then stays
"drafting" and deferred; a later run adopts the draft once it is listed, and creates again only
when it is still absent after the settle time (adapters/etsy/listing.py). Runs on the Etsy
double, which checks every request against Etsy's OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from etsy_double import EtsyDouble
from etsy_oracle import EtsyOracle
from feedsync.adapters.etsy.listing import DRAFT_SETTLE_SECONDS
from test_etsy_adapter import FAMILY, env_for

from feedsync.sync.runs import Outcome

CREATE = "POST /shops/{id}/listings"


@pytest.fixture
def double(oracle: EtsyOracle) -> Iterator[EtsyDouble]:
    with EtsyDouble(oracle) as d:
        yield d
    assert d.violations == []


def _deferred_codes(details: dict) -> dict[str, list[str]]:
    return {d["sku"]: [i["code"] for i in d["issues"]] for d in details.get("deferred", [])}


def test_a_draft_not_listed_yet_is_waited_for_not_created_twice(
        tmp_path: Path, double: EtsyDouble) -> None:
    double.lose_next_create = True  # Etsy makes the draft, the answer is a 500 …
    double.listing_lag = 120.0  # … and the shop's listings show it only two minutes later
    env = env_for(tmp_path, double)
    result = env.push()
    assert double.calls(CREATE) == 1  # never a second createDraftListing in the same run
    assert len(double.listings) == 1
    assert result.outcome is Outcome.PARTIAL, result.message
    deferred = _deferred_codes(result.details)
    assert set(deferred) == {r.sku for r in FAMILY}
    assert all("draft_unconfirmed" in codes for codes in deferred.values())

    double.clock.advance(60)  # the next run, still before Etsy lists it: read back, wait
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert double.calls(CREATE) == 1

    double.clock.advance(120)  # listed now: adopted and completed
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.calls(CREATE) == 1
    [(lid, listing)] = double.listings.items()
    assert listing["state"] == "active"
    assert set(double.products(lid)) == {r.sku for r in FAMILY}


def test_a_create_that_never_arrived_is_sent_again_only_after_the_settle_time(
        tmp_path: Path, double: EtsyDouble) -> None:
    double.fail_once_transiently()  # the createDraftListing never reaches Etsy
    env = env_for(tmp_path, double)
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert double.listings == {}
    assert double.calls(CREATE) == 1  # the one that got the 503

    double.clock.advance(DRAFT_SETTLE_SECONDS / 2)  # nothing listed, but it may still appear
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert double.listings == {}
    assert double.calls(CREATE) == 1

    double.clock.advance(DRAFT_SETTLE_SECONDS)  # still absent after the settle time: create
    result = env.push()
    assert result.outcome is Outcome.OK, result.message
    assert double.calls(CREATE) == 2
    [listing] = double.listings.values()
    assert listing["state"] == "active"
