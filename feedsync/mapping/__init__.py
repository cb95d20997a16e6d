"""The mapping engine: catalog products → channel records, declaratively, explainably."""

from feedsync.mapping.record import FieldValue, MappedRecord, TraceStep
from feedsync.mapping.schema import ChannelSchema, FieldSpec

__all__ = ["ChannelSchema", "FieldSpec", "FieldValue", "MappedRecord", "TraceStep"]
