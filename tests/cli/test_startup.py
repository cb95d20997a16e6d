"""Start-up stays cheap (issue #19 point 4): which modules `feedsync --help` imports, never a time.

The cost itself is measured by bench/startup.py against its floor (`python -c pass`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.utils import make_default_short_help

from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT

# What a command's module pulls in; `--help` and `--version` need none of it.
HEAVY = ("requests", "urllib3", "lxml", "pydantic", "jsonschema", "google.auth", "sqlite_utils",
         "numpy", "feedsync.adapter", "feedsync.http", "feedsync.catalog", "feedsync.config",
         "feedsync.mapping", "feedsync.sync", "feedsync.orders", "feedsync.sandbox")

PROBE = """
import json, sys
from feedsync.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="feedsync")
except SystemExit:
    pass
json.dump(sorted(sys.modules), sys.stderr)
"""


def _modules_after(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True)
    return set(json.loads(proc.stderr))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_import_no_command_module(args: tuple[str, ...]) -> None:
    modules = _modules_after(*args)
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith("adapters")]


def test_a_command_imports_only_its_own_area() -> None:
    modules = _modules_after("init", "--help")
    assert "feedsync.cli.init_cmd" in modules
    assert "feedsync.cli.sandbox_cmds" not in modules
    assert "feedsync.cli.sync_cmds" not in modules


def test_the_command_table_says_what_each_command_says() -> None:
    """The sentences --help prints unimported are the commands' own (no drift)."""
    ctx = click.Context(cli)
    for name, entry in type(cli).lazy_commands.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name
        for limit in (45, 60, 80, 1000):
            assert make_default_short_help(entry.summary, limit) == \
                command.get_short_help_str(limit), (name, limit)


def test_help_lists_every_command_as_loaded_commands_would() -> None:
    lazy_help = subprocess.run([sys.executable, "-m", "feedsync", "--help"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout
    ctx = click.Context(cli, info_name="feedsync", **cli.context_settings)
    for name in cli.list_commands(ctx):
        cli.get_command(ctx, name)  # every command loaded now
    assert cli.get_help(ctx).strip() == lazy_help.strip()


def test_opening_the_catalog_does_not_import_numpy(tmp_path: Path) -> None:
    """sqlite-utils would import numpy/pandas for their column types; feedsync hides them."""
    code = ("import sys; from feedsync.catalog import open_catalog; "
            f"open_catalog({str(tmp_path / 'c.db')!r}).count(); "
            "import sqlite_utils.db as d; "
            "print(d.np is None, 'numpy' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]
