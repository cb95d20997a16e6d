"""`feedsync plan`, `push`, `status` and `sync`: the sync engine's commands (feedsync.sync).

Large outputs stream: a plan's per-SKU changes and a dry run's payloads are written as they are
read, also in ``--json`` mode (one JSON object, written piece by piece).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feedsync.cli.context import AppContext, dumps_json, pass_app
from feedsync.errors import ExitCode, FeedsyncError, GuardrailError, UsageError
from feedsync.sync import report
from feedsync.sync.channels import ChannelBinding, bind_channel
from feedsync.sync.plan import PlanRow, build_plan

if TYPE_CHECKING:
    from feedsync.sync.batching import Outgoing
    from feedsync.sync.push import PushOptions
    from feedsync.sync.runs import StepResult

# feedsync.sync.runner (orders, feeds, lxml …), feedsync.sync.push (the adapter kit, the HTTP
# stack) and feedsync.sync.status are imported by the commands that run them, so `feedsync
# plan` starts without them (issue #19).

_json_option = click.option("--json", "json_flag", is_flag=True,
                            help="One JSON object on stdout (same as feedsync --json).")
_full_option = click.option(
    "--full", is_flag=True,
    help="Compare every SKU's inputs with the catalog instead of trusting the change stamps "
         "(a consistency check; the usual plan reads only what changed).")


def _api_channels(app: AppContext, names: tuple[str, ...]) -> list[str]:
    ws = app.workspace
    if names:
        unknown = [n for n in names if n not in ws.settings.channels]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not configured in {ws.config_path}")
        return list(dict.fromkeys(names))
    chosen = [n for n in ws.enabled_channels() if ws.channel(n).delivery == "api"]
    if not chosen:
        raise UsageError(f'no channel has enabled = true and delivery = "api" in '
                         f"{ws.config_path}; file channels use `feedsync feed build`")
    return chosen


@click.command("plan")
@click.argument("channels", nargs=-1)
@click.option("--sku", "skus", multiple=True, metavar="SKU", help="Only these SKUs (repeat).")
@click.option("--limit", default=50, show_default=True,
              help="Per-SKU lines in the human output (0: all).")
@_full_option
@_json_option
@pass_app
def plan(app: AppContext, channels: tuple[str, ...], skus: tuple[str, ...], limit: int,
         full: bool, json_flag: bool) -> None:
    """Show what `feedsync push` would do for each CHANNEL (default: enabled API channels).

    Only SKUs whose catalog data, stock, overrides, sale dates or mapping changed are rendered.
    Exits 5 when a plan breaks a guardrail (push would refuse it without --force).
    """
    app.json_output = app.json_output or json_flag
    catalog = app.catalog
    names = _api_channels(app, channels)
    refused: list[str] = []
    failed: list[FeedsyncError] = []
    if app.json_output:
        click.echo('{"channels": [', nl=False)
    for index, name in enumerate(names):
        sep = "," if index else ""
        if app.workspace.channel(name).delivery != "api":
            note = f"{name}: delivery = file: no listings to plan (`feedsync feed build {name}`)"
            _say(app, sep, {"channel": name, "skipped": note}, note)
            continue
        try:  # one channel's broken mapping or settings never hides the others' plans
            # the mapping compiles only if the plan renders a SKU or last checked it on
            # other code (feedsync.sync.plan._check_mapping; a no-op plan stays cheap, #19)
            binding = bind_channel(app.workspace, catalog.db, name, defer_mapping=True)
            binding.mapper = app.progress_mapper(binding.mapper, f"plan {name}")
            built = build_plan(binding, catalog, skus=list(skus) or None, full=full)
        except FeedsyncError as exc:
            failed.append(exc)
            problems = list(getattr(exc, "problems", []) or [])
            _say(app, sep, {"channel": name, "error": exc.message, "problems": problems},
                 "\n".join([f"{name}: error: {exc.message}", *(f"  - {p}" for p in problems)]))
            continue
        try:
            if built.violations:
                refused.append(name)
            if app.json_output:
                head = dumps_json(built.summary())[:-1]
                click.echo(sep + head + ', "changes": [', nl=False)
                for n, row in enumerate(built.rows()):
                    click.echo(("," if n else "") + dumps_json(report.change_json(row)),
                               nl=False)
                click.echo("]}", nl=False)
            else:
                for line in report.plan_lines(built, limit):
                    click.echo(line)
        finally:
            built.close()
    code = ExitCode.GUARDRAIL if refused else (failed[0].exit_code if failed else ExitCode.OK)
    if app.json_output:
        error = "; ".join([*(f"{name}: the plan breaks a guardrail" for name in refused),
                           *(exc.message for exc in failed)])
        click.echo(f'], "ok": {"false" if code else "true"}, "exit_code": {int(code)}'
                   + (', "error": ' + dumps_json(error) if code else "") + "}")
    elif refused:
        raise GuardrailError(f"the plan of {', '.join(refused)} breaks a guardrail: push "
                             "refuses it unless --force")
    if code:
        raise click.exceptions.Exit(int(code))


def _say(app: AppContext, sep: str, data: dict[str, Any], human: str) -> None:
    """One channel's entry: a JSON array element, or text."""
    if app.json_output:
        click.echo(sep + dumps_json(data), nl=False)
    else:
        click.echo(human)


class _Printer:
    """Prints dry-run batches and step results as they come, in text or streamed JSON."""

    def __init__(self, app: AppContext, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.items_shown = 0
        self.batches = 0

    def batch(self, channel: str, outgoing: Outgoing[PlanRow]) -> None:
        self.batches += 1
        items = outgoing.batch.items
        if self.app.json_output:  # the object opens with the first batch (after the lock)
            click.echo(('{"batches": [' if self.batches == 1 else ",") + dumps_json({
                "channel": channel, "items": len(items), "bytes": outgoing.size,
                "payloads": [{"sku": i.sku, "action": i.action.value, "size": i.size,
                              "payload": report.payload_json(i.payload)} for i in items],
            }), nl=False)
            return
        click.echo(f"{channel}: batch {self.batches}: {len(items)} item(s), "
                   f"{outgoing.size} bytes")
        for item in items:
            if self.limit and self.items_shown >= self.limit:
                break
            self.items_shown += 1
            click.echo(f"  {item.action.value:<15}{item.sku} ({item.size} B) "
                       f"{report.payload_text(item.payload)}")

    def result(self, result: StepResult) -> None:
        if not self.app.json_output:
            for line in report.result_lines(result):
                click.echo(line)

    def finish(self, data: dict[str, Any]) -> None:
        if self.app.json_output:
            opened = '{"batches": [' if self.batches == 0 else ""
            click.echo(opened + "], " + dumps_json(data)[1:])
        else:
            if self.limit and self.items_shown >= self.limit:
                click.echo(f"(payloads of the first {self.limit} items shown; --limit 0 or "
                           "--json shows all)")
            click.echo(f"run {data['run']}: exit {data['exit_code']}")


def _run(app: AppContext, command: str, steps: Any, channels: list[str] | None,
         options: PushOptions, limit: int, report_path: Path | None = None) -> None:
    from feedsync.sync.runner import run_steps

    printer = _Printer(app, limit)
    options.on_batch = printer.batch
    def bind(name: str) -> ChannelBinding:  # progress on a terminal while each maps
        binding = bind_channel(app.workspace, app.catalog.db, name)
        binding.mapper = app.progress_mapper(binding.mapper, f"{command} {name}")
        return binding

    run = run_steps(app.workspace, app.catalog, command, steps, options, channels=channels,
                    on_result=printer.result, binder=bind if app.show_progress() else None)
    if run.took_over:
        app.info("note: took over the lock of a run that died (its journal row is 'crashed')")
    data = run.as_dict()
    if run.exit_code != ExitCode.OK:
        data["error"] = "; ".join(r.message for r in run.results
                                  if r.outcome.value not in ("ok", "skipped")) or "failed"
    if report_path is not None:
        data["report"] = _refresh_report(app, report_path)
    printer.finish(data)
    if run.exit_code != ExitCode.OK:
        raise click.exceptions.Exit(int(run.exit_code))


def _refresh_report(app: AppContext, path: Path) -> dict[str, Any]:
    """``sync --report FILE``: rewrite the channel report after the run; a report that cannot
    be written is said, and never changes the run's own exit code."""
    from feedsync.report import write_report

    target = path if path.is_absolute() else Path.cwd() / path
    try:
        write_report(app.workspace, app.catalog.db, target)
    except (FeedsyncError, OSError) as exc:
        app.info(f"warning: the report {target} was not written: {exc}")
        return {"out": str(target), "ok": False, "error": str(exc)}
    app.info(f"report written to {target}")
    return {"out": str(target), "ok": True}


_push_options = [
    click.option("--dry-run", is_flag=True,
                 help="Render and show exactly what would be sent; send nothing."),
    click.option("--force", is_flag=True, help="Push even when a plan breaks a guardrail."),
    click.option("--wait", default=120.0, show_default=True, metavar="SECONDS",
                 help="How long to poll asynchronous results in this run (the next run "
                      "resumes the rest)."),
    click.option("--limit", default=20, show_default=True,
                 help="Dry run: payloads printed in the human output (0: all)."),
    _full_option,
    _json_option,
]


def _with_push_options(fn: Any) -> Any:
    for option in reversed(_push_options):
        fn = option(fn)
    return fn


@click.command("push")
@click.argument("channels", nargs=-1)
@_with_push_options
@pass_app
def push(app: AppContext, channels: tuple[str, ...], dry_run: bool, force: bool, wait: float,
         limit: int, full: bool, json_flag: bool) -> None:
    """Send each CHANNEL's plan (default: enabled API channels) in batches.

    Holds the workspace lock (a second run exits 75 at once). Exit codes: 0 all went through,
    3 partial (rejected SKUs or a failed channel), 4 credentials or configuration need a human,
    5 refused by a guardrail, 75 try again later.
    """
    app.json_output = app.json_output or json_flag
    names = _api_channels(app, channels)
    from feedsync.sync.push import PushOptions
    from feedsync.sync.runner import push_step

    _run(app, "push", [("push", push_step)], names,
         PushOptions(dry_run=dry_run, force=force, wait=wait, full=full), limit)


@click.command("sync")
@_with_push_options
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Rewrite the HTML channel report (feedsync report) after the run.")
@pass_app
def sync(app: AppContext, dry_run: bool, force: bool, wait: float, limit: int, full: bool,
         json_flag: bool, report_path: Path | None) -> None:
    """The cron job, for every enabled channel: pull orders first and push the quantities
    they changed to every channel that lists those SKUs, then push the planned changes of API
    channels, then build the feed files of file channels (docs/sync.md).

    Holds the workspace lock (a second run exits 75 at once). Exit codes as for push."""
    app.json_output = app.json_output or json_flag
    from feedsync.sync.push import PushOptions
    from feedsync.sync.runner import SYNC_STEPS

    _run(app, "sync", SYNC_STEPS, None,
         PushOptions(dry_run=dry_run, force=force, wait=wait, full=full), limit, report_path)


@click.command("status")
@click.argument("channels", nargs=-1)
@click.option("--rejected", "show_rejected", is_flag=True,
              help="List the rejected SKUs with the channel's issues.")
@click.option("--limit", default=50, show_default=True, help="Rejected SKUs listed per channel.")
@_json_option
@pass_app
def status(app: AppContext, channels: tuple[str, ...], show_rejected: bool, limit: int,
           json_flag: bool) -> None:
    """Per channel: listed (a file channel: the items of its published feed), pending,
    rejected (top issue codes), orders, the last real run, a dry run made since, and each step
    still failing since its last success."""
    app.json_output = app.json_output or json_flag
    from feedsync.sync.status import rejected_listings, workspace_status

    rows = workspace_status(app.workspace, app.catalog.db, channels)
    if show_rejected:
        for row in rows:
            row["rejected_skus"] = rejected_listings(app.catalog.db, row["channel"],
                                                     row["account"], limit)
    lines = list(report.status_lines(rows))
    if show_rejected:
        for row in rows:
            for entry in row["rejected_skus"]:
                issues = "; ".join(f"{i.get('code')}: {i.get('message')}"
                                   for i in entry["issues"])
                lines.append(f"{row['channel']}: rejected {entry['sku']}: {issues}")
    app.emit({"ok": True, "channels": rows}, "\n".join(lines))
