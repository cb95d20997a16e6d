"""Reusable test tools: the adapter contract suite, a fake channel and adapter, fake mappers.

An adapter's test module subclasses :class:`AdapterContract` (see its module docstring and
docs/sync.md) and stands the marketplace in with a subclass of :class:`HttpChannelDouble`
(:mod:`feedsync.testing.http_double`; imported on first use, it needs the ``test`` extra's
``responses`` and ``jsonschema``). The fakes let engine tests and benchmarks run a whole push
without a network.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from feedsync.testing.http_double import HttpChannelDouble

# Each name is imported on first use (PEP 562): a workspace whose channel is the file channel
# (feedsync.testing.file_channel) must not load the contract suite to run `plan` (#19), and
# HttpChannelDouble needs the ``test`` extra's ``responses``.
_LAZY = {
    "FAKE_SCHEMA": ("feedsync.testing.fake.schema", "SCHEMA"),
    "AdapterContract": ("feedsync.testing.contract", "AdapterContract"),
    "ChannelDouble": ("feedsync.testing.contract", "ChannelDouble"),
    "ContractEnv": ("feedsync.testing.contract", "ContractEnv"),
    "FakeTime": ("feedsync.testing.contract", "FakeTime"),
    "FakeAdapter": ("feedsync.testing.fake.adapter", "FakeAdapter"),
    "FakeChannel": ("feedsync.testing.fakes", "FakeChannel"),
    "FakeChannelDouble": ("feedsync.testing.fakes", "FakeChannelDouble"),
    "FakeMapper": ("feedsync.testing.fakes", "FakeMapper"),
    "HttpChannelDouble": ("feedsync.testing.http_double", "HttpChannelDouble"),
    "SimulatedCrash": ("feedsync.testing.fakes", "SimulatedCrash"),
    "StaticMapper": ("feedsync.testing.fakes", "StaticMapper"),
    "default_channel": ("feedsync.testing.fakes", "default_channel"),
    "reset_default_channel": ("feedsync.testing.fakes", "reset_default_channel"),
}

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
    """The public names, each imported on first use (see ``_LAZY``)."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
