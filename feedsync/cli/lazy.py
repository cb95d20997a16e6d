"""A click group whose commands are imported only when they run (issue #19: instant start).

Each command module pulls in its area (the catalog store, the sync engine, adapters, the HTTP
stack, lxml …), which costs a second of CPU before any work. ``feedsync --help`` only needs each
command's name and first sentence, so those live in a table (:class:`LazyCommand`) and a module is
imported the first time one of its commands is looked up. ``tests/cli/test_startup.py`` checks the
table's sentences against the commands' own docstrings, so the two cannot drift.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import ClassVar

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (``module``, ``attribute``) and the first sentence of its help."""

    module: str
    attribute: str
    summary: str


class LazyGroup(click.Group):
    """A group whose ``lazy_commands`` are imported on first lookup; help lists them unimported."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, loaded or not, sorted as click sorts them."""
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module the first time it is asked for."""
        found = self.commands.get(cmd_name)
        if found is not None:
            return found
        entry = self.lazy_commands.get(cmd_name)
        if entry is None:
            return None
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from the table, without importing any command."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                # click's own shortening, as for a loaded command (click 8.5 no longer types
                # click.utils.make_default_short_help as callable for mypy)
                stand_in = click.Command(name, help=self.lazy_commands[name].summary)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
