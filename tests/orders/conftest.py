"""Fixtures of the orders tests: a workspace with two fake channels and a small catalog."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedsync.catalog import Catalog, open_catalog
from feedsync.config import Workspace, load_workspace
from tests.orders.helpers import seed_catalog, write_workspace

# Order timestamps are recent, so a first pull (30 days back) sees them.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)

STOCK: dict[str, int | dict[str, int]] = {"SKU-A": 5, "SKU-B": 2, "SKU-C": 1}


def at(minutes: int) -> str:
    """An order timestamp ``minutes`` after BASE, as the fake channel writes it."""
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def ows(tmp_path: Path) -> Path:
    """A workspace (shopa and shopb, fake API channels) with SKU-A 5, SKU-B 2, SKU-C 1."""
    root = write_workspace(tmp_path / "ows")
    seed_catalog(root, STOCK)
    return root


@pytest.fixture
def listed(ows: Path) -> Path:
    """``ows`` after a full push, so both fake channels list every SKU."""
    from feedsync.sync.channels import bind_channel
    from feedsync.sync.push import PushOptions, push_channel

    workspace = load_workspace(ows)
    catalog = open_catalog(ows / "feedsync.db")
    try:
        for channel in ("shopa", "shopb"):
            result = push_channel(bind_channel(workspace, catalog.db, channel), catalog,
                                  PushOptions(wait=0))
            assert result.outcome == "ok", result.message
    finally:
        catalog.db.close()
    return ows


@pytest.fixture
def ws(ows: Path) -> Workspace:
    """The loaded workspace of ``ows``."""
    return load_workspace(ows)


@pytest.fixture
def cat(ows: Path) -> Iterator[Catalog]:
    """The catalog of ``ows`` (open for the test)."""
    catalog = open_catalog(ows / "feedsync.db")
    yield catalog
    catalog.db.close()
