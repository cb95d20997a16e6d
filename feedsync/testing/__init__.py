"""Reusable test tools: the adapter contract suite, a fake channel and adapter, fake mappers.

An adapter's test module subclasses :class:`AdapterContract` (see its module docstring and
docs/sync.md). The fakes let engine tests and benchmarks run a whole push without a network.
"""

from feedsync.testing.contract import AdapterContract, ChannelDouble, ContractEnv, FakeTime
from feedsync.testing.fake.adapter import FakeAdapter
from feedsync.testing.fake.schema import SCHEMA as FAKE_SCHEMA
from feedsync.testing.fakes import (
    FakeChannel,
    FakeChannelDouble,
    FakeMapper,
    SimulatedCrash,
    StaticMapper,
    default_channel,
    reset_default_channel,
)

__all__ = [
    "FAKE_SCHEMA",
    "AdapterContract",
    "ChannelDouble",
    "ContractEnv",
    "FakeAdapter",
    "FakeChannel",
    "FakeChannelDouble",
    "FakeMapper",
    "FakeTime",
    "SimulatedCrash",
    "StaticMapper",
    "default_channel",
    "reset_default_channel",
]
