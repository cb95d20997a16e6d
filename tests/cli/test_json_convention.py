"""Issue #17 point 4: one --json convention. Every command accepts --json before or after the
subcommand; with it, stdout is exactly one JSON object, also on every failure, and that object
carries the exit code the process ends with."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest

from feedsync.cli.main import cli, hoist_json_flag
from tests.cli.conftest import one_json, run

SKU = "TEE-ORG-BLK-S"
# Commands that run until stopped (a server) are not walked here; their owners test them.
SERVES_UNTIL_STOPPED = {("sandbox", "serve")}


def leaf_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()
                  ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every runnable command of the CLI, as its words (``("orders", "pull")``)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def placeholders(command: click.Command) -> list[str]:
    """Values for the required arguments of ``command``."""
    return ["placeholder" for p in command.params
            if isinstance(p, click.Argument) and p.required]


def successful_calls(root: Path, tmp: Path) -> dict[tuple[str, ...], list[str]]:
    (tmp / "ship.csv").write_text("order_id,carrier,tracking_number\nNOPE-1,UPS,1Z999\n")
    return {
        ("init",): [str(tmp / "new-workspace")],
        ("catalog", "import"): [str(root / "samples" / "catalog.csv")],
        ("catalog", "show"): [SKU],
        ("catalog", "stats"): [],
        ("catalog", "export"): ["--out", str(tmp / "catalog-export.csv")],
        ("feed", "build"): ["--all"],  # before reconcile: it compares the published feed
        ("validate",): ["google"],
        ("preview",): ["google", SKU],
        ("explain",): ["facebook", SKU],
        ("status",): [],
        ("sync",): ["--dry-run"],
        ("orders", "pull"): [],
        ("orders", "list"): ["--since", "yesterday"],
        ("orders", "export"): ["--out", str(tmp / "orders.csv")],
        ("reconcile",): ["facebook"],
    }


@pytest.mark.parametrize("position", ["global", "after"])
def test_every_command_prints_one_json_object(example: Path, tmp_path: Path,
                                              position: str) -> None:
    for words, args in successful_calls(example, tmp_path).items():
        argv = (["--json", *words, *args] if position == "global"
                else [*words, *args, "--json"])
        result = run(example, *argv)
        data = one_json(result)
        assert result.exit_code == 0, (words, result.stdout, result.stderr)
        assert data["ok"] is True, (words, data)  # every answer says whether it went through
        if words == ("init",):
            (tmp_path / "new-workspace" / "feedsync.toml").unlink()


def test_failures_print_one_json_object_with_the_error_and_exit_code(
        example: Path, tmp_path: Path) -> None:
    (tmp_path / "ship.csv").write_text("order_id,carrier,tracking_number\nNOPE-1,UPS,1Z999\n")
    failing = {
        ("catalog", "import", "missing.csv"): 2,
        ("catalog", "show", "NO-SUCH-SKU"): 2,
        ("catalog", "export"): 2,  # stdout is the JSON object: the export needs --out
        ("feed", "build"): 2,
        ("preview", "google", "NO-SUCH-SKU"): 2,
        ("plan",): 2,
        ("push",): 2,
        ("orders", "list", "--since", "last tuesday"): 2,
        ("orders", "export"): 2,
        ("orders", "ship", str(tmp_path / "ship.csv")): 1,
        ("reconcile", "nosuchshop"): 2,
        ("init", str(example)): 2,
        ("feed", "build", "google", "--as-of", "soon"): 2,
        ("status", "--no-such-option"): 2,
    }
    for words, code in failing.items():
        for argv in (["--json", *words], [*words, "--json"]):
            result = run(example, *argv)
            data = one_json(result)
            assert result.exit_code == code, (argv, result.stdout, result.stderr)
            assert data["ok"] is False and data["exit_code"] == code, (argv, data)
            assert data["error"], (argv, data)


def _timeout(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("a command did not fail fast without a workspace")


def test_every_command_known_to_the_cli_fails_as_one_json_object(tmp_path: Path) -> None:
    # Walks the click tree, so commands added later (sandbox, auth …) are held to it too.
    missing = tmp_path / "no-workspace-here"
    previous = signal.signal(signal.SIGALRM, _timeout)
    try:
        for words, command in leaf_commands():
            if words in SERVES_UNTIL_STOPPED:
                continue
            args = [*words, *placeholders(command)]
            if words == ("init",):
                (tmp_path / "taken").mkdir(exist_ok=True)
                (tmp_path / "taken" / "feedsync.toml").write_text("")
                args = ["init", str(tmp_path / "taken")]
            for argv in (["--json", *args], [*args, "--json"]):
                signal.alarm(20)
                result = run(missing, *argv)
                signal.alarm(0)
                data = one_json(result)
                if result.exit_code == 0:  # a command with nothing to do needs no workspace
                    assert data.get("ok") is not False, (argv, data)
                    continue
                assert data["ok"] is False and data["exit_code"] == result.exit_code, argv
                assert data["error"], argv
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_flag_is_hoisted_only_before_a_double_dash() -> None:
    assert hoist_json_flag(["orders", "list", "--json"]) == ["--json", "orders", "list"]
    assert hoist_json_flag(["catalog", "import", "--", "--json"]) == [
        "catalog", "import", "--", "--json"]
    assert hoist_json_flag(["status"]) == ["status"]
