"""Stock that the store does not track (issue #10) is an input of every render: switching a SKU
between tracked and untracked makes it dirty, in incremental and in full plans alike."""

from __future__ import annotations

from tests.sync.conftest import SyncEnv


def test_tracking_changes_make_a_sku_dirty(env: SyncEnv) -> None:
    env.add_many(3)
    env.push()
    assert env.catalog.set_stock_tracking([], ["SKU-001"]) == 1  # same count, no longer tracked
    full = env.plan(full=True)
    assert full.full and full.examined == 1, "a full comparison sees the changed input"
    full.close()
    assert env.catalog.set_stock_tracking(["SKU-001"], []) == 1
    assert env.catalog.set_stock_tracking(["SKU-001"], []) == 0  # nothing left to change
    plan = env.plan()
    assert not plan.full and plan.examined == 1  # the change trigger on products saw it
    plan.close()
