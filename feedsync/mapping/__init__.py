"""The mapping engine: catalog products → channel records, declaratively, explainably.

See docs/mapping.md for the mapping-file reference and the engine API.
"""

from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.record import FieldValue, MappedRecord, TraceStep
from feedsync.mapping.schema import ChannelSchema, FieldSpec

__all__ = ["ChannelMapper", "ChannelSchema", "FieldSpec", "FieldValue", "MappedRecord",
           "TraceStep"]
