"""The channel report: how every channel performs and what it earns after fees (docs/report.md).

``build_report`` gathers the figures, ``render_html`` turns them into one self-contained page,
``write_report`` does both and writes the page atomically.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedsync.report.build import build_report
from feedsync.report.html import render_html

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.config import Workspace


def write_report(workspace: Workspace, db: sqlite_utils.Database, out: Path, *,
                 since: date | None = None, channels: tuple[str, ...] = (),
                 now: datetime | None = None) -> dict[str, Any]:
    """Build the report, write its HTML page to ``out`` atomically, return the figures."""
    from feedsync.feeds.atomic import AtomicFile

    report = build_report(workspace, db, since=since, channels=channels, now=now)
    with AtomicFile(out) as page:  # a browser refreshing the page never sees half of it
        page.stream.write(render_html(report).encode("utf-8"))
        page.commit()
    return report


__all__ = ["build_report", "render_html", "write_report"]
