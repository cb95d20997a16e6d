"""Streaming feed files: RSS 2.0 XML with a namespace, CSV/TSV, gzip, atomic publish, a gate.

A channel declares its formats in ``<package>.feed.FEED_FORMATS`` (name → :class:`FeedFormat`);
:func:`build_feed` writes mapped records in one of them and publishes the file atomically,
after the publish gate compared its item count with the previous feed's.
"""

from feedsync.feeds.atomic import AtomicFile, open_feed_for_reading
from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter, WriterNotes
from feedsync.feeds.build import FeedResult, build_feed
from feedsync.feeds.delimited import DelimitedFormat
from feedsync.feeds.gate import DEFAULT_MAX_DROP, GateDecision, check_publish, previous_feed
from feedsync.feeds.rss import GOOGLE_NS, RssFormat

__all__ = [
    "DEFAULT_MAX_DROP",
    "GOOGLE_NS",
    "AtomicFile",
    "DelimitedFormat",
    "FeedFormat",
    "FeedInfo",
    "FeedResult",
    "FeedWriter",
    "GateDecision",
    "RssFormat",
    "WriterNotes",
    "build_feed",
    "check_publish",
    "open_feed_for_reading",
    "previous_feed",
]
