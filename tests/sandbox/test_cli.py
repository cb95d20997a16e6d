"""`feedsync init --sandbox`, `feedsync sandbox serve --detach / stop / orders / stats`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.sandbox.daemon import healthy, read_run
from tests.sandbox.support import demo


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _feedsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "feedsync", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120, check=False,
                          env={k: v for k, v in os.environ.items()
                               if k != "FEEDSYNC_WORKSPACE"})


def test_init_sandbox_writes_a_workspace_pointed_at_the_sandbox(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["--json", "init", "--sandbox", str(target),
                                      "--sandbox-port", "8799"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"amazon", "google", "facebook"} <= set(data["channels"])
    config = tomllib.loads((target / "feedsync.toml").read_text(encoding="utf-8"))
    for channel in data["channels"]:
        settings = config["channels"][channel]
        assert settings["enabled"] and settings["delivery"] == "api"
        assert "http://127.0.0.1:8799/" + channel in json.dumps(settings)
    secrets = tomllib.loads((target / "secrets.toml").read_text(encoding="utf-8"))
    assert secrets["amazon"]["refresh_token"].startswith("Atzr|")
    key = json.loads(Path(secrets["google"]["service_account_file"]).read_text())
    assert key["token_uri"] == "http://127.0.0.1:8799/google/token"
    assert oct((target / "secrets.toml").stat().st_mode)[-3:] == "600"
    assert ".sandbox/" in (target / ".gitignore").read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["init", "--sandbox", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    checked = CliRunner().invoke(cli, ["--workspace", str(target), "status"])
    assert checked.exit_code == 0, checked.output  # the configuration validates


def test_serve_detached_answers_and_stop_ends_exactly_that_process(tmp_path: Path) -> None:
    port = _free_port()
    started = _feedsync("sandbox", "serve", "--detach", "--port", str(port), "--channel",
                        "amazon", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    state = tmp_path / ".sandbox" / "state.db"
    info = read_run(state)
    assert info is not None and info["port"] == port and healthy(port)
    try:
        twice = _feedsync("sandbox", "serve", "--detach", "--port", str(port), cwd=tmp_path)
        assert twice.returncode == 1 and "already runs" in twice.stderr
        stats = _feedsync("sandbox", "stats", "--port", str(port), cwd=tmp_path)
        assert stats.returncode == 0
    finally:
        stopped = _feedsync("sandbox", "stop", cwd=tmp_path)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not healthy(port, timeout=0.3)
    assert _feedsync("sandbox", "stop", cwd=tmp_path).stdout.startswith("no sandbox")


def test_serve_refuses_bad_fault_specs_and_foreign_addresses(tmp_path: Path) -> None:
    bad = CliRunner().invoke(cli, ["sandbox", "serve", "--fault", "amazon:teapot:0.1",
                                   "--state", str(tmp_path / "s.db")])
    assert bad.exit_code == 2 and "kind must be one of" in bad.output


def test_orders_command_places_cancels_and_races(tmp_path: Path) -> None:
    with demo(tmp_path, channels=["amazon", "walmart"], small=True) as shop:
        assert shop.feedsync("sync").exit_code in (0, 3)
        state = str(shop.sandbox.app.store.path)
        placed = CliRunner().invoke(cli, [
            "--json", "sandbox", "orders", "--channel", "amazon", "--count", "4",
            "--cancel-share", "0.5", "--multi-line-share", "1", "--state", state, "--seed", "3",
            "--last-unit-with", "walmart"])
        assert placed.exit_code == 0, placed.output
        data = json.loads(placed.output)
        assert len(data["orders"]) == 4 and data["lines"] > 4 and data["cancelled"]
        race = data["last_unit"]
        assert set(race["orders"]) == {"amazon", "walmart"}
        shown = {c: shop.quantities(c, [race["sku"]]) for c in ("amazon", "walmart")}
        assert shown == {"amazon": {race["sku"]: 0}, "walmart": {race["sku"]: 0}}
        google = CliRunner().invoke(cli, ["sandbox", "orders", "--channel", "google",
                                          "--state", state])
        assert google.exit_code == 2 and "takes no orders" in google.output


def test_orders_needs_a_sandbox_state(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "orders", "--channel", "amazon", "--state",
                                      str(tmp_path / "nowhere.db")])
    assert result.exit_code == 2 and "no sandbox state" in result.output
