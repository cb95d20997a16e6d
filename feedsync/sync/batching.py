"""Grouping rendered items into batches within an adapter's documented limits.

A batch closes when one more item would exceed ``Limits.max_batch_items`` or
``Limits.max_batch_bytes`` (the sum of ``RenderedItem.size``; an adapter declares the byte limit
net of its request envelope). Items whose ``Adapter.batch_key`` differs never share a batch, and
an item larger than the byte limit on its own is refused (the caller records it against its
SKU) rather than sent in a request the channel would reject whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from feedsync.adapter_types import Batch, Limits, RenderedItem

T = TypeVar("T")


class ItemTooLarge(ValueError):
    """One rendered item is larger than the channel's whole batch byte limit."""


@dataclass
class Outgoing(Generic[T]):
    """A batch ready to send, with the caller's bookkeeping per item (same order)."""

    batch: Batch
    tags: list[T] = field(default_factory=list)
    size: int = 0


class Batcher(Generic[T]):
    """Accumulates items per batch key; :meth:`add` returns batches that became full."""

    def __init__(self, channel: str, limits: Limits,
                 key: Callable[[RenderedItem], str] = lambda item: "") -> None:
        if limits.max_batch_items < 1:
            raise ValueError(f"{channel}: Limits.max_batch_items must be at least 1")
        if limits.max_batch_bytes is not None and limits.max_batch_bytes < 1:
            raise ValueError(f"{channel}: Limits.max_batch_bytes must be positive")
        self.channel = channel
        self.limits = limits
        self.key = key
        self._open: dict[str, Outgoing[T]] = {}

    def add(self, item: RenderedItem, tag: T) -> list[Outgoing[T]]:
        """Add one item; return the batches that are now full (oldest first)."""
        max_bytes = self.limits.max_batch_bytes
        if max_bytes is not None and item.size > max_bytes:
            raise ItemTooLarge(
                f"{item.sku}: rendered item is {item.size} bytes, more than the channel's "
                f"{max_bytes}-byte request limit"
            )
        key = self.key(item)
        current = self._open.get(key)
        full: list[Outgoing[T]] = []
        if current is not None and (
            len(current.batch.items) >= self.limits.max_batch_items
            or (max_bytes is not None and current.size + item.size > max_bytes)
        ):
            full.append(current)
            current = None
        if current is None:
            current = Outgoing(Batch(channel=self.channel, items=[]))
            self._open[key] = current
        current.batch.items.append(item)
        current.tags.append(tag)
        current.size += item.size
        if len(current.batch.items) >= self.limits.max_batch_items:
            full.append(current)
            del self._open[key]
        return full

    def flush(self) -> Iterator[Outgoing[T]]:
        """Every batch still open (the last, partly filled ones)."""
        while self._open:
            _, outgoing = self._open.popitem()
            yield outgoing
