"""`feedsync sandbox …`: the marketplaces emulated on loopback (docs/sandbox.md).

``serve`` runs the server (foreground, or ``--detach`` and later ``stop``); ``orders`` places
buyers' orders on listed SKUs; ``stats`` shows what it served. The state file is ``--state``,
else the sandbox workspace's (``feedsync init --sandbox``), else ``.sandbox/state.db`` in the
workspace folder.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import click
import requests

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import FeedsyncError, UsageError
from feedsync.sandbox.buyers import BuyerError, place_orders, race_last_unit
from feedsync.sandbox.daemon import DaemonError, start_detached, stop_detached
from feedsync.sandbox.faults import FaultSpecError, parse_fault
from feedsync.sandbox.registry import BROKEN, CHANNELS
from feedsync.sandbox.server import SandboxServer, build_app
from feedsync.sandbox.workspace import (
    DEFAULT_PORT,
    SANDBOX_DIR,
    STATE_FILE,
    WorkspaceExists,
    sandbox_settings,
    write_sandbox_workspace,
)


def _folder(app: AppContext) -> Path:
    return Path(app.workspace_option or os.getcwd()).resolve()


def resolve(app: AppContext, state: Path | None, port: int | None) -> tuple[Path, int]:
    """The state file and port: options, else the sandbox workspace's, else the defaults."""
    folder = _folder(app)
    settings = sandbox_settings(folder) or {}
    if state is None:
        recorded = settings.get("state")
        state = (folder / SANDBOX_DIR / recorded if recorded and not Path(recorded).is_absolute()
                 else Path(recorded) if recorded else folder / SANDBOX_DIR / STATE_FILE)
    if port is None:
        port = int(settings.get("port") or DEFAULT_PORT)
    return state.resolve(), port


@click.group()
def sandbox() -> None:
    """The marketplaces emulated on 127.0.0.1: try everything offline."""


@sandbox.command()
@click.option("--port", type=int, help=f"Port on 127.0.0.1 (default {DEFAULT_PORT}, or the "
              "sandbox workspace's; 0 = any free port).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="The sandbox's SQLite state file (kept across restarts).")
@click.option("--channel", "channels", multiple=True, type=click.Choice(CHANNELS),
              help="Emulate only these marketplaces (repeatable; default: every one with a "
                   "module).")
@click.option("--fault", "faults", multiple=True, metavar="SPEC",
              help="Inject faults: CHANNEL[.OPERATION]:KIND:SHARE[:SECONDS], KIND one of 429, "
                   "5xx, slow, drop, lost, revoke (repeatable; see docs/sandbox.md).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of fault draws.")
@click.option("--rate-scale", type=float, default=1.0, show_default=True,
              help="Multiply documented refill rates (0 = no rate limits).")
@click.option("--orders-every", type=float, metavar="SECONDS",
              help="While serving, a buyer places an order every SECONDS on --orders-channel.")
@click.option("--orders-channel", type=click.Choice(CHANNELS), help="Where steady orders go.")
@click.option("--detach", is_flag=True, help="Run in the background; `feedsync sandbox stop` "
              "ends it.")
@pass_app
def serve(app: AppContext, port: int | None, state: Path | None, channels: tuple[str, ...],
          faults: tuple[str, ...], seed: int, rate_scale: float, orders_every: float | None,
          orders_channel: str | None, detach: bool) -> None:
    """Serve the emulated marketplaces on 127.0.0.1 until Ctrl-C or SIGTERM."""
    state, port = resolve(app, state, port)
    try:
        rules = [parse_fault(spec) for spec in faults]
    except FaultSpecError as exc:
        raise UsageError(str(exc)) from None
    if orders_every is not None and orders_channel is None:
        raise UsageError("--orders-every needs --orders-channel")
    if detach:
        _detach(app, state, port, channels, faults, seed, rate_scale, orders_every,
                orders_channel)
        return
    sandbox_app = build_app(state, channels=list(channels) or None, faults=rules, seed=seed,
                            rate_scale=rate_scale)
    if not sandbox_app.markets:
        raise FeedsyncError("no marketplace module could be loaded: "
                            + "; ".join(f"{k}: {v}" for k, v in BROKEN.items()))
    try:
        server = SandboxServer(sandbox_app, port=port)
    except OSError as exc:
        raise FeedsyncError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    stop = threading.Event()
    if orders_every is not None and orders_channel is not None:
        threading.Thread(target=_steady_orders, daemon=True,
                         args=(sandbox_app, orders_channel, orders_every, seed, stop)).start()
    names = ", ".join(sorted(sandbox_app.markets))
    left_out = "".join(f"\n  left out {k}: {v}" for k, v in BROKEN.items())
    app.info(f"sandbox: {names} at {sandbox_app.base_url} (state {state}){left_out}\n"
             "Ctrl-C stops it")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        sandbox_app.store.close()


def _steady_orders(app: Any, channel: str, every: float, seed: int,
                   stop: threading.Event) -> None:
    round_ = 0
    while not stop.wait(every):
        round_ += 1
        try:
            place_orders(app, channel, 1, seed=seed * 100_000 + round_)
        except BuyerError:
            continue  # nothing listed yet: try again next time


def _detach(app: AppContext, state: Path, port: int, channels: tuple[str, ...],
            faults: tuple[str, ...], seed: int, rate_scale: float,
            orders_every: float | None, orders_channel: str | None) -> None:
    args = ["--port", str(port), "--state", str(state), "--seed", str(seed),
            "--rate-scale", str(rate_scale)]
    for channel in channels:
        args += ["--channel", channel]
    for spec in faults:
        args += ["--fault", spec]
    if orders_every is not None and orders_channel is not None:
        args += ["--orders-every", str(orders_every), "--orders-channel", orders_channel]
    try:
        info = start_detached(args, state, port)
    except DaemonError as exc:
        raise FeedsyncError(str(exc)) from None
    app.emit({"ok": True, **info},
             f"sandbox running in the background on 127.0.0.1:{port} (pid {info['pid']}); "
             "`feedsync sandbox stop` ends it")


@sandbox.command()
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="The state file the server was started with.")
@pass_app
def stop(app: AppContext, state: Path | None) -> None:
    """Stop the sandbox started with `serve --detach`."""
    state, _ = resolve(app, state, None)
    try:
        info = stop_detached(state)
    except DaemonError as exc:
        raise FeedsyncError(str(exc)) from None
    app.emit({"ok": True, "stopped": info},
             f"sandbox stopped (pid {info['pid']})" if info else "no sandbox was running")


@sandbox.command()
@click.option("--channel", required=True, type=click.Choice(CHANNELS),
              help="The marketplace the buyers order on.")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--multi-line-share", type=click.FloatRange(0, 1), default=0.3,
              show_default=True, help="Share of orders with several SKUs.")
@click.option("--cancel-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of the orders the buyers then cancel.")
@click.option("--last-unit-with", "rival", type=click.Choice(CHANNELS),
              help="Also buy one SKU's last units on this channel at the same moment "
                   "(the oversell feedsync must catch).")
@click.option("--placed-ago", type=click.FloatRange(min=0), default=0.0,
              help="Backdate the orders by SECONDS (e.g. past Amazon's two-minute search "
                   "delay in demos).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="The sandbox's state file.")
@pass_app
def orders(app: AppContext, channel: str, count: int, multi_line_share: float,
           cancel_share: float, rival: str | None, placed_ago: float, seed: int,
           state: Path | None) -> None:
    """Buyers place COUNT orders on CHANNEL's listed SKUs (at the listed price, within the
    listed quantity)."""
    state, _ = resolve(app, state, None)
    if not state.exists():
        raise UsageError(f"no sandbox state at {state}: run `feedsync sandbox serve` (or "
                         "`feedsync init --sandbox DIR`) first, or pass --state")
    wanted = [channel] + ([rival] if rival else [])
    sandbox_app = build_app(state, channels=wanted)
    try:
        placed = place_orders(sandbox_app, channel, count, seed=seed,
                              multi_line_share=multi_line_share, cancel_share=cancel_share,
                              placed_ago=placed_ago)
        race = race_last_unit(sandbox_app, (channel, rival), seed=seed,
                              placed_ago=placed_ago) if rival else None
    except BuyerError as exc:
        raise UsageError(str(exc)) from None
    finally:
        sandbox_app.store.close()
    data: dict[str, Any] = {"ok": True, "channel": channel, "orders": placed.orders,
                            "cancelled": placed.cancelled, "units": placed.units,
                            "lines": placed.lines}
    human = (f"{channel}: {len(placed.orders)} order(s), {placed.lines} line(s), "
             f"{placed.units} unit(s); {len(placed.cancelled)} cancelled by the buyer")
    if race is not None:
        data["last_unit"] = {"sku": race.sku, "orders": race.orders, "units": race.units}
        human += (f"\nlast units of {race.sku} bought at once: "
                  + ", ".join(f"{c} {race.units[c]} (order {o})" for c, o in race.orders.items()))
    app.emit(data, human)


@sandbox.command()
@click.option("--port", type=int, help="The running sandbox's port.")
@pass_app
def stats(app: AppContext, port: int | None) -> None:
    """What the running sandbox served: calls per marketplace, operation and outcome."""
    _, port = resolve(app, None, port)
    try:
        reply = requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=5)
    except requests.RequestException:
        raise FeedsyncError(f"no sandbox answers on 127.0.0.1:{port}") from None
    body = reply.json()
    lines = []
    for channel, operations in sorted(body["calls"].items()):
        for operation, outcomes in sorted(operations.items()):
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
            lines.append(f"{channel:9} {operation:28} {shown}")
    app.emit(body, "\n".join(lines) or "no calls yet")




def init_sandbox(app: AppContext, target: Path, *, port: int, force: bool) -> None:
    """`feedsync init --sandbox DIR` (the option lives on `init`; the work is here)."""
    try:
        written = write_sandbox_workspace(target, port=port, force=force)
    except WorkspaceExists as exc:
        raise UsageError(str(exc)) from None
    skipped = (f"\nnot emulated (no sandbox module yet): {', '.join(written.not_emulated)}"
               if written.not_emulated else "")
    app.emit({"ok": True, "workspace": str(target), "channels": written.channels,
              "not_emulated": written.not_emulated, "sandbox": written.base_url,
              "state": str(written.state)},
             f"created sandbox workspace {target}: {', '.join(written.channels)} over their "
             f"APIs at {written.base_url}{skipped}\n"
             f"next: cd {target} && feedsync sandbox serve --detach && feedsync catalog import "
             "YOUR_EXPORT.csv && feedsync sync && feedsync status")
