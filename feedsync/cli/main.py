"""The root `feedsync` group: global options, logging, and the one place errors become exit codes.

Exit codes (documented in the README):
0 ok · 1 error · 2 usage · 3 partial success · 4 config/auth needs a human ·
5 refused by a guardrail · 6 validation errors found · 75 transient, try later.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import Any

import click

from feedsync import __version__
from feedsync.cli.context import AppContext, dumps_json
from feedsync.cli.lazy import LazyCommand, LazyGroup
from feedsync.errors import ExitCode, FeedsyncError, TransientError, redact


class RedactingFilter(logging.Filter):
    """Scrub secrets from every log record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure_logging(verbosity: int) -> None:
    """Log to stderr: warnings by default, info with -v, debug with -vv; always redacted."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


JSON_FLAG = "--json"


def hoist_json_flag(args: list[str]) -> list[str]:
    """``--json`` anywhere on the command line (before ``--``) becomes the global option.

    One convention for every command, present and future: ``feedsync --json sync`` and
    ``feedsync sync --json`` mean the same, whichever group the command lives in.
    """
    end = args.index("--") if "--" in args else len(args)
    if JSON_FLAG not in args[:end]:
        return args
    rest = [arg for arg in args[:end] if arg != JSON_FLAG]
    return [JSON_FLAG, *rest, *args[end:]]


class FeedsyncGroup(LazyGroup):
    """The root group: the one place errors become a message (or one JSON object) and an exit
    code, and where ``--json`` is understood in any position (:func:`hoist_json_flag`)."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run the CLI; with ``--json``, a usage error is one JSON object on stdout too."""
        argv = hoist_json_flag(list(sys.argv[1:] if args is None else args))
        if not standalone_mode or JSON_FLAG not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # bad arguments, a missing file …
            _print_json_error(exc.format_message(), type(exc).__name__, exc.exit_code)
            sys.exit(exc.exit_code)
        except click.Abort:
            _print_json_error("aborted", "Abort", 1)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FeedsyncError as exc:
            _report_error(ctx, exc)
            ctx.exit(int(exc.exit_code))
        except sqlite3.OperationalError as exc:
            # Another process kept the database busy past the busy timeout: transient, exit 75
            # with a message, never a traceback (issue #16). Other SQLite errors are bugs.
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            busy = TransientError(f"the workspace database is busy ({exc}); another feedsync "
                                  "process is writing it: try again in a minute")
            _report_error(ctx, busy)
            ctx.exit(int(busy.exit_code))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: a --json reader still gets one object
            app = ctx.find_object(AppContext)
            if app is None or not app.json_output:
                raise
            logging.getLogger("feedsync").error("internal error", exc_info=True)
            _print_json_error(redact(f"internal error: {exc!r}"), "InternalError", 1)
            ctx.exit(1)


def _print_json_error(message: str, kind: str, code: int,
                      problems: list[str] | None = None) -> None:
    click.echo(dumps_json({"ok": False, "error": message, "kind": kind, "exit_code": code,
                           "problems": problems or []}))


def _report_error(ctx: click.Context, exc: FeedsyncError) -> None:
    problems: list[str] = list(getattr(exc, "problems", []) or [])
    app = ctx.find_object(AppContext)
    if app is not None and app.json_output:
        _print_json_error(exc.message, type(exc).__name__, int(exc.exit_code), problems)
        return
    click.echo(f"error: {exc.message}", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)


@click.group(cls=FeedsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="feedsync")
@click.option(
    "--workspace", "-w", envvar="FEEDSYNC_WORKSPACE", metavar="DIR",
    help="Workspace folder holding feedsync.toml (default: $FEEDSYNC_WORKSPACE, then the cwd).",
)
@click.option("--json", "json_output", is_flag=True, help="Print one JSON object (for scripts).")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, json_output: bool, verbose: int,
        quiet: bool) -> None:
    """feedsync: one catalog, every marketplace."""
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    ctx.obj = AppContext(workspace_option=workspace, json_output=json_output, verbosity=verbosity)


# Each command module owns one area; adding a command is one line here. Modules are imported
# only when their command runs (feedsync/cli/lazy.py); the sentence is the first of its help.
FeedsyncGroup.lazy_commands = {
    "init": LazyCommand("feedsync.cli.init_cmd", "init",
                        "Create a workspace in DIRECTORY (default: the current folder)."),
    "catalog": LazyCommand("feedsync.cli.catalog_cmds", "catalog",
                           "Work with the product catalog (the source of truth)."),
    "feed": LazyCommand("feedsync.cli.feed_cmds", "feed",
                        "Build feed files: the file Google Merchant Center or the Meta catalog "
                        "fetches, and Amazon's JSON_LISTINGS_FEED file for review ('feedsync "
                        "feed build --help' lists every channel's formats)."),
    "validate": LazyCommand("feedsync.cli.mapping_cmds", "validate",
                            "Map the catalog for each CHANNEL (default: the enabled ones) and "
                            "list every issue."),
    "preview": LazyCommand("feedsync.cli.mapping_cmds", "preview",
                           "Show SKU's record exactly as CHANNEL will receive it (or why it will "
                           "not be sent)."),
    "explain": LazyCommand("feedsync.cli.mapping_cmds", "explain",
                           "Show, field by field, how SKU's record for CHANNEL is made and why it "
                           "is (not) sent."),
    "orders": LazyCommand("feedsync.cli.orders_cmds", "orders",
                          "Pull orders, list and export them, send shipments back."),
    "reconcile": LazyCommand("feedsync.cli.orders_cmds", "reconcile",
                             "Compare what CHANNEL shows now (quantity, price, presence) with what "
                             "feedsync expects and print the drift; --fix plans the corrections."),
    "plan": LazyCommand("feedsync.cli.sync_cmds", "plan",
                        "Show what `feedsync push` would do for each CHANNEL (default: enabled API "
                        "channels)."),
    "push": LazyCommand("feedsync.cli.sync_cmds", "push",
                        "Send each CHANNEL's plan (default: enabled API channels) in batches."),
    "settle": LazyCommand("feedsync.cli.settle_cmd", "settle",
                          "Settle a batch whose answer was lost, after checking the channel: "
                          "--arrived HANDLE adopts it, --not-arrived plans its SKUs again."),
    "status": LazyCommand("feedsync.cli.sync_cmds", "status",
                          "Per channel: listed (a file channel: the items of its published feed), "
                          "pending, rejected (top issue codes), orders, the last real run, a dry "
                          "run made since, and each step still failing since its last success."),
    "sync": LazyCommand("feedsync.cli.sync_cmds", "sync",
                        "The cron job, for every enabled channel: pull orders first and push the "
                        "quantities they changed to every channel that lists those SKUs, then "
                        "push the planned changes of API channels, then build the feed files of "
                        "file channels (docs/sync.md)."),
    "report": LazyCommand("feedsync.cli.report_cmd", "report",
                          "Write a self-contained HTML report: listings, rejections, orders, "
                          "revenue, fees, cost of goods and margin per channel and day, oversells, "
                          "fast-path latency and the last runs."),
    "sandbox": LazyCommand("feedsync.cli.sandbox_cmds", "sandbox",
                           "The marketplaces emulated on 127.0.0.1: try everything offline."),
    "local-inventory": LazyCommand("feedsync.cli.local_cmds", "local_inventory",
                                   "Google local inventory: in-store stock per product and store "
                                   "(docs/report.md)."),
    "auth": LazyCommand("feedsync.cli.auth_cmds", "auth",
                        "Authorise feedsync on CHANNEL's marketplace (prints a link, asks for the "
                        "redirect)."),
}


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="feedsync")


__all__ = ["ExitCode", "cli", "main"]
