"""`feedsync feed build`: write the feed files Google and Meta fetch on a schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feedsync.cli.context import AppContext, dumps_json, pass_app
from feedsync.cli.moments import FORMS, parse_moment
from feedsync.errors import ExitCode, FeedsyncError, GuardrailError, UsageError
from feedsync.feeds.build import FeedResult
from feedsync.feeds.channel import build_channel_feed
from feedsync.sync.feedruns import feed_error_step, feed_step
from feedsync.sync.lock import WorkspaceLock, lock_path
from feedsync.sync.runs import RunJournal

if TYPE_CHECKING:
    from feedsync.cli.progress import Progress


def feed_channels_help() -> str:
    """``google: xml (default), tsv; facebook: csv (default), xml; …``: every built-in channel
    with feed files and its formats, read from the channels themselves (never a fixed list)."""
    from feedsync.registry import builtin_channels, channel_feed

    parts = []
    for name in builtin_channels():
        try:
            formats = list(channel_feed(name))
        except Exception:  # a channel without feed files (or one still being written)
            continue
        if formats:
            parts.append(f"{name}: {formats[0]} (default)" + "".join(f", {f}" for f in
                                                                     formats[1:]))
    return "; ".join(parts)


class _FormatOption(click.Option):
    """--format, whose help lists the channels' formats when help is shown (not at every
    start: that would import every channel's feed module)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = f"The file format. {feed_channels_help()}."
        return super().get_help_record(ctx)


@click.group()
def feed() -> None:
    """Build feed files: the file Google Merchant Center or the Meta catalog fetches, and
    Amazon's JSON_LISTINGS_FEED file for review ('feedsync feed build --help' lists every
    channel's formats)."""


def _parse_as_of(value: str | None) -> datetime:
    return datetime.now(UTC) if value is None else parse_moment(value, "--as-of")


def _channels(app: AppContext, names: tuple[str, ...], all_channels: bool) -> list[str]:
    if names and all_channels:
        raise UsageError("name channels or use --all, not both")
    if all_channels:
        chosen = [name for name in app.workspace.enabled_channels()
                  if app.workspace.channel(name).delivery == "file"]
        if not chosen:
            raise UsageError("no channel has enabled = true and delivery = \"file\" in "
                             f"{app.workspace.config_path}")
        return chosen
    if not names:
        raise UsageError("name a channel (e.g. 'feedsync feed build google') or use --all")
    return list(dict.fromkeys(names))


def _progress(app: AppContext, channel: str) -> Progress | None:
    """A throttled progress line on stderr counting the records, on a terminal only."""
    return app.progress(channel, total=app.catalog.count())


def _describe(result: FeedResult) -> str:
    head = f"{result.channel}: "
    counts = f"{result.items} items"
    if result.skipped:
        sample = ", ".join(result.skipped_sample[:5])
        more = ", …" if result.skipped > len(result.skipped_sample[:5]) else ""
        counts += (f"; {result.skipped} SKUs left out for errors ({sample}{more}; "
                   f"see 'feedsync validate {result.channel}')")
    if result.excluded:
        counts += f"; {result.excluded} excluded by filters or overrides"
    if result.with_warnings:
        counts += f"; {result.with_warnings} sent with warnings"
    if result.published:
        line = f"{head}published {result.path} ({result.format}"
        line += ", gzip" if result.gzip else ""
        line += f", {result.size:,} bytes): {counts}"
        if result.gate.forced:
            line += f"\n  forced past the publish gate: {result.gate.reason}"
    else:
        kept = result.gate.previous
        if result.previous_source == "none":
            keeps = "no file was written (none was published before)"
        else:
            keeps = f"{result.path} is unchanged" + (
                f" and still holds {kept} items" if kept is not None else "")
        line = (f"{head}NOT published: {result.gate.reason}; {keeps}. The new feed had "
                f"{counts}. Check 'feedsync validate {result.channel}', then rerun with "
                "--force if this is intended.")
    for kind, note in result.notes.as_dict().items():
        line += f"\n  note: {kind.replace('_', ' ')}: {note['count']} value(s)"
        examples = note["sample"]
        if isinstance(examples, list) and examples:
            line += f" (e.g. {', '.join(examples[:3])})"
    return line


@feed.command("build")
@click.argument("channels", nargs=-1)
@click.option("--all", "all_channels", is_flag=True,
              help='Every channel with enabled = true and delivery = "file".')
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to publish (one channel only). Default: "
                   "<output dir>/<channel>.<format>[.gz].")
@click.option("--format", "format_name", metavar="FORMAT", cls=_FormatOption)
@click.option("--gzip", "compress", is_flag=True, help="Compress the file (reproducibly).")
@click.option("--force", is_flag=True,
              help="Publish even when the publish gate refuses (an empty feed, or more items "
                   "gone than [channels.<name>.guardrails] max_feed_drop_share allows, "
                   "default 30 %).")
@click.option("--as-of", metavar="WHEN",
              help=f"Evaluate sale dates at WHEN instead of now (reproducible builds): {FORMS}.")
@click.option("--strict", is_flag=True,
              help="Exit 3 (partial) when any SKU was left out for errors.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Processes that map the catalog, each a range of SKUs (default: [feeds] "
                   "workers in feedsync.toml, else the machine's cores, at most 8; 1 = this "
                   "process only). The file is the same byte for byte; catalogs under 5,000 "
                   "SKUs per process use fewer.")
@pass_app
def build(app: AppContext, channels: tuple[str, ...], all_channels: bool, out: Path | None,
          format_name: str | None, compress: bool, force: bool, as_of: str | None,
          strict: bool, workers: int | None) -> None:
    """Build and publish the feed file of each CHANNEL (any channel with feed formats; see
    --format).

    The file is written beside its target and renamed over it only when complete, so the
    platform never fetches half a feed. SKUs with validation errors are left out and counted
    ('feedsync validate CHANNEL' lists them). The publish gate keeps the previous file when the
    new one is empty or has lost too many items.
    """
    names = _channels(app, channels, all_channels)
    if out is not None and len(names) > 1:
        raise UsageError("--out names one file: build one channel at a time with it")
    now = _parse_as_of(as_of)
    results: list[FeedResult] = []
    failed: list[tuple[str, FeedsyncError]] = []
    # The workspace's run lock: two cron jobs never build (or push) at once; a busy lock exits
    # 75 (try later). `feedsync sync` builds file feeds inside the lock it already holds.
    with WorkspaceLock(lock_path(app.workspace.db_path), "feed build"):
        # Journaled like a push, so `feedsync status` tells what each file channel lists.
        journal = RunJournal(app.catalog.db, "feed build")
        account = {name: app.workspace.channel(name).account for name in names}
        for channel in names:
            try:  # one channel's broken mapping or settings never keeps the others' feeds back
                result = build_channel_feed(
                    app.workspace, app.catalog, channel, now=now, format_name=format_name,
                    target=out, compress=compress, force=force,
                    progress=_progress(app, channel), workers=workers,
                )
            except FeedsyncError as exc:
                journal.add(feed_error_step(channel, account[channel], exc))
                failed.append((channel, exc))
                if not app.json_output:
                    problems = list(getattr(exc, "problems", []) or [])
                    click.echo("\n".join([f"{channel}: error: {exc.message}",
                                          *(f"  - {p}" for p in problems)]), err=True)
                continue
            journal.add(feed_step(channel, account[channel], result, app.workspace.root))
            results.append(result)
            if not app.json_output:
                click.echo(_describe(result))
        journal.finish()
    refused = [r for r in results if not r.published]
    skipped = sum(r.skipped for r in results)
    code = (ExitCode.GUARDRAIL if refused else failed[0][1].exit_code if failed
            else ExitCode.PARTIAL if strict and skipped else ExitCode.OK)
    if app.json_output:
        feeds = [r.as_dict() for r in results]
        feeds += [{"channel": channel, "published": False, "error": exc.message,
                   "kind": type(exc).__name__,
                   "problems": list(getattr(exc, "problems", []) or [])}
                  for channel, exc in failed]
        data: dict[str, Any] = {"ok": code == ExitCode.OK, "exit_code": int(code),
                                "feeds": feeds}
        if refused:
            data["error"] = "; ".join(f"{r.channel}: {r.gate.reason}" for r in refused)
        click.echo(dumps_json(data))
    elif refused:
        raise GuardrailError(
            "publish gate refused " + ", ".join(f"{r.channel} ({r.path})" for r in refused)
            + "; the previous files are unchanged (use --force after checking)"
        )
    if code:
        raise click.exceptions.Exit(int(code))
