"""``feedsync feed build amazon``: the JSON_LISTINGS_FEED document that would be sent, for review.

Every sendable record becomes a full ``UPDATE`` message (what its listing would be after the
sync), numbered 1..n, streamed one record at a time. The sync itself sends changes only (PATCH
for content and price/quantity changes, see adapters/amazon/render.py) in feeds of at most
25,000 messages; a review file larger than that is still written whole and says so in its notes.

The header needs the seller id, and the attribute values the marketplace and language, from
``[channels.amazon]``. They are read from ``FeedInfo.settings`` when the builder provides it,
else from the workspace that holds the output file, else from the current workspace
($FEEDSYNC_WORKSPACE or the working directory).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.config import AmazonConfig
from feedsync.adapters.amazon.limits import MAX_FEED_BYTES, MAX_FEED_MESSAGES
from feedsync.adapters.amazon.parents import parent_message, parent_of

from feedsync.adapter_factory import adapter_settings
from feedsync.config import CONFIG_FILE, Workspace, load_workspace
from feedsync.errors import ConfigError, ItemRejected
from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema

MESSAGE_MARK = b'{"messageId":'
PARENT_MARK = b'"requirements":"LISTING_PRODUCT_ONLY"'


def _stream_path(stream: Any) -> Path | None:
    # The builder writes through wrappers (hashing, gzip) around a real file; find its name.
    seen = 0
    while stream is not None and seen < 5:
        name = getattr(stream, "name", None)
        if isinstance(name, str) and name:
            return Path(name)
        if isinstance(name, int):  # opened from a descriptor (mkstemp): ask the OS (Linux)
            link = Path(f"/proc/self/fd/{name}")
            if link.is_symlink():
                return Path(os.readlink(link))
        stream = getattr(stream, "raw", None) or getattr(stream, "fileobj", None)
        seen += 1
    return None


def _workspace_for(stream: Any) -> Workspace | None:
    path = _stream_path(stream)
    if path is not None:
        for folder in path.resolve().parents:
            if (folder / CONFIG_FILE).is_file():
                return load_workspace(folder)
    try:
        return load_workspace()
    except ConfigError:
        return None


def resolve_config(info: FeedInfo, stream: Any) -> tuple[AmazonConfig, str | None]:
    """The Amazon settings and the catalog's default currency for this build.

    The feed builder hands the settings the core validated (``info.settings``); a stream
    written outside it reads them from the workspace, validated the same way.
    """
    given = getattr(info, "settings", None)
    if isinstance(given, AmazonConfig):
        return given, None
    workspace = _workspace_for(stream)
    if workspace is None:
        raise ConfigError("amazon feed: no workspace found to read [channels.amazon] from "
                          "(run from the workspace or set FEEDSYNC_WORKSPACE)")
    config = adapter_settings(workspace, "amazon")
    if not isinstance(config, AmazonConfig):
        raise ConfigError("amazon feed: [channels.amazon] is not configured for the amazon "
                          "adapter")
    return config, workspace.settings.catalog.default_currency


class JsonListingsWriter(FeedWriter):
    """Writes a JSON_LISTINGS_FEED document one message at a time."""

    def __init__(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo,
                 config: AmazonConfig, currency: str | None) -> None:
        super().__init__(stream, schema, info)
        if not config.seller_id or not config.primary_marketplace:
            raise ConfigError("amazon feed: set channels.amazon.seller_id and "
                              "channels.amazon.marketplace_ids in feedsync.toml")
        self.ctx = render.RenderContext(
            marketplace_id=config.primary_marketplace, language_tag=config.language_tag,
            fulfillment_channel_code=config.fulfillment_channel_code, default_currency=currency)
        self._parents: set[str] = set()
        header = render.dumps(render.feed_header(config.seller_id, config.issue_locale))
        self._write('{"header":' + header + ',"messages":[')

    def _write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.written = getattr(self, "written", 0) + len(data)
        self.stream.write(data)

    def write(self, record: MappedRecord) -> None:
        """Append the record's full UPDATE message (a render error is noted, not fatal)."""
        for name in record.fields:
            if name not in self.schema:
                raise self._unknown_field(record, name)
        try:
            message = render.update_message(record.sku, record.fields, self.ctx)
        except ItemRejected as exc:
            self.notes.add("rejected_by_render", record.sku, str(exc))
            return
        parent = parent_of(message)
        if parent is not None and parent not in self._parents:
            # As the sync sends it: the family's parent listing right before its first child
            # (adapters/amazon/parents.py); counted as a message, not as an item.
            self._parents.add(parent)
            self._message(parent_message(parent, [message]))
        self.items += 1
        self._message(message)
        if self.items == MAX_FEED_MESSAGES + 1:
            self.notes.add("over_25000_messages", record.sku, "the sync splits it into feeds")
        if self.written > MAX_FEED_BYTES and not self.notes.counts.get("over_10_mib"):
            self.notes.add("over_10_mib", record.sku, "the sync splits it into feeds")

    def _message(self, message: dict[str, Any]) -> None:
        self.messages = getattr(self, "messages", 0) + 1
        if self.messages > 1:
            self._write(",\n")
        self._write(render.dumps({"messageId": self.messages, **message}))

    def close(self) -> None:
        """End the messages list and the document."""
        self._write("]}\n")


class JsonListingsFormat(FeedFormat):
    """Amazon's JSON_LISTINGS_FEED (listings-feed-schema-v2)."""

    name = "json"
    extension = "json"
    media_type = "application/json"

    def open(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo,
             columns: Sequence[str] | None = None) -> FeedWriter:
        """A writer on ``stream``; ``columns`` does not apply to a JSON document."""
        config, currency = resolve_config(info, stream)
        return JsonListingsWriter(stream, schema, info, config, currency)

    def count_items(self, stream: BinaryIO) -> int:
        """Messages in a document written by this format (streamed, constant memory).

        The writer starts every message with ``{"messageId":``, which cannot occur inside a
        JSON string (its quotes would be escaped), so counting that mark is exact.
        """
        count, tail = 0, b""
        keep = max(len(MESSAGE_MARK), len(PARENT_MARK)) - 1
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            # A variation parent's message is not an item (only parents are product-only).
            count += data.count(MESSAGE_MARK) - data.count(PARENT_MARK)
            # Keep less than one mark: a mark found next time must end in the new chunk.
            tail = data[-keep:]
            count -= tail.count(MESSAGE_MARK) - tail.count(PARENT_MARK)
        return count + tail.count(MESSAGE_MARK) - tail.count(PARENT_MARK)


FEED_FORMATS: dict[str, FeedFormat] = {"json": JsonListingsFormat()}
