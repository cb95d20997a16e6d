"""The day-budget priorities and the limit headers (adapters/etsy/budget.py, limits.py)."""

from __future__ import annotations

import requests
from feedsync.adapters.etsy import budget
from feedsync.adapters.etsy.limits import HINT_HOOKS, LIMITS, BudgetWatch


def test_priorities_shrink_as_the_budget_runs_low() -> None:
    def allowed(remaining: int | None) -> set[str]:
        return budget.allowed(remaining, content_reserve=1000, price_reserve=200)

    assert allowed(None) == allowed(5000) == {"content", "price", "quantity"}
    assert allowed(1000) == allowed(201) == {"price", "quantity"}
    assert allowed(200) == allowed(1) == {"quantity"}
    assert allowed(0) == set()


def test_a_change_is_classed_by_its_most_expensive_part() -> None:
    assert budget.priority(["content", "price", "quantity"]) == "content"
    assert budget.priority(["price", "quantity"]) == "price"
    assert budget.priority(["quantity"]) == "quantity"
    assert budget.priority(["content"], deletes=True) == "quantity"  # a withdrawal stops sales


def test_declared_limits_are_etsys_defaults() -> None:
    [app] = LIMITS.operations
    assert (app.operation, app.rate_per_second, app.burst, app.daily_budget) == (
        "*", 10, 10, 10_000)


def _response(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers.update(headers)
    return response


def test_headers_give_the_rate_and_the_calls_left_today() -> None:
    answer = _response(**{"x-limit-per-second": "5", "x-remaining-this-second": "4",
                          "x-limit-per-day": "100000", "x-remaining-today": "99321"})
    [rate_hook] = HINT_HOOKS
    hint = rate_hook(answer, 0.0)
    assert hint is not None and hint.rate == 5.0
    watch = BudgetWatch()
    assert watch(answer, 0.0) is None
    assert (watch.remaining_today, watch.limit_per_day) == (99321, 100000)
    watch(_response(**{"x-remaining-today": "garbage"}), 0.0)
    assert watch.remaining_today == 99321  # an unreadable value changes nothing
