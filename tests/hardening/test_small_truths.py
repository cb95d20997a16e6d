"""Small truths (issue #16, point 11): counts say what happened; mappings never empty a field
silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.errors import ConfigError
from tests.orders.conftest import listed, ows  # noqa: F401  (fixtures)
from tests.orders.helpers import state_lines


def test_fast_path_counts_only_skus_actually_sent(listed: Path) -> None:  # noqa: F811
    """A queued SKU whose quantity the channel already has is 'unchanged', not 'pushed'."""
    from feedsync.catalog import open_catalog
    from feedsync.db import migrate
    from feedsync.orders import schema

    catalog = open_catalog(listed / "feedsync.db")
    migrate(catalog.db, schema.COMPONENT, schema.MIGRATIONS)
    catalog.db.execute("INSERT INTO stock_outbox (channel, sku, queued_at) VALUES "
                       "('shopb', 'SKU-A', '2026-01-01T00:00:00Z')")
    catalog.db.close()
    sent_before = len(state_lines(listed, "shopb", "pushes.jsonl"))
    result = CliRunner().invoke(cli, ["--workspace", str(listed), "--json", "orders", "pull"])
    data = json.loads(result.output.strip().splitlines()[-1])
    [shopb] = [c for c in data["fast_path"]["channels"] if c["channel"] == "shopb"]
    assert len(state_lines(listed, "shopb", "pushes.jsonl")) == sent_before  # nothing sent
    assert (shopb["pushed"], shopb["unchanged"]) == (0, 1), shopb


@pytest.mark.parametrize("first", ["[]", '[""]', '["  "]'])
def test_an_empty_first_list_is_a_mapping_error(tmp_path: Path, first: str) -> None:
    from feedsync.mapping.engine import ChannelMapper
    from feedsync.registry import channel_schema

    path = tmp_path / "google.toml"
    path.write_text(f'[fields]\nid = "sku"\ntitle = {{ first = {first} }}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        ChannelMapper(channel_schema("google"), path)
    assert f"{path}:3: fields.title: 'first' needs at least one column" in "\n".join(
        exc.value.problems)


def test_unknown_keys_and_a_secrets_table_under_google_are_refused(workspace: Path) -> None:
    """Done by #17's settings validation; pinned here because the issue lists it."""
    from feedsync.config import load_workspace

    config = workspace / "feedsync.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[channels.google]\n", "[channels.google]\nmerchant_idd = 1\n", 1)
        + '\n[channels.google.secrets]\nrefresh_token = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_workspace(workspace)
    text = "\n".join(exc.value.problems)
    assert "channels.google.merchant_idd: unknown key" in text
    assert "channels.google.secrets: unknown key" in text
    assert '"x"' not in text and "'x'" not in text  # the secret's value is never echoed


@pytest.fixture
def amazon_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An Amazon API workspace (mappings shipped with feedsync), credentials in the env."""
    import shutil

    from tests.conftest import REPO_ROOT
    from tests.orders.helpers import seed_catalog

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copytree(REPO_ROOT / "mappings", root / "mappings")
    (root / "feedsync.toml").write_text(
        '[channels.amazon]\nenabled = true\ndelivery = "api"\nseller_id = "A1SELLERID"\n'
        'marketplace_ids = ["ATVPDKIKX0DER"]\n', encoding="utf-8")
    seed_catalog(root, {"ECHO-DOT-4-CHARCOAL": 5})
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_ID", "amzn1.application-oa2-client.abc")
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_SECRET", "client-secret-value-123")
    monkeypatch.setenv("FEEDSYNC_AMAZON__REFRESH_TOKEN", "Atzr|refresh-token-value-456")
    return root


def test_one_access_token_per_run_across_its_steps(amazon_ws: Path) -> None:
    """The orders step and a later step of the same run use one adapter, so one LWA token."""
    from datetime import UTC, datetime

    import responses

    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.orders.step import orders_step
    from feedsync.sync.push import PushOptions
    from feedsync.sync.runner import RunContext, run_steps
    from feedsync.sync.runs import Outcome, StepResult

    lwa = "https://api.amazon.com/auth/o2/token"
    search = "https://sellingpartnerapi-na.amazon.com/orders/2026-01-01/orders"

    def later_step(ctx: RunContext) -> list[StepResult]:
        adapter = ctx.bind("amazon").adapter()  # what the push step uses
        list(adapter.pull_orders(datetime(2026, 1, 1, tzinfo=UTC)))  # an authenticated call
        return [StepResult(step="probe", outcome=Outcome.OK)]

    workspace = load_workspace(amazon_ws)
    catalog = open_catalog(workspace.db_path)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, lwa, json={"access_token": "Atza|access-1",
                                            "token_type": "bearer", "expires_in": 3600})
        mock.add(responses.GET, search, json={"orders": []})
        report = run_steps(workspace, catalog, "sync",
                           [("orders", orders_step), ("probe", later_step)],
                           PushOptions(wait=0), channels=["amazon"])
        token_calls = [c for c in mock.calls if c.request.url == lwa]
    catalog.db.close()
    assert [r.outcome for r in report.results][-1] == Outcome.OK, report.as_dict()
    assert len(token_calls) == 1, f"{len(token_calls)} LWA tokens in one run"
