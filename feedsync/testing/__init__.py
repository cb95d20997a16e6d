"""Reusable test tools: the adapter contract suite, a fake channel and adapter, fake mappers.

An adapter's test module subclasses :class:`AdapterContract` (see its module docstring and
docs/sync.md) and stands the marketplace in with a subclass of :class:`HttpChannelDouble`
(:mod:`feedsync.testing.http_double`; imported on first use, it needs the ``test`` extra's
``responses`` and ``jsonschema``). The fakes let engine tests and benchmarks run a whole push
without a network.
"""

from typing import Any

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
    "HttpChannelDouble",
    "SimulatedCrash",
    "StaticMapper",
    "default_channel",
    "reset_default_channel",
]


def __getattr__(name: str) -> Any:
    """``HttpChannelDouble`` is imported on first use: ``responses`` is a test dependency."""
    if name == "HttpChannelDouble":
        from feedsync.testing.http_double import HttpChannelDouble

        return HttpChannelDouble
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
