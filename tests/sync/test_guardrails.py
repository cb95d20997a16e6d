"""Guardrails: configuration, each limit, refusal with a clear message, --force."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedsync.errors import ConfigError
from feedsync.sync.guardrails import Guardrails, PlanFigures, check, load_guardrails
from feedsync.sync.runs import Outcome
from tests.conftest import make_product
from tests.sync.conftest import SyncEnv


def test_defaults_and_validation_name_the_toml_path() -> None:
    assert load_guardrails("google", None) == Guardrails()
    rails = load_guardrails("google", {"max_delete_share": 0.05, "min_items": 10})
    assert rails.max_delete_share == 0.05 and rails.min_items == 10
    with pytest.raises(ConfigError) as caught:
        load_guardrails("google", {"max_delete_share": 1.5, "max_deletes": 3}, "ws/feedsync.toml")
    problems = "\n".join(caught.value.problems)
    assert "ws/feedsync.toml: channels.google.guardrails.max_delete_share" in problems
    assert "channels.google.guardrails.max_deletes: unknown key" in problems
    with pytest.raises(ConfigError, match="must be a table"):
        load_guardrails("google", 3)


def test_bad_guardrails_are_reported_when_the_workspace_loads(env: SyncEnv) -> None:
    # Issue #17: every setting of feedsync.toml is checked before anything runs, guardrails too.
    with pytest.raises(ConfigError) as caught:
        env.configure("[channels.fake.guardrails]\nmax_price_change_pct = -1\n")
    assert "channels.fake.guardrails.max_price_change_pct" in caught.value.problems[0]


def test_delete_share_refuses_a_truncated_catalog_unless_forced(env: SyncEnv) -> None:
    skus = env.add_many(10)
    env.push()
    env.catalog.db.execute("DELETE FROM products WHERE sku IN (?, ?, ?)", skus[:3])
    result = env.push()
    assert result.outcome is Outcome.REFUSED
    assert "max_delete_share" in result.message and "3 of 10" in result.message
    assert "--force" in result.message and "SKU-000" in result.message
    assert env.channel.submit_calls == 1, "a refused plan sends nothing"
    assert sorted(env.channel.items) == skus
    forced = env.push(force=True)
    assert forced.outcome is Outcome.OK
    assert forced.details["forced"] and sorted(env.channel.items) == skus[3:]


def test_zero_quantity_share(env: SyncEnv) -> None:
    env.configure("[channels.fake.guardrails]\nmax_zero_quantity_share = 0.25\n")
    skus = env.add_many(8)
    env.push()
    for sku in skus[:3]:
        env.set_stock(sku, 0)
    result = env.push()
    assert result.outcome is Outcome.REFUSED
    assert "max_zero_quantity_share" in result.message and "3 of 8" in result.message
    env.set_stock(skus[2], 4)
    assert env.push().outcome is Outcome.OK


def test_price_change_limit_names_the_skus(env: SyncEnv) -> None:
    env.add_many(4)
    env.push()
    env.catalog.upsert_products([make_product("SKU-001", price=Decimal("1.99")),
                                 make_product("SKU-002", price=Decimal("21.99"))])
    result = env.push()
    assert result.outcome is Outcome.REFUSED
    assert "max_price_change_pct: 1 price change(s) exceed 50%" in result.message
    assert "SKU-001 price 19.99 → 1.99 (90.0%)" in result.message
    assert "SKU-002" not in result.message


def test_min_items(env: SyncEnv) -> None:
    env.configure("[channels.fake.guardrails]\nmin_items = 5\n")
    env.add_many(3)
    result = env.push()
    assert result.outcome is Outcome.REFUSED
    assert "min_items: the plan would leave 3 item(s) listed, fewer than 5" in result.message


def test_check_is_quiet_for_a_first_push() -> None:
    figures = PlanFigures(listed_before=0, creates=1000)
    assert check(Guardrails(), figures) == []
