"""The mapping engine: catalog products → channel records, declaratively, explainably.

See docs/mapping.md for the mapping-file reference and the engine API.
"""

from typing import TYPE_CHECKING, Any

from feedsync.mapping.record import FieldValue, MappedRecord, TraceStep
from feedsync.mapping.schema import ChannelSchema, FieldSpec

if TYPE_CHECKING:
    from feedsync.mapping.engine import ChannelMapper

__all__ = ["ChannelMapper", "ChannelSchema", "FieldSpec", "FieldValue", "MappedRecord",
           "TraceStep"]


def __getattr__(name: str) -> Any:
    """``ChannelMapper`` on first use: importing ``feedsync.mapping.record`` or ``.schema``
    (the plan, the adapter types) must not load the engine, its transforms and regexes (#19)."""
    if name == "ChannelMapper":
        from feedsync.mapping.engine import ChannelMapper

        return ChannelMapper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
