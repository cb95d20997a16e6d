"""FakeAdapter: a complete adapter over :class:`~feedsync.testing.fakes.FakeChannel`.

It renders deterministic JSON items (``{"id", "method", "data"}``; a price/quantity update
carries only those parts) and hands batches to the channel found in
``context.extras["fake_channel"]`` (else the module default). ``FakeAdapter.with_limits``
makes a subclass with other batch limits.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from feedsync.adapter import (
    Action,
    Adapter,
    AdapterConfig,
    Batch,
    Capability,
    Limits,
    PlannedChange,
    RenderedItem,
    Submission,
)
from feedsync.sync.parts import split_parts
from feedsync.testing.fake.schema import SCHEMA
from feedsync.testing.fakes import FakeChannel, default_channel


class FakeConfig(AdapterConfig):
    """[channels.fake]: nothing beyond the common keys."""


class FakeAdapter(Adapter):
    """The fake channel's adapter."""

    name: ClassVar[str] = "fake"
    Config: ClassVar[type[AdapterConfig]] = FakeConfig
    capabilities: ClassVar[Capability] = (Capability.API_PUSH | Capability.PRICE_QUANTITY
                                          | Capability.DELETE)
    limits: ClassVar[Limits] = Limits(max_batch_items=100, max_batch_bytes=1_000_000)

    @classmethod
    def with_limits(cls, items: int, max_bytes: int | None = None) -> type[FakeAdapter]:
        """A subclass with other batch limits."""
        return type("LimitedFakeAdapter", (cls,), {"limits": Limits(items, max_bytes)})

    @property
    def channel(self) -> FakeChannel:
        """The channel this adapter talks to."""
        found = self.context.extras.get("fake_channel")
        return found if isinstance(found, FakeChannel) else default_channel()

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """Deterministic JSON; its byte length (plus a separator) is the size."""
        data: dict[str, Any] | None = None
        if change.record is not None and change.action is not Action.DELETE:
            data = dict(change.record.fields)
            if change.action is Action.PRICE_QUANTITY:
                parts = split_parts(data, SCHEMA)
                data = {"id": change.sku, **parts["price"], **parts["quantity"]}
        payload = {"id": change.sku, "method": str(change.action), "data": data}
        size = len(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()) + 1
        return RenderedItem(sku=change.sku, action=change.action, payload=payload, size=size)

    def submit(self, batch: Batch) -> Submission:
        """Send one batch to the fake channel."""
        return self.channel.submit(batch)

    def poll(self, submission: Submission) -> Submission:
        """Ask the fake channel about an asynchronous batch."""
        return self.channel.poll(submission)


ADAPTER = FakeAdapter
