"""Plans: actions and delete reasons, field diffs, dirty tracking, mapping edits, sale windows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from feedsync.adapter import Action, Capability
from feedsync.sync.parts import DeleteReason
from feedsync.sync.state import prune_changes
from feedsync.testing import FakeAdapter, FakeMapper
from tests.conftest import make_product
from tests.sync.conftest import SyncEnv, plan_actions


def test_first_plan_creates_everything_then_a_pushed_catalog_plans_nothing(env: SyncEnv) -> None:
    skus = env.add_many(5)
    plan = env.plan()
    assert plan.summary()["create"] == 5 and plan.examined == 5
    assert {r.action for r in plan.rows()} == {Action.CREATE}
    plan.close()
    assert env.push().outcome.value == "ok"
    env.mapper.calls.clear()
    plan = env.plan()
    assert plan.total == 0 and plan.examined == 0 and plan.unchanged == 5
    assert env.mapper.calls == [], "an unchanged catalog is not re-rendered at all"
    plan.close()
    assert sorted(env.statuses()) == skus


def test_actions_and_delete_reasons(env: SyncEnv) -> None:
    env.add(*(make_product(s, category="Shirts") for s in
              ("KEEP", "TITLE", "PRICE", "STOCK", "GONE", "HIDE", "EXCL", "ARCH")))
    env.push()
    env.add(make_product("NEW"))
    env.catalog.upsert_products([
        make_product("TITLE", category="Shirts", title="A better title"),
        make_product("PRICE", category="Shirts", price=Decimal("17.99")),
        make_product("HIDE", category="Hidden"),
        make_product("ARCH", category="Shirts", status="archived"),
    ])
    env.set_stock("STOCK", 2)
    env.catalog.db.execute("DELETE FROM products WHERE sku = 'GONE'")
    env.catalog.exclude("EXCL", "fake", "not on this channel")
    env.mapper.exclude_categories = ("Hidden",)
    plan = env.plan()
    rows = {row.sku: row for row in plan.rows()}
    assert {sku: row.action for sku, row in rows.items()} == {
        "NEW": Action.CREATE, "TITLE": Action.UPDATE, "PRICE": Action.PRICE_QUANTITY,
        "STOCK": Action.PRICE_QUANTITY, "GONE": Action.DELETE, "HIDE": Action.DELETE,
        "EXCL": Action.DELETE, "ARCH": Action.DELETE,
    }
    assert rows["GONE"].reason == DeleteReason.REMOVED
    assert rows["HIDE"].reason == DeleteReason.FILTERED
    assert "Hidden" in rows["HIDE"].detail
    assert rows["EXCL"].reason == DeleteReason.EXCLUDED
    assert rows["EXCL"].detail == "not on this channel"
    assert rows["ARCH"].reason == DeleteReason.ARCHIVED
    assert rows["TITLE"].diff == {"title": ["Product TITLE", "A better title"]}
    assert rows["TITLE"].parts == {"content"}
    assert rows["PRICE"].diff == {"price": ["19.99 USD", "17.99 USD"]}
    assert rows["STOCK"].diff == {"quantity": ["5", "2"]}
    assert rows["STOCK"].parts == {"quantity"}
    assert rows["GONE"].remote_id == "fake:GONE"
    summary = plan.summary()
    assert summary["delete_reasons"] == {"removed": 1, "filtered": 1, "excluded": 1,
                                         "archived": 1}
    assert summary["unchanged"] == 1
    plan.close()


def test_price_quantity_becomes_update_without_the_capability(env: SyncEnv) -> None:
    env.add_many(2)
    env.push()
    env.set_stock("SKU-000", 1)
    no_fast_path = type("NoFastPath", (FakeAdapter,), {
        "capabilities": Capability.API_PUSH | Capability.DELETE})
    assert plan_actions(env.plan(adapter_cls=no_fast_path)) == {"SKU-000": "update"}


def test_mapping_edit_rerenders_everything_but_replans_only_what_changed(env: SyncEnv) -> None:
    env.add(*(make_product(f"S-{i}", category="Shoes") for i in range(3)))
    env.add(*(make_product(f"T-{i}", category="Shirts") for i in range(4)))
    env.push()
    env.mapper = FakeMapper(version="2", title_suffix={"Shoes": " - free shipping"})
    plan = env.plan()
    assert plan.examined == 7, "a new mapping version re-renders every SKU"
    actions = {row.sku: (row.action, row.diff) for row in plan.rows()}
    plan.close()
    assert set(actions) == {"S-0", "S-1", "S-2"}
    assert actions["S-0"] == (Action.UPDATE, {"title": ["Product S-0",
                                                       "Product S-0 - free shipping"]})
    env.push()
    env.mapper.calls.clear()
    plan = env.plan()
    assert plan.total == 0 and env.mapper.calls == []
    plan.close()


def test_only_dirty_skus_are_rendered(env: SyncEnv) -> None:
    env.add_many(20)
    env.push()
    env.catalog.upsert_products([make_product("SKU-007", title="Changed")])
    env.set_stock("SKU-011", 0)
    env.catalog.set_override("SKU-013", "fake", "brand", "Other brand")
    env.mapper.calls.clear()
    plan = env.plan()
    assert plan.examined == 3
    assert env.mapper.calls == [3], "one render call for the three dirty SKUs"
    rows = {row.sku: row for row in plan.rows()}
    assert rows["SKU-013"].diff == {"brand": ["Acme", "Other brand"]}
    assert rows["SKU-011"].diff == {"availability": ["in_stock", "out_of_stock"],
                                    "quantity": ["5", "0"]}
    plan.close()


def test_reservations_change_stock_and_make_a_sku_dirty(env: SyncEnv) -> None:
    env.add_many(3)
    env.push()
    env.catalog.db.execute("UPDATE inventory SET reserved = 2 WHERE sku = 'SKU-001'")
    assert plan_actions(env.plan()) == {"SKU-001": "price_quantity"}


def test_sale_windows_make_skus_dirty_when_they_open_and_close(env: SyncEnv) -> None:
    start = env.clock.now + timedelta(hours=2)
    end = env.clock.now + timedelta(days=1)
    env.add(make_product("SALE", sale_price=Decimal("9.99"), sale_start=start, sale_end=end),
            make_product("PLAIN"))
    env.push()
    env.clock.advance(hours=1)
    plan = env.plan()
    assert plan.total == 0 and plan.examined == 0
    plan.close()
    env.clock.advance(hours=1)
    plan = env.plan()
    rows = list(plan.rows())
    assert plan.examined == 1
    assert [(r.sku, r.action, r.diff) for r in rows] == [
        ("SALE", Action.PRICE_QUANTITY, {"sale_price": [None, "9.99 USD"]})]
    plan.close()
    env.push()
    env.clock.now = end
    assert plan_actions(env.plan()) == {"SALE": "price_quantity"}


def test_invalid_records_are_held_back_and_never_sent(env: SyncEnv) -> None:
    env.add(make_product("OK"), make_product("LONG", title="x" * 200))
    plan = env.plan()
    assert plan_actions(plan) == {"OK": "create"}
    assert plan.held == 1 and plan.held_codes == [("title_length", 1)]
    result = env.push()
    assert result.counts["items"] == 1
    assert env.listing("LONG") is None
    env.catalog.upsert_products([make_product("LONG", title="Fixed")])
    assert plan_actions(env.plan()) == {"LONG": "create"}


def test_a_listed_sku_that_becomes_invalid_is_left_as_it_is(env: SyncEnv) -> None:
    env.add(make_product("A"))
    env.push()
    env.catalog.upsert_products([make_product("A", title="")])
    assert plan_actions(env.plan()) == {}
    assert env.listing("A")["status"] == "live"


def test_deleted_then_readded_sku_is_created_again(env: SyncEnv) -> None:
    env.add_many(10)
    env.push()
    env.catalog.exclude("SKU-001", "fake")
    env.push()
    assert env.listing("SKU-001")["status"] == "deleted"
    assert "SKU-001" not in env.channel.items
    assert plan_actions(env.plan()) == {}
    env.catalog.include("SKU-001", "fake")
    assert plan_actions(env.plan()) == {"SKU-001": "create"}


def test_a_rejected_sku_is_not_resent_until_its_data_changes(env: SyncEnv) -> None:
    env.add_many(2)
    env.channel.reject["SKU-000"] = ("invalid_gtin", "GTIN is not valid")
    env.push()
    assert env.listing("SKU-000")["status"] == "rejected"
    assert plan_actions(env.plan()) == {}
    env.catalog.upsert_products([make_product("SKU-000", gtin="4006381333948")])
    assert plan_actions(env.plan()) == {"SKU-000": "create"}


def test_scoped_plan_looks_only_at_the_given_skus(env: SyncEnv) -> None:
    env.add_many(5)
    env.push()
    for sku in ("SKU-000", "SKU-001", "SKU-002"):
        env.set_stock(sku, 1)
    plan = env.plan(skus=["SKU-001", "SKU-004", "NOT-A-SKU"])
    assert plan.examined == 2, "every known SKU given is looked at; unknown ones are ignored"
    assert plan_actions(plan) == {"SKU-001": "price_quantity"}
    assert set(plan_actions(env.plan())) == {"SKU-000", "SKU-001", "SKU-002"}


def test_incremental_plans_read_change_stamps_and_full_plans_compare_inputs(
        env: SyncEnv) -> None:
    env.add_many(6)
    first = env.plan()
    assert first.full and first.examined == 6
    first.close()
    env.push()
    plan = env.plan()
    assert not plan.full and plan.examined == 0
    plan.close()
    # Any writer is seen, even raw SQL that bypasses the catalog store.
    env.catalog.db.execute("UPDATE products SET title = 'Raw edit', content_hash = 'x'"
                           " WHERE sku = 'SKU-004'")
    plan = env.plan()
    assert not plan.full and plan.examined == 1
    assert plan_actions(plan) == {"SKU-004": "update"}
    full = env.plan(full=True)
    assert full.full and full.examined == 1, "a full comparison finds the same SKU"
    full.close()


def test_a_missing_trigger_is_recreated_and_forces_a_full_comparison(env: SyncEnv) -> None:
    env.add_many(4)
    env.push()
    env.catalog.db.execute("DROP TRIGGER sync_stamp_inventory_update")
    env.set_stock("SKU-002", 1)  # not stamped: the trigger is gone
    plan = env.plan()
    assert plan.full and plan_actions(plan) == {"SKU-002": "price_quantity"}
    env.set_stock("SKU-003", 1)
    plan = env.plan()
    assert not plan.full and set(plan_actions(plan)) == {"SKU-002", "SKU-003"}


def test_failed_pushes_are_replanned_without_a_catalog_change(env: SyncEnv) -> None:
    env.add_many(3)
    env.channel.transient_failures = 1
    env.push()
    plan = env.plan()
    assert not plan.full and plan.examined == 3 and plan.total == 3
    plan.close()
    env.push()
    env.mapper.calls.clear()
    plan = env.plan()
    assert plan.examined == 0 and env.mapper.calls == []
    plan.close()


def test_consumed_change_stamps_are_pruned(env: SyncEnv) -> None:
    env.add_many(5)
    env.push()
    db = env.catalog.db
    before = env.scalar("SELECT COUNT(*) FROM sync_changes")
    assert before <= 1
    env.set_stock("SKU-001", 2)
    env.set_stock("SKU-002", 2)
    assert env.scalar("SELECT COUNT(*) FROM sync_changes") == before + 2
    env.plan().close()
    assert env.scalar("SELECT COUNT(*) FROM sync_changes") == 1, "only the newest stays"
    # A channel not planned for a month loses its mark; with none left the triggers go.
    db.execute("UPDATE sync_marks SET updated_at = '2020-01-01T00:00:00Z'")
    prune_changes(db)
    assert env.scalar("SELECT COUNT(*) FROM sync_marks") == 0
    assert env.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sync_stamp_%'") == 0
    env.set_stock("SKU-003", 1)
    plan = env.plan()
    assert plan.full and set(plan_actions(plan)) == {"SKU-001", "SKU-002", "SKU-003"}
