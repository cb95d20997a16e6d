"""The JSON_LISTINGS_FEED flow: upload a document, create the feed, poll it, read its report.

https://developer-docs.amazon.com/sp-api/docs/feeds-api-v2021-06-30-use-case-guide

1. createFeedDocument (contentType ``application/json; charset=UTF-8``) → document id + a
   presigned URL valid for five minutes;
2. PUT the document there at once (if creating the document took longer than the URL lives,
   e.g. behind a throttle wait, a fresh document is requested);
3. createFeed (feedType JSON_LISTINGS_FEED, marketplaceIds, inputFeedDocumentId) → feed id;
4. getFeed until processingStatus is DONE, CANCELLED or FATAL;
5. getFeedDocument(resultFeedDocumentId) → download (gunzip when compressionAlgorithm is GZIP)
   → the processing report → per-SKU outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from feedsync.adapters.amazon.client import JSON_CONTENT_TYPE, AmazonClient
from feedsync.adapters.amazon.limits import MAX_FEED_BYTES
from feedsync.adapters.amazon.report import ProcessingReport, parse_report

from feedsync.errors import ChannelError, TransientError
from feedsync.http.clock import Clock

log = logging.getLogger("feedsync.adapters.amazon")

URL_LIFETIME = 300.0  # seconds a presigned document URL is valid
UPLOAD_MARGIN = 30.0  # do not start an upload this close to the URL's expiry
PENDING_STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS"})
FINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})


@dataclass
class FeedStatus:
    """What getFeed says about one feed."""

    feed_id: str
    processing_status: str
    result_document_id: str | None
    raw: dict[str, Any]

    @property
    def finished(self) -> bool:
        """True once Amazon will not change this feed any more."""
        return self.processing_status in FINAL_STATUSES


class FeedFlow:
    """Submits JSON_LISTINGS_FEED documents and fetches their processing reports."""

    def __init__(self, client: AmazonClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    def upload(self, document: bytes) -> str:
        """Steps 1–2: a feed document holding ``document``; returns its id."""
        if len(document) > MAX_FEED_BYTES:
            raise ChannelError(f"amazon feed document is {len(document)} bytes, above the "
                               f"{MAX_FEED_BYTES} bytes Amazon accepts", channel="amazon")
        for _ in range(2):
            created_at = self.clock.time()
            created = self.client.create_feed_document(JSON_CONTENT_TYPE)
            document_id, url = created.get("feedDocumentId"), created.get("url")
            if not isinstance(document_id, str) or not isinstance(url, str):
                raise ChannelError("amazon createFeedDocument: no feedDocumentId/url",
                                   channel="amazon")
            if self.clock.time() - created_at > URL_LIFETIME - UPLOAD_MARGIN:
                log.info("amazon: presigned URL of document %s too old to use; asking again",
                         document_id)
                continue
            self.client.upload_feed_document(url, document, JSON_CONTENT_TYPE)
            return document_id
        raise TransientError("amazon: could not upload a feed document before its URL expired")

    def submit(self, document: bytes, marketplace_ids: Sequence[str] | None = None
               ) -> tuple[str, str]:
        """Steps 1–3: upload and create the feed; returns (feed id, document id)."""
        document_id = self.upload(document)
        feed_id = self.client.create_feed(document_id, marketplace_ids)
        log.info("amazon: feed %s created from document %s (%d bytes)", feed_id, document_id,
                 len(document))
        return feed_id, document_id

    def status(self, feed_id: str) -> FeedStatus:
        """Step 4, once."""
        raw = self.client.get_feed(feed_id)
        status = raw.get("processingStatus")
        if not isinstance(status, str):
            raise ChannelError(f"amazon getFeed {feed_id}: no processingStatus",
                               channel="amazon")
        result = raw.get("resultFeedDocumentId")
        return FeedStatus(feed_id, status, result if isinstance(result, str) else None, raw)

    def wait(self, feed_id: str, *, interval: float, timeout: float) -> FeedStatus:
        """Poll getFeed every ``interval`` seconds until the feed is finished or ``timeout``."""
        started = self.clock.time()
        while True:
            status = self.status(feed_id)
            if status.finished or self.clock.time() - started + interval > timeout:
                return status
            self.clock.sleep(interval)

    def report(self, result_document_id: str) -> ProcessingReport:
        """Step 5: download and parse the processing report."""
        document = self.client.get_feed_document(result_document_id)
        return parse_report(self.client.download_document(document))
