"""Rate waits that fit a cron job (issue #16, point 3).

After a 429 on searchOrders Amazon's documented rate (0.0056 requests/s) means about three
minutes before the next page. The pull now stops at `[orders] max_pull_seconds` instead of
sleeping past it: the page read is committed with its cursor, the rest is left for the next run,
the step says so (exit 75, a note in `status`), and the next run continues from the cursor.
Amazon's own searchOrders example from /work/shared/specs; HTTP through `responses`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
import responses
from click.testing import CliRunner

from feedsync.cli.main import cli
from tests.orders.helpers import db_rows
from tests.orders.test_amazon_loop import LWA, SEARCH, amazon, search_page  # noqa: F401


def bounded(root: Path, seconds: float) -> None:
    config = root / "feedsync.toml"
    config.write_text(config.read_text() + f"\n[orders]\nmax_pull_seconds = {seconds}\n")


def test_a_slow_pull_stops_at_its_bound_and_the_next_run_continues(
        amazon: Path, specs_dir: Path) -> None:  # noqa: F811
    bounded(amazon, 20)
    first = search_page(specs_dir, shipped=False, updated="2024-12-25T14:45:00Z")
    first["pagination"] = {"nextToken": "page-2-token"}
    calls: list[str] = []

    def search(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        calls.append(request.url or "")
        if "paginationToken" not in (request.url or ""):
            return 200, {}, json.dumps(first)
        if len(calls) == 2:  # the second page is throttled once
            return 429, {}, json.dumps({"errors": [{"code": "QuotaExceeded",
                                                    "message": "You exceeded your quota"}]})
        return 200, {}, json.dumps({"orders": []})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, LWA, json={"access_token": "Atza|access-1",
                                            "token_type": "bearer", "expires_in": 3600})
        mock.add_callback(responses.GET, SEARCH, callback=search)
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["--workspace", str(amazon), "--json", "sync"])
        took = time.monotonic() - started
        data: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
        assert took < 60, f"the pull slept {took:.0f} s past its 20 s bound"
        [orders] = [s for s in data["steps"] if s["step"] == "orders"]
        assert orders["outcome"] == "transient", orders  # exit 75 for this step
        assert "time bound of 20 s" in orders["message"], orders
        assert db_rows(amazon, "SELECT COUNT(*) FROM orders") == [(1,)]  # page 1 committed

        status = CliRunner().invoke(cli, ["--workspace", str(amazon), "status"])
        assert "time bound of 20 s" in status.output, status.output


def test_a_slow_push_stops_at_its_bound_and_the_next_run_sends_the_rest(
        tmp_path: Path) -> None:
    """Each batch takes 4 s (rate waits): with a 10 s bound three go out, the rest next run."""
    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.sync.runs import Outcome
    from feedsync.testing import FakeAdapter
    from tests.sync.conftest import BASE_TOML, SyncEnv

    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(BASE_TOML + "\n[sync]\nmax_push_seconds = 10\n")
    workspace = load_workspace(root)
    env = SyncEnv(root=root, workspace=workspace, catalog=open_catalog(workspace.db_path))
    env.adapter_cls = FakeAdapter.with_limits(1)
    env.add_many(5)
    real_submit = env.channel.submit

    def slow_submit(batch: Any) -> Any:
        env.time.now += 4.0  # a rate wait before each createFeed-like call
        return real_submit(batch)

    env.channel.submit = slow_submit  # type: ignore[method-assign]
    first = env.push()
    assert first.outcome is Outcome.TRANSIENT, first.message
    assert "[sync] max_push_seconds" in first.message
    assert env.channel.submit_calls == 3 and len(env.statuses()) == 3
    second = env.push()
    assert env.channel.submit_calls == 5 and second.outcome is Outcome.OK, second.message
    assert set(env.statuses().values()) == {"live"}
    env.catalog.db.close()
