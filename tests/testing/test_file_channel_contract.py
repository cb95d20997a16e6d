"""The whole contract suite — listings, orders, acknowledgements, shipments, read-back — run
against the file channel (feedsync.testing.file_channel), which declares every capability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsync.adapter import Capability
from feedsync.mapping.record import MappedRecord
from feedsync.testing import AdapterContract
from feedsync.testing.file_channel.adapter import FileChannelAdapter
from feedsync.testing.file_channel.double import FileChannelDouble


class TestFileChannelContract(AdapterContract):
    """The fake marketplace third-party adapters test their orders loop against."""

    adapter_class = FileChannelAdapter
    uses_http = False

    def sample_records(self) -> list[MappedRecord]:
        return [MappedRecord(sku=sku, channel="fake", fields={
            "id": sku, "title": f"Item {sku}", "price": "12.50", "quantity": "5"})
            for sku in ("SKU-A", "SKU-B", "SKU-C")]

    @pytest.fixture
    def channel_double(self, tmp_path: Path) -> Iterator[FileChannelDouble]:
        yield FileChannelDouble(tmp_path / "contract-ws")

    def test_it_declares_every_orders_capability_the_suite_checks(self) -> None:
        # The suite switches its orders contracts on by declared capability: this channel is
        # the reference third-party adapters test against, so none of them may be off.
        wanted = (Capability.ORDERS | Capability.ACKNOWLEDGE | Capability.SHIPMENTS
                  | Capability.FETCH_LIVE)
        assert self.adapter_class.capabilities & wanted == wanted
