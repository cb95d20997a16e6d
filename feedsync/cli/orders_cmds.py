"""`feedsync orders …` (pull, list, export, ship) and `feedsync reconcile CHANNEL`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.cli.moments import FORMS, parse_moment
from feedsync.errors import ExitCode, UsageError
from feedsync.models import OrderStatus
from feedsync.orders import cycle
from feedsync.orders.channels import adapter_factory
from feedsync.orders.fastpath_push import engine_pusher
from feedsync.orders.lock import run_lock
from feedsync.orders.pull import order_store
from feedsync.orders.query import iter_orders, recent_orders, write_csv, write_jsonl
from feedsync.orders.reconcile import reconcile as run_reconcile
from feedsync.orders.ship import ship as run_ship
from feedsync.orders.shipfile import read_shipments
from feedsync.orders.store import iso
from feedsync.sync.runs import RunJournal

STATUSES = [str(s) for s in OrderStatus]
SHIPPED = ("confirmed", "already_confirmed")


@click.group()
def orders() -> None:
    """Pull orders, list and export them, send shipments back."""


@orders.command("pull")
@click.argument("channels", nargs=-1)
@click.option("--no-fast-path", is_flag=True,
              help="Store orders but leave the quantity push to the channels queued.")
@pass_app
def pull(app: AppContext, channels: tuple[str, ...], no_fast_path: bool) -> None:
    """Pull new and changed orders from CHANNELS (default: every enabled channel with orders),
    reserve their stock, acknowledge them, and push the changed quantities to the other
    channels.

    Holds the workspace lock. Exit codes: 0 all went through, 3 partial, 4 configuration or
    credentials need a human, 5 a guardrail refused the quantity push, 75 try again later.
    """
    workspace = app.workspace
    for name in channels:
        if name not in workspace.settings.channels:
            raise UsageError(f"channel {name!r} is not configured in {workspace.config_path}")
    with run_lock(workspace, "orders pull"):
        db = app.catalog.db
        journal = RunJournal(db, "orders pull")  # `feedsync status` shows it as the last run
        try:
            pusher = engine_pusher(workspace, db, run_id=journal.run_id)
            outcome = cycle.run_orders_cycle(workspace, db, list(channels) or None,
                                             fast_path=not no_fast_path, pusher=pusher)
        except BaseException as exc:
            journal.abort(f"interrupted: {exc!r}")
            raise
        for step in cycle.step_results(outcome):
            journal.add(step)
        journal.finish()
    code = outcome.exit_code()
    lines = outcome.human_lines()
    app.finish(outcome.as_dict(), "\n".join(lines), int(code),
               None if not code else next((line for line in lines if "stopped:" in line
                                            or "failed" in line), "orders pull did not complete"))


@orders.command("list")
@click.option("--channel", "channels", multiple=True, help="Only this channel (repeatable).")
@click.option("--status", "status", multiple=True, type=click.Choice(STATUSES),
              help="Only orders with this status (repeatable).")
@click.option("--since", metavar="WHEN", help=f"Only orders created at or after WHEN: {FORMS}.")
@click.option("--flagged", is_flag=True, help="Only orders with open issues.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@pass_app
def list_orders(app: AppContext, channels: tuple[str, ...], status: tuple[str, ...],
                since: str | None, flagged: bool, limit: int) -> None:
    """List the most recent stored orders, newest first, with their open issues."""
    shown = recent_orders(app.catalog.db, limit, channels=channels, status=status,
                          since=_since(since), flagged=flagged)
    lines: list[str] = []
    for order in shown:
        units = sum(int(line["quantity"]) for line in order["lines"])
        flags = ", ".join(sorted({f["code"] for f in order["flags"]}))
        total = f"{order['total']} {order['currency']}" if order["total"] else "-"
        lines.append(
            f"{order['channel']:<10} {order['order_id']:<22} {order['status']:<17} "
            f"{order['created_at'][:19]:<19} {units:>4} unit(s) {total:>14}"
            + (f"  [{flags}]" if flags else "")
        )
    app.emit({"orders": shown, "count": len(shown)},
             "\n".join(lines) if lines else "no orders")


@orders.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@click.option("--channel", "channels", multiple=True, help="Only this channel (repeatable).")
@click.option("--status", "status", multiple=True, type=click.Choice(STATUSES))
@click.option("--since", metavar="WHEN", help=f"Only orders created at or after WHEN: {FORMS}.")
@pass_app
def export(app: AppContext, fmt: str, out: Path | None, channels: tuple[str, ...],
           status: tuple[str, ...], since: str | None) -> None:
    """Stream every stored order as CSV (one row per line) or JSONL (one order per line).

    With --json the orders must go to a file (--out): standard output carries the one JSON
    object describing the export."""
    if out is None and app.json_output:
        raise UsageError("with --json, standard output carries one JSON object: write the "
                         "orders to a file with --out FILE")
    db = app.catalog.db
    stream = iter_orders(db, channels=channels, status=status, since=_since(since))
    writer: Callable[[Iterator[dict[str, Any]], IO[str]], int] = (
        write_csv if fmt == "csv" else write_jsonl)
    if out is None:
        writer(stream, sys.stdout)
        return
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        count = writer(stream, handle)
    tmp.replace(out)
    app.emit({"ok": True, "out": str(out), "format": fmt, "orders": count},
             f"exported {count} order(s) to {out}")


def _since(value: str | None) -> str | None:
    """--since as the canonical UTC text orders are stored with (feedsync.orders.store.iso)."""
    return None if value is None else iso(parse_moment(value, "--since"))


@orders.command("ship")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]),
              help="Default: from the file extension.")
@pass_app
def ship_cmd(app: AppContext, file: Path, fmt: str | None) -> None:
    """Confirm the shipments in FILE (CSV or JSONL: order id, carrier, tracking number, lines)
    on the channel that owns each order. Shipments already confirmed are not sent again.

    Exit codes: 0 every shipment confirmed (now or before), 3 some not, 1 none."""
    requests, bad = read_shipments(file, fmt)
    workspace = app.workspace
    with run_lock(workspace, "orders ship"):
        db = app.catalog.db
        report = run_ship(workspace, order_store(workspace, db),
                          adapter_factory(workspace, db), requests, bad)
    human = [f"{r.status:<17} {r.order_id or '-':<22} {r.tracking_number or '':<20} "
             + (f"{r.where}: " if r.where and r.status not in SHIPPED else "") + r.message
             for r in report.results]
    ok = report.count("confirmed") + report.count("already_confirmed")
    human.append(f"{report.count('confirmed')} confirmed, {report.count('already_confirmed')} "
                 f"already confirmed, {len(report.results) - ok} not confirmed")
    not_confirmed = len(report.results) - ok
    code = 0 if not not_confirmed else ExitCode.PARTIAL if ok else ExitCode.ERROR
    app.finish({"results": [r.as_dict() for r in report.results],
                "confirmed": report.count("confirmed"),
                "already_confirmed": report.count("already_confirmed"),
                "not_confirmed": not_confirmed}, "\n".join(human), int(code),
               f"{not_confirmed} shipment(s) not confirmed")


@click.command("reconcile")
@click.argument("channel")
@click.option("--fix", is_flag=True,
              help="Plan the corrections: the drifted SKUs are re-sent by the next push.")
@click.option("--sku", "skus", multiple=True, help="Only this SKU (repeatable).")
@click.option("--exit-code", "drift_exit", is_flag=True,
              help="Exit 3 when there is drift (for scripts and monitoring); default 0.")
@pass_app
def reconcile(app: AppContext, channel: str, fix: bool, skus: tuple[str, ...],
              drift_exit: bool) -> None:
    """Compare what CHANNEL shows now (quantity, price, presence) with what feedsync expects
    and print the drift; --fix plans the corrections.

    API channels are read back through their API (Google products.list, Meta catalog
    products, Amazon searchListingsItems); a file channel is compared through the feed file it
    last published (fix it with `feedsync feed build CHANNEL`)."""
    workspace = app.workspace
    if channel not in workspace.settings.channels:
        raise UsageError(f"channel {channel!r} is not configured in {workspace.config_path}")
    with run_lock(workspace, "reconcile"):
        report = run_reconcile(workspace, app.catalog, channel, skus=list(skus) or None, fix=fix)
    if drift_exit and report.drift:  # differences found: a monitoring script must see them
        app.finish(report.as_dict(), "\n".join(report.human_lines()), int(ExitCode.PARTIAL),
                   f"{len(report.drift)} difference(s) between {channel} and the catalog")
        return
    app.emit({"ok": True, **report.as_dict()}, "\n".join(report.human_lines()))
