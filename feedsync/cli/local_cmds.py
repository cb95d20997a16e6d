"""``feedsync local-inventory``: Google local inventory as a feed file or through the API."""

from __future__ import annotations

from pathlib import Path

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import ConfigError

FEED_NAME = "google-local.tsv"


@click.group("local-inventory")
def local_inventory() -> None:
    """Google local inventory: in-store stock per product and store (docs/report.md)."""


def _store_codes(app: AppContext) -> dict[str, str]:
    codes = dict(app.workspace.settings.local_inventory.store_codes)
    if not codes:
        raise ConfigError(
            f"{app.workspace.config_path}: [local_inventory] store_codes is empty: map each "
            'catalog location to its Google store code, e.g. store_codes = { main = "STORE-1" }')
    return codes


def _notes(data: dict) -> list[str]:
    lines = []
    if data["unmapped_locations"]:
        lines.append("  locations with stock but no store code (not sent): "
                     + ", ".join(data["unmapped_locations"]))
    if data["missing_locations"]:
        lines.append("  store codes whose location has no stock in the catalog: "
                     + ", ".join(data["missing_locations"]))
    return lines


@local_inventory.command("build")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Where to write the feed (default: <output dir>/{FEED_NAME}).")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object on stdout.")
@pass_app
def build(app: AppContext, out: Path | None, json_flag: bool) -> None:
    """Write Google's local product inventory feed (store_code, id, quantity, availability)."""
    from feedsync.local_inventory import write_local_feed
    from feedsync.sync.lock import WorkspaceLock, lock_path

    app.json_output = app.json_output or json_flag
    codes = _store_codes(app)
    target = out or app.workspace.output_dir / FEED_NAME
    with WorkspaceLock(lock_path(app.workspace.db_path), "local-inventory build"):
        summary = write_local_feed(app.catalog.db, codes, target)
    data = {"ok": True, "path": str(target), "records": summary.records,
            "stores": sorted(summary.stores),
            "unmapped_locations": summary.unmapped_locations,
            "missing_locations": summary.missing_locations}
    lines = [f"google-local: wrote {target}: {summary.records} records for "
             f"{len(summary.stores)} store(s)", *_notes(data)]
    app.emit(data, "\n".join(lines))


@local_inventory.command("push")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; send nothing.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object on stdout.")
@pass_app
def push(app: AppContext, dry_run: bool, json_flag: bool) -> None:
    """Send changed local inventory to Google's Merchant API (localInventories.insert)."""
    from feedsync.adapter_factory import open_adapter
    from feedsync.errors import ExitCode
    from feedsync.registry import optional_channel_module
    from feedsync.sync.lock import WorkspaceLock, lock_path

    app.json_output = app.json_output or json_flag
    codes = _store_codes(app)
    google = app.workspace.channel("google")
    if not google.enabled or google.delivery != "api":
        raise ConfigError(f"{app.workspace.config_path}: [channels.google] needs enabled = true "
                          'and delivery = "api" to push local inventory; use '
                          "'feedsync local-inventory build' for a feed file instead")
    with WorkspaceLock(lock_path(app.workspace.db_path), "local-inventory push"):
        adapter = open_adapter(app.workspace, app.catalog.db, "google")
        # The core never imports a concrete adapter: the Google package is looked up.
        local = optional_channel_module("google", "local", google.adapter)
        if local is None:
            raise ConfigError(f"the adapter of channel google ({google.adapter}) has no local "
                              "inventory module")
        result = local.push_local_inventory(adapter, app.catalog.db, codes, dry_run=dry_run)
    data = {"ok": result.stopped is None and not result.failed, "dry_run": dry_run,
            **result.as_dict()}
    verb = "would send" if dry_run else "sent"
    lines = [f"google local inventory: {verb} {result.sent}, unchanged {result.unchanged}, "
             f"removed {result.deleted}, refused {len(result.failed)}"]
    lines += [f"  refused {f['sku']} at {f['store_code']}: {f['message']}"
              for f in result.failed[:20]]
    if result.stopped:
        lines.append(f"  stopped: {result.stopped} (the rest goes with the next push)")
    lines += _notes(data)
    app.emit(data, "\n".join(lines))
    if result.stopped:
        raise click.exceptions.Exit(result.stopped_code or int(ExitCode.TEMPFAIL))
    if result.failed:
        raise click.exceptions.Exit(int(ExitCode.PARTIAL))
