"""A workspace with the fake channel, its catalog, a FakeChannel and a FakeMapper per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedsync.adapter import Adapter
from feedsync.catalog import Catalog, open_catalog
from feedsync.config import Workspace, load_workspace
from feedsync.models import InventoryLevel, Product
from feedsync.sync.channels import ChannelBinding, bind_channel
from feedsync.sync.plan import Plan, build_plan
from feedsync.sync.push import PushOptions, push_channel
from feedsync.sync.runs import StepResult
from feedsync.testing import FakeAdapter, FakeChannel, FakeMapper, FakeTime
from tests.conftest import make_product

BASE_TOML = """
[workspace]
name = "sync-tests"

[channels.fake]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"
"""


@dataclass
class Clock:
    """A settable wall clock for sale windows."""

    now: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SyncEnv:
    """Everything a sync test touches, with helpers."""

    root: Path
    workspace: Workspace
    catalog: Catalog
    channel: FakeChannel = field(default_factory=FakeChannel)
    mapper: FakeMapper = field(default_factory=FakeMapper)
    clock: Clock = field(default_factory=Clock)
    time: FakeTime = field(default_factory=FakeTime)
    adapter_cls: type[Adapter] = FakeAdapter

    def configure(self, extra_toml: str) -> None:
        """Append to feedsync.toml and reload the workspace."""
        path = self.root / "feedsync.toml"
        path.write_text(path.read_text() + "\n" + extra_toml)
        self.workspace = load_workspace(self.root)

    def bind(self, name: str = "fake", **kw: Any) -> ChannelBinding:
        kw.setdefault("mapper", self.mapper)
        kw.setdefault("adapter_cls", self.adapter_cls)
        kw.setdefault("extras", {"fake_channel": self.channel})
        return bind_channel(self.workspace, self.catalog.db, name, clock=self.clock, **kw)

    def plan(self, **kw: Any) -> Plan:
        skus, full = kw.pop("skus", None), kw.pop("full", False)
        return build_plan(self.bind(**kw), self.catalog, skus=skus, full=full)

    def options(self, **kw: Any) -> PushOptions:
        kw.setdefault("sleep", self.time.sleep)
        kw.setdefault("monotonic", self.time.monotonic)
        return PushOptions(**kw)

    def push(self, binding: ChannelBinding | None = None, **kw: Any) -> StepResult:
        return push_channel(binding or self.bind(), self.catalog, self.options(**kw))

    def add(self, *products: Product, stock: int = 5) -> None:
        self.catalog.upsert_products(products)
        self.catalog.set_inventory(InventoryLevel(p.sku, "main", stock) for p in products)

    def add_many(self, count: int, prefix: str = "SKU", **kw: Any) -> list[str]:
        skus = [f"{prefix}-{i:03d}" for i in range(count)]
        self.add(*(make_product(s, **kw) for s in skus))
        return skus

    def set_stock(self, sku: str, on_hand: int) -> None:
        self.catalog.set_inventory([InventoryLevel(sku, "main", on_hand)])

    def listing(self, sku: str, channel: str = "fake") -> dict[str, Any] | None:
        row = self.catalog.db.execute(
            "SELECT status, remote_exists, issues, submission_id, remote_id FROM listings"
            " WHERE channel = ? AND sku = ?", [channel, sku]).fetchone()
        if row is None:
            return None
        return {"status": row[0], "remote_exists": bool(row[1]), "issues": json.loads(row[2]),
                "submission_id": row[3], "remote_id": row[4]}

    def statuses(self, channel: str = "fake") -> dict[str, str]:
        return dict(self.catalog.db.execute(
            "SELECT sku, status FROM listings WHERE channel = ? ORDER BY sku", [channel]))

    def scalar(self, sql: str, *params: Any) -> Any:
        return self.catalog.db.execute(sql, list(params)).fetchone()[0]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SyncEnv]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(BASE_TOML)
    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    yield SyncEnv(root=root, workspace=workspace, catalog=catalog)
    catalog.db.close()


def plan_actions(plan: Plan) -> dict[str, str]:
    """SKU → action of a plan (closes it)."""
    try:
        return {row.sku: row.action.value for row in plan.rows()}
    finally:
        plan.close()
