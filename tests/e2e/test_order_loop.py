"""The order loop on the sandbox, every channel at once: an order on one marketplace moves the
quantity everywhere in the same `feedsync sync`, and the last unit sold twice is an oversell
that is flagged and never pushed below zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsync.sandbox.buyers import place_orders, race_last_unit
from tests.e2e.loop import (
    PLACED_AGO,
    available,
    channels,
    query,
    set_stock,
    shop,
    shown_everywhere,
)
from tests.sandbox.oracle import SpecOracle
from tests.sandbox.support import MUG

pytestmark = pytest.mark.slow


def test_an_order_on_one_channel_moves_the_quantity_on_the_others_in_the_same_run(
        tmp_path: Path, oracle: SpecOracle) -> None:
    with shop(tmp_path, oracle=oracle) as found:
        sellers = [c for c in ("ebay", "amazon") if c in channels()]
        assert sellers, "no selling channel is emulated"
        before = available(found, MUG)
        units = 0
        for seller in sellers:
            placed = place_orders(found.sandbox.app, seller, 1, skus=[MUG], multi_line_share=0,
                                  placed_ago=PLACED_AGO)
            units += placed.units
        result = found.feedsync("sync")
        assert result.exit_code == 0, result.output
        assert available(found, MUG) == before - units
        shown = shown_everywhere(found, [MUG])
        assert shown and all(q == {MUG: before - units} for q in shown.values()), shown
        stored = query(found, "SELECT channel, COUNT(*) AS n FROM orders GROUP BY channel")
        assert {r["channel"]: r["n"] for r in stored} == dict.fromkeys(sellers, 1)
        found.clean()


def test_the_last_unit_sold_on_two_channels_at_once_is_an_oversell_never_pushed_negative(
        tmp_path: Path, oracle: SpecOracle) -> None:
    with shop(tmp_path, oracle=oracle) as found:
        pair = tuple(c for c in ("etsy", "walmart", "amazon") if c in channels())[:2]
        if len(pair) < 2:
            pytest.skip("two emulated selling channels are needed")
        set_stock(found, tmp_path, MUG, 1)
        assert found.feedsync("sync").exit_code == 0
        assert all(q == {MUG: 1} for q in shown_everywhere(found, [MUG]).values())
        race = race_last_unit(found.sandbox.app, (pair[0], pair[1]), sku=MUG,
                              placed_ago=PLACED_AGO)
        assert race.units == {pair[0]: 1, pair[1]: 1}
        result = found.feedsync("sync")
        assert available(found, MUG) == -1  # one unit is owed: the oversell
        flagged = query(found, "SELECT code FROM order_issues WHERE sku = ? AND "
                        "resolved_at IS NULL", MUG)
        assert [r["code"] for r in flagged] == ["oversell"], result.output
        shown = shown_everywhere(found, [MUG])
        # never negative; a marketplace may also take a sold-out listing off sale (Etsy's
        # "sold_out" state), which shows no quantity at all
        assert all(q.get(MUG, 0) == 0 for q in shown.values()), shown
        found.clean()
