"""``feedsync validate CHANNEL --remote SKU…``: ask the channel itself about a few SKUs.

A channel offers this with a ``validation`` module in its package exposing
``remote_verdicts(adapter, records) -> Iterable[verdict]`` (Amazon has one). The adapter code
only asks and parses; mapping the SKUs, opening the adapter and printing happen here, so
adapter code never imports the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import click

from feedsync.adapter_factory import open_adapter
from feedsync.cli.context import AppContext, dumps_json
from feedsync.errors import UsageError, ValidationFailed
from feedsync.mapping.engine import ChannelMapper
from feedsync.models import Issue, Severity
from feedsync.registry import optional_channel_module

__all__ = ["Verdict", "run_remote"]


class Verdict(Protocol):
    """What a channel's ``remote_verdicts`` yields per SKU."""

    sku: str
    status: str
    issues: list[Issue]
    asin: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view for ``--json``."""
        ...


def _line(verdict: Verdict, who: str) -> str:
    asin = f" · ASIN {verdict.asin}" if getattr(verdict, "asin", None) else ""
    lines = [f"{verdict.sku}: {who} says {verdict.status}{asin}"]
    for issue in verdict.issues:
        where = f"{issue.field}: " if issue.field else ""
        lines.append(f"  {issue.severity!s:<7} {where}{issue.message} ({issue.code})")
    return "\n".join(lines)


def _failed(verdicts: Sequence[Verdict]) -> list[str]:
    return [v.sku for v in verdicts if any(i.severity is Severity.ERROR for i in v.issues)
            or v.status in ("INVALID", "ERROR")]


def run_remote(app: AppContext, channel: str, skus: list[str]) -> None:
    """Map ``skus``, ask ``channel`` about the included ones, print its verdicts.

    Raises UsageError (no remote validation, no SKU, unknown SKUs) and ValidationFailed (exit 6)
    when the channel reports an error for any SKU.
    """
    workspace = app.workspace
    module = optional_channel_module(channel, "validation", workspace.channel(channel).adapter)
    if module is None or not hasattr(module, "remote_verdicts"):
        raise UsageError(f"{channel} has no remote validation")
    if not skus:
        raise UsageError(f"name the SKUs to check: feedsync validate {channel} --remote SKU…")
    mapper = ChannelMapper.for_workspace(workspace, channel)
    records = {r.sku: r for r in mapper.map_catalog(app.catalog, skus=skus)}
    unknown = [sku for sku in skus if sku not in records]
    if unknown:
        raise UsageError(f"not in the catalog: {', '.join(unknown)}")
    adapter = open_adapter(workspace, app.catalog.db, channel)
    checked = [records[s] for s in skus if records[s].included]
    verdicts: list[Verdict] = list(module.remote_verdicts(adapter, checked))
    verdicts.extend(_not_sent(records[s].sku, records[s].exclusion) for s in skus
                    if not records[s].included)
    failed = _failed(verdicts)
    who = channel.capitalize()
    if app.json_output:
        click.echo(dumps_json({"channel": channel, "remote": True,
                               "skus": [v.as_dict() for v in verdicts], "ok": not failed}))
        if failed:  # the JSON object above is the whole output; only the exit code says more
            click.get_current_context().exit(int(ValidationFailed.exit_code))
        return
    for verdict in verdicts:
        click.echo(_line(verdict, who))
    if failed:
        raise ValidationFailed(f"{who} reported errors for {len(failed)} SKU(s): "
                               f"{', '.join(failed)}")


class _NotSent:
    """A SKU the mapping excludes: not sent to the channel, shown with the reason."""

    def __init__(self, sku: str, reason: str | None) -> None:
        self.sku = sku
        self.status = "NOT_SENT"
        self.asin: str | None = None
        self.issues = [Issue(sku=sku, severity=Severity.WARNING, code="excluded",
                             message=f"not checked: {reason}", source="feedsync")]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view for ``--json``."""
        return {"sku": self.sku, "status": self.status, "asin": None,
                "issues": [{"severity": str(i.severity), "code": i.code, "message": i.message,
                            "field": i.field, "source": i.source} for i in self.issues]}


def _not_sent(sku: str, reason: str | None) -> Verdict:
    return _NotSent(sku, reason)

