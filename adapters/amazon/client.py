"""The SP-API operations feedsync uses, over feedsync.http's :class:`HttpClient`.

Retries, throttling (buckets per operation from ``limits``; ``x-amzn-RateLimit-Limit`` adjusts
them), token refresh, the circuit breaker and redaction all come from the HTTP layer; this module
only knows Amazon's paths, parameters and quirks:

- arrays in query strings are comma-separated (Swagger ``collectionFormat: csv``);
- SKUs in paths are percent-encoded, slashes included
  (https://developer-docs.amazon.com/sp-api/docs/url-encoding);
- an expired access token is answered with 403 ``Unauthorized`` rather than 401, so that case
  refreshes the token instead of stopping the channel
  (https://developer-docs.amazon.com/sp-api/docs/error-handling);
- presigned feed-document URLs are S3, not SP-API: no access token goes there, and their query
  string (the signature) is never logged (feedsync.http.logsafe masks it).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from feedsync.adapters.amazon import limits as ops
from feedsync.adapters.amazon.limits import AMAZON_RULES, HINT_HOOKS

from feedsync.errors import ChannelError
from feedsync.http import (
    DEFAULT_HINT_HOOKS,
    ErrorTable,
    HttpAuth,
    HttpClient,
    RetryPolicy,
    json_body,
)
from feedsync.http.clock import Clock
from feedsync.http.store import StateStore

CHANNEL = "amazon"
FEEDS = "/feeds/2021-06-30"
LISTINGS = "/listings/2021-08-01/items"
ORDERS = "/orders/2026-01-01/orders"
ORDERS_V0 = "/orders/v0/orders"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_TYPE = "JSON_LISTINGS_FEED"
# A presigned URL lives five minutes: its upload gets a short retry budget of its own.
UPLOAD_RETRY = RetryPolicy(max_attempts=3, max_elapsed=60.0, base_delay=1.0, max_delay=10.0)


def csv(values: Iterable[str]) -> str:
    """A Swagger ``csv`` array parameter."""
    return ",".join(values)


def sku_path(seller_id: str, sku: str) -> str:
    """``/listings/2021-08-01/items/{sellerId}/{sku}`` with both segments percent-encoded."""
    return f"{LISTINGS}/{quote(seller_id, safe='')}/{quote(sku, safe='')}"


class AmazonClient:
    """One seller account's SP-API access for one run."""

    def __init__(self, http: HttpClient, *, seller_id: str, marketplace_ids: Sequence[str],
                 issue_locale: str | None = None) -> None:
        self.http = http
        self.seller_id = seller_id
        self.marketplace_ids = list(marketplace_ids)
        self.issue_locale = issue_locale

    @classmethod
    def create(cls, *, base_url: str, auth: HttpAuth | None, seller_id: str,
               marketplace_ids: Sequence[str], account: str = "default",
               state_store: StateStore | None = None, clock: Clock | None = None,
               issue_locale: str | None = None, retry: RetryPolicy | None = None
               ) -> AmazonClient:
        """A client with Amazon's limits, error rules and rate hints on a new HttpClient
        (scripts and tests; the adapter's client runs on the HttpClient the core builds)."""
        http = HttpClient(CHANNEL, base_url=base_url, account=account, auth=auth,
                          limits=ops.OPERATIONS,
                          error_table=ErrorTable().extend(AMAZON_RULES),
                          hint_hooks=(*DEFAULT_HINT_HOOKS, *HINT_HOOKS),
                          state_store=state_store, clock=clock, retry=retry)
        return cls(http, seller_id=seller_id, marketplace_ids=marketplace_ids,
                   issue_locale=issue_locale)

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        body = json_body(response)
        if not isinstance(body, dict):
            raise ChannelError(f"amazon {what}: HTTP {response.status_code} without a JSON "
                               "object body", channel=CHANNEL, status=response.status_code)
        return body

    # --- Feeds API 2021-06-30 ---------------------------------------------------------------

    def create_feed_document(self, content_type: str = JSON_CONTENT_TYPE) -> dict[str, Any]:
        """createFeedDocument → {feedDocumentId, url}. The url expires in five minutes.

        Retried on transient failures although it is a POST: an unused document is harmless
        (Amazon discards it), a missing one only costs the retry.
        """
        response = self.http.post(f"{FEEDS}/documents", operation=ops.CREATE_FEED_DOCUMENT,
                                  json={"contentType": content_type}, idempotent=True)
        return self._json(response, "createFeedDocument")

    def upload_feed_document(self, url: str, data: bytes,
                             content_type: str = JSON_CONTENT_TYPE) -> None:
        """PUT the document to its presigned URL (no SP-API token: another host)."""
        self.http.request("PUT", url, operation="uploadFeedDocument", data=data,
                          headers={"Content-Type": content_type}, retry=UPLOAD_RETRY)

    def create_feed(self, feed_document_id: str, marketplace_ids: Sequence[str] | None = None,
                    feed_type: str = FEED_TYPE) -> str:
        """createFeed → feedId. Not retried blindly: a repeat would submit the feed twice."""
        body = {"feedType": feed_type,
                "marketplaceIds": list(marketplace_ids or self.marketplace_ids),
                "inputFeedDocumentId": feed_document_id}
        response = self.http.post(f"{FEEDS}/feeds", operation=ops.CREATE_FEED, json=body)
        feed_id = self._json(response, "createFeed").get("feedId")
        if not isinstance(feed_id, str) or not feed_id:
            raise ChannelError("amazon createFeed: no feedId in the answer", channel=CHANNEL)
        return feed_id

    def get_feed(self, feed_id: str) -> dict[str, Any]:
        """getFeed → the feed with its processingStatus (and resultFeedDocumentId when done)."""
        response = self.http.get(f"{FEEDS}/feeds/{quote(feed_id, safe='')}",
                                 operation=ops.GET_FEED)
        return self._json(response, "getFeed")

    def get_feed_document(self, feed_document_id: str) -> dict[str, Any]:
        """getFeedDocument → {feedDocumentId, url, compressionAlgorithm?}."""
        response = self.http.get(f"{FEEDS}/documents/{quote(feed_document_id, safe='')}",
                                 operation=ops.GET_FEED_DOCUMENT)
        return self._json(response, "getFeedDocument")

    def download_document(self, document: Mapping[str, Any]) -> bytes:
        """Download a result document, decompressed when ``compressionAlgorithm`` is GZIP."""
        url = document.get("url")
        if not isinstance(url, str):
            raise ChannelError("amazon getFeedDocument: no url", channel=CHANNEL)
        response = self.http.get(url, operation="downloadFeedDocument", retry=UPLOAD_RETRY)
        data = response.content
        algorithm = document.get("compressionAlgorithm")
        if algorithm == "GZIP":
            try:
                return gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise ChannelError(f"amazon feed document: GZIP data is corrupt ({exc})",
                                   channel=CHANNEL) from None
        if algorithm:
            raise ChannelError(f"amazon feed document: unknown compression {algorithm!r}",
                               channel=CHANNEL)
        return data

    # --- Listings Items API 2021-08-01 --------------------------------------------------------

    def _listing_params(self, mode: str | None, included: Sequence[str]) -> dict[str, str]:
        params = {"marketplaceIds": csv(self.marketplace_ids)}
        if included:
            params["includedData"] = csv(included)
        if mode:
            params["mode"] = mode
        if self.issue_locale:
            params["issueLocale"] = self.issue_locale
        return params

    def put_listings_item(self, sku: str, body: Mapping[str, Any], *,
                          mode: str | None = None) -> dict[str, Any]:
        """putListingsItem (``mode="VALIDATION_PREVIEW"`` validates without saving, 1 req/s)."""
        included = ["issues", "identifiers"] if mode else ["issues"]
        operation = ops.VALIDATION_PREVIEW if mode else ops.PUT_LISTINGS_ITEM
        response = self.http.request("PUT", sku_path(self.seller_id, sku), operation=operation,
                                     params=self._listing_params(mode, included),
                                     json=dict(body), item=sku)
        return self._json(response, "putListingsItem")

    def patch_listings_item(self, sku: str, body: Mapping[str, Any], *,
                            mode: str | None = None) -> dict[str, Any]:
        """patchListingsItem. Retried: replacing an attribute twice leaves the same listing."""
        operation = ops.VALIDATION_PREVIEW if mode else ops.PATCH_LISTINGS_ITEM
        response = self.http.request("PATCH", sku_path(self.seller_id, sku),
                                     operation=operation, idempotent=True,
                                     params=self._listing_params(mode, ["issues"]),
                                     json=dict(body), item=sku)
        return self._json(response, "patchListingsItem")

    # --- Orders ---------------------------------------------------------------------------

    def search_orders(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """searchOrders (Orders API v2026-01-01) with the given query parameters."""
        response = self.http.get(ORDERS, operation=ops.SEARCH_ORDERS, params=dict(params))
        return self._json(response, "searchOrders")

    def get_order(self, order_id: str, included_data: Sequence[str] = ()) -> dict[str, Any]:
        """getOrder (Orders API v2026-01-01) → the ``order`` object."""
        params = {"includedData": csv(included_data)} if included_data else {}
        response = self.http.get(f"{ORDERS}/{quote(order_id, safe='')}",
                                 operation=ops.GET_ORDER, params=params)
        order = self._json(response, "getOrder").get("order")
        if not isinstance(order, dict):
            raise ChannelError(f"amazon getOrder {order_id}: no 'order' in the answer",
                               channel=CHANNEL)
        return order

    def confirm_shipment(self, order_id: str, body: Mapping[str, Any]) -> None:
        """confirmShipment (Orders API v0: the 2026-01-01 model has no shipment operation).

        Not retried blindly: a repeated confirmation could create a second package.
        """
        self.http.post(f"{ORDERS_V0}/{quote(order_id, safe='')}/shipmentConfirmation",
                       operation=ops.CONFIRM_SHIPMENT, json=dict(body), item=order_id)
