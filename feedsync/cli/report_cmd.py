"""``feedsync report``: one HTML page of how every channel performs (feedsync/report)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import UsageError


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value!r}: give a date as YYYY-MM-DD") from None


@click.command("report")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the page (default: <output dir>/report.html).")
@click.option("--since", "since", metavar="YYYY-MM-DD",
              help="First day of the period (default: 30 days ago; days are UTC).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable; default: every configured channel).")
@click.option("--json", "json_flag", is_flag=True,
              help="One JSON object on stdout with every figure (same as feedsync --json).")
@pass_app
def report(app: AppContext, out: Path | None, since: str | None, channels: tuple[str, ...],
           json_flag: bool) -> None:
    """Write a self-contained HTML report: listings, rejections, orders, revenue, fees, cost of
    goods and margin per channel and day, oversells, fast-path latency and the last runs."""
    from feedsync.report import write_report

    app.json_output = app.json_output or json_flag
    workspace = app.workspace
    first = _since(since)
    unknown = [c for c in channels if c not in workspace.settings.channels]
    if unknown:
        configured = ", ".join(workspace.settings.channels) or "none"
        raise UsageError(f"--channel {', '.join(unknown)}: not configured in feedsync.toml "
                         f"(configured: {configured})")
    target = out or workspace.output_dir / "report.html"
    if not target.is_absolute():
        target = Path.cwd() / target
    figures = write_report(workspace, app.catalog.db, target, since=first, channels=channels)
    lines = [f"report written to {target} ({figures['since']} to {figures['until']})"]
    for row in figures["summary"]:
        lines.append(f"  {row['channel']}: listed {row['listed']}, orders {row['orders']}, "
                     f"revenue {row['revenue']} {figures['currency']}, "
                     f"margin {row['margin']} {figures['currency']}")
    app.emit({"ok": True, "out": str(target), **figures}, "\n".join(lines))
