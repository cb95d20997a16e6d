"""The fake adapter passes the shared adapter contract suite (and so exercises the suite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from feedsync.adapter import Capability
from feedsync.mapping.record import MappedRecord
from feedsync.testing import AdapterContract, FakeAdapter, FakeChannelDouble


class TestFakeAdapterContract(AdapterContract):
    adapter_class = FakeAdapter
    uses_http = False  # in memory: there is no HTTP layer to retry a transient failure

    def sample_records(self) -> list[MappedRecord]:
        return [
            MappedRecord(sku=sku, channel="fake", fields={
                "id": sku, "title": f"Item {sku}", "price": "12.50 USD", "quantity": "4",
                "availability": "in_stock"})
            for sku in ("C-1", "C-2", "C-3")
        ]

    @pytest.fixture
    def channel_double(self) -> Iterator[FakeChannelDouble]:
        yield FakeChannelDouble()

    def test_the_listing_contracts_apply(self) -> None:
        # The contracts this module exists to exercise are the API-push ones: the fake must
        # declare what switches them on, or the inherited suite would quietly check nothing.
        assert self.adapter_class.capabilities & Capability.API_PUSH
        assert self.adapter_class.capabilities & Capability.PRICE_QUANTITY


class TestAsynchronousFakeAdapterContract(TestFakeAdapterContract):
    """The same contract when the channel answers later (batch handles polled)."""

    @pytest.fixture
    def channel_double(self) -> Iterator[FakeChannelDouble]:
        double = FakeChannelDouble()
        double.channel.asynchronous = True
        double.channel.polls_needed = 2
        yield double
