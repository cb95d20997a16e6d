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


class FeedsyncGroup(click.Group):
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


def _register_commands() -> None:
    # Each command module owns one area; adding an area is one line here.
    from feedsync.cli import catalog_cmds, feed_cmds, init_cmd

    cli.add_command(init_cmd.init)
    cli.add_command(catalog_cmds.catalog)
    cli.add_command(feed_cmds.feed)
    from feedsync.cli import mapping_cmds  # validate, preview, explain (feedsync/mapping)
    cli.add_command(mapping_cmds.validate)
    cli.add_command(mapping_cmds.preview)
    cli.add_command(mapping_cmds.explain)
    from feedsync.cli import orders_cmds  # orders, reconcile (feedsync/orders)
    cli.add_command(orders_cmds.orders)
    cli.add_command(orders_cmds.reconcile)
    from feedsync.cli import sync_cmds  # plan, push, status, sync (feedsync/sync)
    for command in (sync_cmds.plan, sync_cmds.push, sync_cmds.status, sync_cmds.sync):
        cli.add_command(command)
    from feedsync.cli import report_cmd  # report (feedsync/report)
    cli.add_command(report_cmd.report)
    from feedsync.cli import sandbox_cmds  # sandbox serve/stop/orders/stats (feedsync/sandbox)
    cli.add_command(sandbox_cmds.sandbox)
    from feedsync.cli import local_cmds  # local-inventory build / push (Google local)
    cli.add_command(local_cmds.local_inventory)
    from feedsync.cli import auth_cmds  # auth CHANNEL (interactive OAuth: Etsy)
    cli.add_command(auth_cmds.auth)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="feedsync")


__all__ = ["ExitCode", "cli", "main"]
