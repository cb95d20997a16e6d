"""`feedsync validate`, `feedsync preview` and `feedsync explain`: what a mapping does, and why.

``validate`` streams the whole catalog through each channel's mapping and lists every SKU with an
issue (and, with ``--show-excluded``, every SKU left out); it exits 6 when any error exists, so
it can gate a CI job or a cron run. Output is written as it is produced (``--json`` too), so a
million SKUs do not pile up in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import click

from feedsync.cli.context import AppContext, dumps_json, pass_app
from feedsync.errors import ExitCode, UsageError, ValidationFailed
from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.record import MappedRecord
from feedsync.models import Issue, Severity


def issue_view(issue: Issue) -> dict[str, Any]:
    """An issue as JSON."""
    return {"sku": issue.sku, "severity": str(issue.severity), "field": issue.field,
            "code": issue.code, "message": issue.message, "rule": issue.rule}


def issue_line(issue: Issue) -> str:
    """An issue as one human line."""
    where = f"{issue.field}: " if issue.field else ""
    rule = f"  [{issue.rule}]" if issue.rule else ""
    return f"{issue.severity!s:<7} {where}{issue.message} ({issue.code}){rule}"


@dataclass
class ChannelSummary:
    """Counts for one channel's validation run."""

    channel: str
    version: str
    products: int = 0
    sendable: int = 0
    excluded: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    exclusions: Counter[str] = field(default_factory=Counter)

    def add(self, record: MappedRecord) -> None:
        """Count one record."""
        self.products += 1
        if not record.included:
            self.excluded += 1
            self.exclusions[record.exclusion or "excluded"] += 1
            return
        if record.has_errors:
            self.with_errors += 1
        else:
            self.sendable += 1
        if any(i.severity is Severity.WARNING for i in record.issues):
            self.with_warnings += 1
        for issue in record.issues:
            self.by_code[f"{issue.severity}:{issue.code}"] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"channel": self.channel, "mapping_version": self.version,
                "products": self.products, "sendable": self.sendable,
                "excluded": self.excluded, "with_errors": self.with_errors,
                "with_warnings": self.with_warnings, "issues_by_code": dict(self.by_code),
                "excluded_by_reason": dict(self.exclusions)}

    def human(self) -> str:
        """A short human summary."""
        lines = [f"{self.channel}: {self.products} products · {self.sendable} sendable · "
                 f"{self.with_errors} with errors (not sent) · {self.excluded} excluded · "
                 f"{self.with_warnings} with warnings"]
        for key, count in sorted(self.by_code.items()):
            severity, code = key.split(":", 1)
            lines.append(f"  {count:>7}  {severity:<7} {code}")
        for reason, count in sorted(self.exclusions.items()):
            lines.append(f"  {count:>7}  excluded {reason}")
        return "\n".join(lines)


def _mapper(app: AppContext, channel: str) -> ChannelMapper:
    return ChannelMapper.for_workspace(app.workspace, channel)


def _is_channel(app: AppContext, name: str) -> bool:
    """Whether ``name`` is a built-in channel or one configured in feedsync.toml."""
    from feedsync.registry import builtin_channels

    return name in builtin_channels() or name in app.workspace.settings.channels


@click.command("validate")
@click.argument("channels", nargs=-1)
@click.option("--json", "json_flag", is_flag=True,
              help="One JSON object (same as feedsync --json).")
@click.option("--show-excluded", is_flag=True, help="List every SKU left out, with the reason.")
@click.option("--warnings/--no-warnings", default=True, show_default=True,
              help="List SKUs whose only issues are warnings.")
@click.option("--remote", is_flag=True,
              help="Ask the channel itself about the SKUs named after it: "
                   "'validate amazon --remote SKU…' (nothing is changed).")
@pass_app
@click.pass_context
def validate(ctx: click.Context, app: AppContext, channels: tuple[str, ...], json_flag: bool,
             show_excluded: bool, warnings: bool, remote: bool) -> None:
    """Map the catalog for each CHANNEL (default: the enabled ones) and list every issue.

    Exits 6 when any SKU has an error: such a SKU is never sent.
    """
    app.json_output = app.json_output or json_flag
    if remote:  # the channel package's validation.remote_verdicts asks (Amazon has one)
        from feedsync.cli.remote_validate import run_remote

        if not channels:
            raise UsageError("--remote needs a channel and SKUs: validate amazon --remote SKU…")
        if not _is_channel(app, channels[0]):  # `validate --remote SKU`: a usage mistake
            raise UsageError("name the channel first: feedsync validate amazon --remote "
                             f"{' '.join(channels)}")
        run_remote(app, channels[0], list(channels[1:]))
        return
    names = list(channels) or app.workspace.enabled_channels()
    if not names:
        raise UsageError("no channel given and none is enabled in feedsync.toml")
    mappers = [_mapper(app, name) for name in names]  # every mapping file checked up front
    catalog = app.catalog
    errors = 0
    out = click.echo
    if app.json_output:
        out('{"channels": [', nl=False)
    for position, mapper in enumerate(mappers):
        summary = ChannelSummary(mapper.channel, mapper.version)
        if app.json_output:
            out(("," if position else "") + '{"channel": ' + dumps_json(mapper.channel)
                + ', "skus": [', nl=False)
        else:
            out(f"== {mapper.channel} ({app.workspace.mapping_path(mapper.channel)})")
        listed = 0
        records = mapper.map_catalog(catalog)
        progress = app.progress(f"validate {mapper.channel}", total=catalog.count())
        for record in records if progress is None else progress.wrap(records):
            summary.add(record)
            shown = _listed(record, show_excluded, warnings)
            if not shown:
                continue
            if app.json_output:
                out(("," if listed else "") + dumps_json(_record_view(record)), nl=False)
            else:
                out(_record_human(record))
            listed += 1
        errors += summary.with_errors
        if app.json_output:
            out('], "summary": ' + dumps_json(summary.as_dict()) + "}", nl=False)
        else:
            out(summary.human())
    if app.json_output:
        code = int(ExitCode.VALIDATION) if errors else 0
        failure = (', "error": ' + dumps_json(f"{errors} SKU(s) have errors and will not be sent")
                   if errors else "")
        out(f'], "ok": {"false" if errors else "true"}, "skus_with_errors": {errors}, '
            f'"exit_code": {code}{failure}}}')
        if errors:
            ctx.exit(code)
        return
    if errors:
        raise ValidationFailed(f"{errors} SKU(s) have errors and will not be sent")


def _listed(record: MappedRecord, show_excluded: bool, warnings: bool) -> bool:
    if not record.included:
        return show_excluded
    if record.has_errors:
        return True
    return warnings and bool(record.issues)


def _record_view(record: MappedRecord) -> dict[str, Any]:
    return {"sku": record.sku, "sendable": record.sendable, "included": record.included,
            "exclusion": record.exclusion, "issues": [issue_view(i) for i in record.issues]}


def _record_human(record: MappedRecord) -> str:
    if not record.included:
        return f"{record.sku}: not sent: {record.exclusion}"
    state = "not sent" if record.has_errors else "sent"
    lines = [f"{record.sku} ({state})"]
    lines.extend(f"  {issue_line(issue)}" for issue in record.issues)
    return "\n".join(lines)


def _map_one(app: AppContext, channel: str, sku: str) -> tuple[ChannelMapper, MappedRecord]:
    mapper = _mapper(app, channel)
    catalog = app.catalog
    records = list(mapper.map_catalog(catalog, skus=[sku], explain=True))
    if not records:
        raise UsageError(f"SKU {sku!r} is not in the catalog")
    return mapper, records[0]


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


@click.command("preview")
@click.argument("channel")
@click.argument("sku")
@pass_app
def preview(app: AppContext, channel: str, sku: str) -> None:
    """Show SKU's record exactly as CHANNEL will receive it (or why it will not be sent)."""
    mapper, record = _map_one(app, channel, sku)
    data = {"channel": mapper.channel, "sku": record.sku, "sendable": record.sendable,
            "included": record.included, "exclusion": record.exclusion,
            "fields": record.fields, "issues": [issue_view(i) for i in record.issues]}
    if record.sendable:
        head = f"{mapper.channel} · {record.sku}: sent as"
    elif not record.included:
        head = f"{mapper.channel} · {record.sku}: NOT SENT ({record.exclusion}); it would be"
    else:
        head = f"{mapper.channel} · {record.sku}: NOT SENT (errors below); it would be"
    width = max((len(name) for name in record.fields), default=0)
    lines = [head]
    for name, value in record.fields.items():
        if isinstance(value, list):
            lines.append(f"  {name:<{width}}  {value[0] if value else ''}")
            lines.extend(f"  {'':<{width}}  {item}" for item in value[1:])
        else:
            lines.append(f"  {name:<{width}}  {value}")
    if record.issues:
        lines.append("issues:")
        lines.extend(f"  {issue_line(issue)}" for issue in record.issues)
    app.emit(data, "\n".join(lines))


@click.command("explain")
@click.argument("channel")
@click.argument("sku")
@pass_app
def explain(app: AppContext, channel: str, sku: str) -> None:
    """Show, field by field, how SKU's record for CHANNEL is made and why it is (not) sent."""
    mapper, record = _map_one(app, channel, sku)
    decision = next((s.after for s in record.trace if s.field == "(record)"), None)
    groups: dict[str, list[dict[str, Any]]] = {}
    for step in record.trace:
        if step.field == "(record)":
            continue
        groups.setdefault(step.field, []).append(
            {"rule": step.rule, "before": step.before, "after": step.after})
    issues_by_field: dict[str | None, list[Issue]] = {}
    for issue in record.issues:
        issues_by_field.setdefault(issue.field, []).append(issue)
    for name in record.fields:  # overrides and variants may add fields without a [fields] rule
        groups.setdefault(name, [])
    fields_view: list[dict[str, Any]] = [
        {"field": name, "steps": steps, "final": record.fields.get(name),
         "sent": name in record.fields,
         "issues": [issue_view(i) for i in issues_by_field.get(name, [])]}
        for name, steps in groups.items()
    ]
    other_issues = [issue_view(i) for i in issues_by_field.get(None, [])]
    data = {"channel": mapper.channel, "sku": record.sku, "included": record.included,
            "exclusion": record.exclusion, "decision": decision, "sendable": record.sendable,
            "mapping_version": mapper.version, "fields": fields_view, "issues": other_issues}
    state = "sent" if record.sendable else "NOT SENT"
    lines = [f"{mapper.channel} · {record.sku}: {state}",
             f"  {'included' if record.included else 'excluded'}: {decision}"]
    for view in fields_view:
        lines.append(view["field"])
        for item in view["steps"]:
            before = "" if item["before"] is None else f"{_show(item['before'])} → "
            lines.append(f"  {item['rule']}: {before}{_show(item['after'])}")
        final = _show(view["final"]) if view["sent"] else "(empty: not sent)"
        lines.append(f"  = {final}")
        lines.extend(f"  ! {issue_line(issue)}" for issue in issues_by_field.get(view["field"], []))
    for issue in issues_by_field.get(None, []):
        lines.append(f"! {issue_line(issue)}")
    app.emit(data, "\n".join(lines))
