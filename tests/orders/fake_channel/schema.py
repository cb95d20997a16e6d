"""Moved to :mod:`feedsync.testing.file_channel.schema` (issue #11)."""

from feedsync.testing.file_channel.schema import SCHEMA

__all__ = ["SCHEMA"]
