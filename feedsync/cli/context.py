"""What every command shares: the workspace (loaded lazily), output mode and printing helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # imported where used: `feedsync --help` needs none of them (issue #19)
    from feedsync.catalog import Catalog
    from feedsync.cli.progress import Progress
    from feedsync.config import Workspace


@dataclass
class AppContext:
    """State passed to every command through click's context object."""

    workspace_option: str | None = None
    json_output: bool = False
    verbosity: int = 0
    _workspace: Workspace | None = field(default=None, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)

    @property
    def workspace(self) -> Workspace:
        """The workspace, loaded and validated on first use."""
        if self._workspace is None:
            from feedsync.config import load_workspace

            self._workspace = load_workspace(self.workspace_option)
        return self._workspace

    @property
    def catalog(self) -> Catalog:
        """The workspace's catalog, opened (and migrated) on first use."""
        if self._catalog is None:
            from feedsync.catalog import open_catalog

            self._catalog = open_catalog(self.workspace.db_path)
        return self._catalog

    def emit(self, data: Any, human: str | None = None) -> None:
        """Print a result: ``human`` text by default, ``data`` as one JSON object with --json
        (``"ok": true`` first when the command did not say: every --json answer has ``ok``)."""
        if self.json_output:
            if isinstance(data, dict) and "ok" not in data:
                data = {"ok": True, **data}
            click.echo(dumps_json(data))
        elif human is not None:
            click.echo(human)

    def finish(self, data: dict[str, Any], human: str | None, code: int,
               error: str | None = None) -> None:
        """Print a command's result and exit with ``code``: with --json one object carrying
        ``ok``, ``exit_code`` and (on failure) ``error``; else ``human`` on stdout."""
        if self.json_output:
            payload = {"ok": code == 0, **{k: v for k, v in data.items() if k != "ok"},
                       "exit_code": int(code)}
            if code and error:
                payload["error"] = error
            click.echo(dumps_json(payload))
        else:
            if human is not None:
                click.echo(human)
            if code and error:
                click.echo(f"error: {error}", err=True)
        if code:
            raise click.exceptions.Exit(int(code))

    def info(self, message: str) -> None:
        """A progress/status line on stderr, hidden with -q and in --json mode."""
        if self.verbosity >= 0 and not self.json_output:
            click.echo(message, err=True)

    def show_progress(self) -> bool:
        """Progress bars only on an interactive terminal, never in --json or quiet mode."""
        return sys.stderr.isatty() and not self.json_output and self.verbosity >= 0

    def progress(self, label: str, *, total: int | None = None,
                 unit: str = "items") -> Progress | None:
        """A throttled progress line on stderr, or None when it must not be shown."""
        if not self.show_progress():
            return None
        from feedsync.cli.progress import Progress

        return Progress(label, sys.stderr, total=total, unit=unit)

    def progress_mapper(self, mapper: Any, label: str) -> Any:
        """``mapper`` counting what it maps on the terminal (as is when nothing is shown)."""
        if not self.show_progress():
            return mapper
        from feedsync.cli.progress import Progress, ProgressMapper

        total = self.catalog.count()
        return ProgressMapper(mapper, lambda: Progress(f"{label}: mapping", sys.stderr,
                                                       total=total))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps_json(data: Any) -> str:
    """Serialise command output: Decimals as strings, dates as ISO 8601, keys in order given."""
    return json.dumps(data, default=_default, ensure_ascii=False)


pass_app = click.make_pass_decorator(AppContext)
