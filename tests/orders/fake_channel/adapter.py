"""Moved to :mod:`feedsync.testing.file_channel.adapter` (issue #11); kept so old workspace
configs naming ``tests.orders.fake_channel`` still load."""

from feedsync.testing.file_channel.adapter import (
    ADAPTER,
    FakeChannel,
    FakeConfig,
    FileChannelAdapter,
    parse_order,
)

__all__ = ["ADAPTER", "FakeChannel", "FakeConfig", "FileChannelAdapter", "parse_order"]
