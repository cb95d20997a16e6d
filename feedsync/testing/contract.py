"""The adapter contract suite: the tests every channel adapter passes, through the real engine.

An adapter's test module subclasses :class:`AdapterContract`, names its adapter, gives a few
valid records and a ``channel_double`` fixture that stands in for the marketplace (usually built
on ``responses``)::

    from feedsync.testing import AdapterContract

    class TestMyChannelContract(AdapterContract):
        adapter_class = MyChannelAdapter
        channel_settings = {"catalog_id": "123"}
        channel_secrets = {"access_token": "test-token"}

        def sample_records(self):
            return [MappedRecord(sku="A-1", channel="mychannel", fields={...}), ...]

        @pytest.fixture
        def channel_double(self):
            with MyChannelDouble() as double:   # implements ChannelDouble
                yield double

What it checks (docs/sync.md, "The adapter contract suite"): the declarations are sane; rendering
is deterministic and sends nothing; batches stay within the declared limits and the adapter
copes with any batch the core forms; a dry run sends nothing; every SKU pushed ends up with a
recorded outcome, and a SKU the channel rejects keeps the channel's reasons; a transient failure
is retried by the HTTP layer, not by the adapter; refused credentials stop the channel and
release every SKU for the next run. Orders (paging, cursor, idempotent re-read, unknown SKU,
cancellation), acknowledgement after commit, shipments (partial, never twice), read-back and
file feeds are in :mod:`feedsync.testing.capabilities`, each run when the adapter declares the
capability.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Protocol

from feedsync.adapter import Action, Adapter, AdapterConfig, Batch, Capability, PlannedChange
from feedsync.catalog import Catalog, open_catalog
from feedsync.clock import FakeClock
from feedsync.config import Workspace, parse_settings
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.models import Product
from feedsync.sync.batching import Outgoing
from feedsync.sync.channels import ChannelBinding, bind_channel
from feedsync.sync.plan import PlanRow
from feedsync.sync.push import PushOptions, push_channel
from feedsync.sync.runs import Outcome, StepResult
from feedsync.testing.capabilities import CapabilityContract
from feedsync.testing.fakes import StaticMapper

FIXED_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class ChannelDouble(Protocol):
    """What a contract test needs from the stand-in for a marketplace.

    A double may also have a ``clock`` attribute (a :class:`feedsync.clock.FakeClock`): the
    adapter then runs on it (its HTTP waits and its "now"); otherwise the suite gives it one
    that starts at :data:`FIXED_NOW`.
    """

    def context_extras(self) -> dict[str, Any]:
        """Entries for ``AdapterContext.extras`` (usually none; the fake itself for a fake)."""
        ...

    def reject(self, skus: Collection[str]) -> None:
        """From now on, refuse these SKUs item by item (with the channel's error shape)."""
        ...

    def fail_once_transiently(self) -> None:
        """Answer the next request with a retryable failure (503, or 429 with Retry-After)."""
        ...

    def refuse_auth(self) -> None:
        """Answer every request from now on with the channel's auth failure (401/403)."""
        ...

    @property
    def request_count(self) -> int:
        """Requests the double has received."""
        ...


@dataclass
class FakeTime:
    """Monotonic time that only moves when slept through (polling waits cost nothing)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@dataclass
class ContractEnv:
    """A workspace with one channel, its catalog and the double, for one contract test."""

    workspace: Workspace
    catalog: Catalog
    mapper: StaticMapper
    adapter_class: type[Adapter]
    double: ChannelDouble
    time: FakeTime = field(default_factory=FakeTime)
    wait: float = 600.0

    @property
    def channel(self) -> str:
        return self.adapter_class.name

    def bind(self, adapter_class: type[Adapter] | None = None) -> ChannelBinding:
        extras = dict(self.double.context_extras())
        # "http_clock" in extras is how doubles handed their clock before feedsync.clock.
        clock = getattr(self.double, "clock", None) or extras.pop("http_clock", None)
        return bind_channel(self.workspace, self.catalog.db, self.channel, mapper=self.mapper,
                            adapter_cls=adapter_class or self.adapter_class, extras=extras,
                            clock=clock or FakeClock(FIXED_NOW))

    def push(self, adapter_class: type[Adapter] | None = None, **options: Any) -> StepResult:
        opts = PushOptions(wait=self.wait, sleep=self.time.sleep,
                           monotonic=self.time.monotonic, **options)
        return push_channel(self.bind(adapter_class), self.catalog, opts)

    def listings(self) -> dict[str, dict[str, Any]]:
        rows = self.catalog.db.execute(
            "SELECT sku, status, issues, submission_id, remote_exists FROM listings"
            " WHERE channel = ?", [self.channel]).fetchall()
        return {sku: {"status": status, "issues": json.loads(issues), "submission_id": sub,
                      "remote_exists": bool(exists)} for sku, status, issues, sub, exists in rows}

    def count(self, table: str) -> int:
        return int(self.catalog.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _canonical(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return json.dumps(payload, sort_keys=True, default=str).encode("utf-8")


class AdapterContract(CapabilityContract):
    """Subclass as ``Test<Channel>Contract``; see the module docstring. The tests of orders,
    acknowledgements, shipments, read-back and file feeds come from
    :class:`~feedsync.testing.capabilities.CapabilityContract`, switched on by the adapter's
    declared capabilities."""

    adapter_class: ClassVar[type[Adapter]]
    channel_settings: ClassVar[dict[str, Any]] = {}
    channel_secrets: ClassVar[dict[str, str]] = {}
    uses_http: ClassVar[bool] = True  # False only for in-memory fakes without an HTTP layer
    poll_wait: ClassVar[float] = 600.0  # fake seconds a push polls asynchronous results

    # --- what a subclass provides ------------------------------------------------------------

    def sample_records(self) -> list[MappedRecord]:
        """At least three valid, sendable records of this channel (distinct SKUs)."""
        raise NotImplementedError("a contract test class must define sample_records()")

    def schema(self) -> ChannelSchema:
        """The channel schema (default: ``SCHEMA`` of the adapter package's schema module)."""
        package = self.adapter_class.__module__.rsplit(".", 1)[0]
        schema: ChannelSchema = importlib.import_module(f"{package}.schema").SCHEMA
        return schema

    def clone_record(self, record: MappedRecord, sku: str) -> MappedRecord:
        """A copy of ``record`` under another SKU (for tests that need many items)."""
        fields = dict(record.fields)
        id_field = self.schema().id_field
        if id_field in fields:
            fields[id_field] = sku
        return replace(record, sku=sku, fields=fields, issues=list(record.issues))

    # --- the harness --------------------------------------------------------------------------

    def make_env(self, tmp_path: Path, double: ChannelDouble,
                 records: list[MappedRecord] | None = None) -> ContractEnv:
        """A workspace configured for this channel, with products for ``records``."""
        records = records if records is not None else self.sample_records()
        name = self.adapter_class.name
        package = self.adapter_class.__module__.rsplit(".", 1)[0]
        channel = {"enabled": True, "delivery": "api", "adapter": package,
                   **self.channel_settings}
        root = tmp_path / "contract-ws"
        root.mkdir(parents=True, exist_ok=True)
        settings = parse_settings({"workspace": {"name": "contract"},
                                   "channels": {name: channel}}, root / "feedsync.toml")
        workspace = Workspace(root=root, settings=settings,
                              _secrets_file={name: dict(self.channel_secrets)})
        catalog = open_catalog(workspace.db_path)
        catalog.upsert_products(
            Product(sku=r.sku, title=f"Contract item {r.sku}", price=Decimal("10.00"),
                    currency="USD") for r in records)
        mapper = StaticMapper(schema=self.schema(), records={r.sku: r for r in records})
        return ContractEnv(workspace=workspace, catalog=catalog, mapper=mapper,
                           adapter_class=self.adapter_class, double=double,
                           wait=self.poll_wait)

    def _many(self, count: int) -> list[MappedRecord]:
        base = self.sample_records()
        return [self.clone_record(base[i % len(base)], f"{base[i % len(base)].sku}-c{i:04d}")
                for i in range(count)]

    # --- the contract -------------------------------------------------------------------------

    def test_declares_the_contract(self) -> None:
        cls = self.adapter_class
        assert issubclass(cls, Adapter)
        assert isinstance(cls.name, str) and cls.name, "an adapter needs a name"
        assert issubclass(cls.Config, AdapterConfig)
        assert cls.limits.max_batch_items >= 1
        assert cls.limits.max_batch_bytes is None or cls.limits.max_batch_bytes > 0
        assert cls.capabilities & Capability.API_PUSH, "a pushing adapter declares API_PUSH"
        records = self.sample_records()
        assert len(records) >= 3 and len({r.sku for r in records}) == len(records)
        assert all(r.sendable for r in records), "sample records must be sendable"

    def test_rendering_is_deterministic_and_sends_nothing(
            self, tmp_path: Path, channel_double: ChannelDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        first, second = env.bind().adapter(), env.bind().adapter()
        actions = [Action.CREATE, Action.UPDATE]
        if self.adapter_class.capabilities & Capability.PRICE_QUANTITY:
            actions.append(Action.PRICE_QUANTITY)
        before = channel_double.request_count
        for record in self.sample_records():
            for action in actions:
                change = PlannedChange(sku=record.sku, action=action, record=record,
                                       changed_parts=frozenset({"content", "price",
                                                                "quantity"}))
                a, b = first.render_item(change), first.render_item(change)
                c = second.render_item(change)
                assert a.sku == record.sku and a.action is action
                assert isinstance(a.size, int) and a.size > 0
                assert _canonical(a.payload) == _canonical(b.payload) == _canonical(c.payload)
                assert a.size == b.size == c.size
            if self.adapter_class.capabilities & Capability.DELETE:
                gone = PlannedChange(sku=record.sku, action=Action.DELETE, record=None,
                                     reason="removed", remote_id=None)
                assert _canonical(first.render_item(gone).payload) == \
                    _canonical(second.render_item(gone).payload)
        assert channel_double.request_count == before, "render_item must not do I/O"

    def test_batches_respect_the_limits(self, tmp_path: Path,
                                        channel_double: ChannelDouble) -> None:
        records = self._many(9)
        env = self.make_env(tmp_path, channel_double, records)
        adapter = env.bind().adapter()
        sizes = [adapter.render_item(PlannedChange(r.sku, Action.CREATE, r)).size
                 for r in records]
        seen: list[Batch] = []
        real = self.adapter_class.limits
        limited_items = min(real.max_batch_items, 4)
        limited_bytes = max(sizes) * 2
        if real.max_batch_bytes is not None:
            limited_bytes = min(limited_bytes, real.max_batch_bytes)

        def submit(this: Adapter, batch: Batch) -> Any:
            seen.append(batch)
            return self.adapter_class.submit(this, batch)

        limited = type(f"Limited{self.adapter_class.__name__}", (self.adapter_class,), {
            "limits": replace(real, max_batch_items=limited_items,
                              max_batch_bytes=limited_bytes),
            "submit": submit,
        })
        result = env.push(limited)
        assert result.outcome is Outcome.OK, result.message
        assert sorted(s for b in seen for s in b.skus) == sorted(r.sku for r in records)
        for batch in seen:
            assert 1 <= len(batch.items) <= limited_items
            assert sum(item.size for item in batch.items) <= limited_bytes
        assert len(seen) >= 3, "nine items in batches of at most four need three batches"
        listings = env.listings()
        assert all(listings[r.sku]["status"] in ("live", "pending") for r in records)

    def test_dry_run_sends_nothing(self, tmp_path: Path, channel_double: ChannelDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        shown: list[Outgoing[PlanRow]] = []
        result = env.push(dry_run=True, on_batch=lambda _channel, out: shown.append(out))
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.request_count == 0
        assert env.count("submissions") == 0 and env.count("listings") == 0
        assert sum(len(o.batch.items) for o in shown) == len(self.sample_records())

    def test_every_sku_gets_an_outcome(self, tmp_path: Path,
                                       channel_double: ChannelDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        listings = env.listings()
        for record in self.sample_records():
            assert listings[record.sku]["status"] in ("live", "pending")
        again = env.push()
        assert again.counts.get("items", 0) == 0, "an unchanged catalog sends nothing"

    def test_per_sku_errors_are_never_lost(self, tmp_path: Path,
                                           channel_double: ChannelDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        records = self.sample_records()
        bad = records[0].sku
        channel_double.reject([bad])
        result = env.push()
        assert result.outcome is Outcome.PARTIAL, result.message
        listings = env.listings()
        assert listings[bad]["status"] == "rejected"
        issues = listings[bad]["issues"]
        assert issues and all(i["code"] and i["message"] for i in issues)
        assert any(i["source"] != "feedsync" for i in issues), "the channel's own words"
        assert bad in {entry["sku"] for entry in result.details.get("rejected", [])}
        for record in records[1:]:
            assert listings[record.sku]["status"] in ("live", "pending")

    def test_transient_failures_are_retried_by_the_http_layer(
            self, tmp_path: Path, channel_double: ChannelDouble) -> None:
        if not self.uses_http:
            import pytest

            pytest.skip("this adapter has no HTTP layer (an in-memory fake)")
        env = self.make_env(tmp_path, channel_double)
        channel_double.fail_once_transiently()
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert all(v["status"] in ("live", "pending") for v in env.listings().values())
        package = importlib.import_module(self.adapter_class.__module__.rsplit(".", 1)[0])
        for path in Path(inspect.getfile(package)).parent.glob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import tenacity" not in text and "time.sleep(" not in text, (
                f"{path.name}: retries and waits belong to feedsync.http, not the adapter")

    def test_refused_credentials_stop_the_channel_and_lose_nothing(
            self, tmp_path: Path, channel_double: ChannelDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.refuse_auth()
        result = env.push()
        assert result.outcome is Outcome.NEEDS_HUMAN, result.message
        for sku, listing in env.listings().items():
            assert listing["submission_id"] is None, f"{sku} left in flight"
            assert listing["status"] != "live"
        open_subs = env.catalog.db.execute(
            "SELECT COUNT(*) FROM submissions WHERE state IN ('sending', 'pending')").fetchone()
        assert open_subs[0] == 0
        plan_again = env.push(dry_run=True)
        assert plan_again.counts.get("items") == len(self.sample_records()), \
            "every SKU is planned again by the next run"
