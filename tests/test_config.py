"""Workspace discovery, feedsync.toml validation and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.config import load_workspace
from feedsync.errors import ConfigError, redact


def test_init_writes_a_loadable_workspace(workspace: Path) -> None:
    for name in ("feedsync.toml", ".gitignore", "secrets.toml.example", "mappings/google.toml"):
        assert (workspace / name).is_file(), name
    ws = load_workspace(workspace)
    assert ws.enabled_channels() == ["google", "facebook"]
    assert "secrets.toml" in (workspace / ".gitignore").read_text().splitlines()
    assert "feedsync.db" in (workspace / ".gitignore").read_text().splitlines()


def test_init_refuses_to_overwrite(workspace: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["init", str(workspace)])
    assert result.exit_code == 2
    assert "already has" in result.output
    assert runner.invoke(cli, ["init", "--force", str(workspace)]).exit_code == 0


def test_every_problem_is_reported_with_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "feedsync.toml").write_text(
        '[catalog]\ndefault_currency = "usd"\nprune_max_share = 3\nunknown = 1\n'
        '[channels.google]\ndelivery = "ftp"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    problems = info.value.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    for key in ("catalog.default_currency", "catalog.prune_max_share", "catalog.unknown",
                "channels.google.delivery"):
        assert key in text
    assert all(p.startswith(str(tmp_path / "feedsync.toml")) for p in problems)


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "feedsync.toml").write_text("[catalog\n")
    with pytest.raises(ConfigError, match=r"feedsync\.toml: invalid TOML.*line 1"):
        load_workspace(tmp_path)


def test_missing_workspace_says_how_to_create_one(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--workspace", str(tmp_path), "catalog", "stats"])
    assert result.exit_code == 4
    assert "feedsync init" in result.output


def test_workspace_from_environment(workspace: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--json", "catalog", "stats"],
                           env={"FEEDSYNC_WORKSPACE": str(workspace)})
    assert result.exit_code == 0, result.output
    assert '"products": 0' in result.output


def test_secrets_come_from_file_and_environment_and_are_redacted(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "secrets.toml").write_text(
        '[amazon]\nclient_id = "from-file"\nrefresh_token = "Atzr|file-token-value"\n'
    )
    monkeypatch.setenv("FEEDSYNC_AMAZON__REFRESH_TOKEN", "env-refresh-token-value")
    secrets = load_workspace(workspace).secrets("amazon")
    assert secrets["client_id"].get_secret_value() == "from-file"
    assert secrets["refresh_token"].get_secret_value() == "env-refresh-token-value"
    assert "env-refresh-token-value" not in repr(secrets)
    assert redact("token is env-refresh-token-value!") == "token is [REDACTED]!"


def test_json_errors_are_one_object(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--json", "--workspace", str(tmp_path), "catalog", "stats"])
    assert result.exit_code == 4
    assert result.output.startswith('{"ok": false')
