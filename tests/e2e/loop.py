"""What the end-to-end tests share: a small shop on every emulated channel, and read-outs of
the workspace database (orders, reservations, oversell flags, availability)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from feedsync.registry import builtin_channels
from feedsync.sandbox.registry import load_all
from tests.sandbox.support import Demo, demo, small_catalog

SELLERS = ("amazon", "ebay", "etsy", "walmart")  # the channels buyers order on
# Adapters read orders only once they are settled (Amazon's searchOrders: two minutes; Etsy:
# 30 s), so the buyers "ordered" this long ago; the pull's 30-minute lookback still reads them.
PLACED_AGO = 130.0


def channels() -> list[str]:
    """Every channel that has an adapter and a sandbox module."""
    return sorted(set(builtin_channels()) & set(load_all()))


@contextmanager
def shop(tmp_path: Path, *, first_sync: bool = True, **options: Any) -> Iterator[Demo]:
    """A sandbox with every channel, the small catalog imported and (by default) synced."""
    catalog = tmp_path / "catalog.csv"
    skus = small_catalog(catalog)
    with demo(tmp_path, channels=channels(), import_sample=False, **options) as found:
        result = found.feedsync("catalog", "import", str(catalog))
        assert result.exit_code == 0, result.output
        found.skus = skus  # type: ignore[attr-defined]
        if first_sync:
            result = found.feedsync("sync")
            assert result.exit_code == 0, result.output
        yield found


def set_stock(found: Demo, tmp_path: Path, sku: str, quantity: int) -> None:
    """Import an inventory file setting ``sku`` to ``quantity`` at the sample's location."""
    stock = tmp_path / f"stock-{sku}-{quantity}.csv"
    stock.write_text(f"sku,quantity,location\n{sku},{quantity},main\n", encoding="utf-8")
    result = found.feedsync("catalog", "import", str(stock))
    assert result.exit_code == 0, result.output


def query(found: Demo, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Rows of the workspace database (read-only)."""
    uri = f"file:{found.workspace / 'feedsync.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def available(found: Demo, sku: str) -> int:
    """On hand minus reserved over every location (negative when oversold)."""
    rows = query(found, "SELECT SUM(on_hand) - SUM(reserved) AS a FROM inventory WHERE sku = ?",
                 sku)
    return int(rows[0]["a"] or 0)


def shown_everywhere(found: Demo, skus: list[str]) -> dict[str, dict[str, int]]:
    """{channel: {sku: quantity}} as each selling channel's sandbox shows it (Meta too)."""
    shown = {}
    for channel in channels():
        try:
            shown[channel] = found.quantities(channel, skus)
        except NotImplementedError:  # Google shows availability, not a quantity
            continue
    return shown


CRON_GAP = 10.0  # seconds between runs while something is open (cron would wait minutes)


def sync_until_settled(found: Demo, runs: int) -> list[int]:
    """Run `feedsync sync` like cron until nothing is pending or open; the exit codes.

    A create whose answer was lost stays open until the adapter can tell from a read-back
    that it never arrived (Amazon: a minute after the attempt), so runs are spaced then.
    """
    codes = []
    for _ in range(runs):
        result = found.feedsync("sync")
        codes.append(result.exit_code)
        assert "Traceback" not in result.output, result.output
        status = found.feedsync_json("status")["channels"]
        if result.exit_code == 0 and all(c["pending"] == 0 and c["open_submissions"] == 0
                                         for c in status):
            break
        if any(c["open_submissions"] for c in status):
            time.sleep(CRON_GAP)
    return codes
