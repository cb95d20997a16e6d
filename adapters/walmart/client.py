"""The Walmart Marketplace operations feedsync uses, over feedsync.http's :class:`HttpClient`.

Retries, throttling, token refresh, the circuit breaker and redaction come from the HTTP layer;
this module knows Walmart's paths, parameters and quirks:

- feeds are ``multipart/form-data`` with the document in a part named ``file`` (itemBulkUploads,
  priceBulkUploads and updateBulkInventory in ../shared/specs/walmart);
- a feed id contains ``@`` and "must be entered in the URL as …%40…" (getFeedItemStatus);
- ``nextCursor`` of getAllOrders is a whole query string, appended to /v3/orders as it is;
- SKUs in query strings are percent-encoded ("Special characters in the sku needing encoding",
  updateInventoryForAnItem), which ``requests`` does for ``params``;
- errors are read by ``adapters.walmart.errors`` (Walmart's three JSON error shapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from feedsync.adapters.walmart import limits as ops

from feedsync.errors import ChannelError
from feedsync.http import HttpClient, json_body

CHANNEL = "walmart"
FEEDS = "/v3/feeds"
ORDERS = "/v3/orders"


class WalmartClient:
    """One seller account's Walmart Marketplace access for one run."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        body = json_body(response)
        if not isinstance(body, dict):
            raise ChannelError(f"walmart {what}: HTTP {response.status_code} without a JSON "
                               "object body", channel=CHANNEL, status=response.status_code)
        return body

    # --- feeds --------------------------------------------------------------------------------

    def upload_feed(self, feed_type: str, document: bytes, *,
                    params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """POST /v3/feeds?feedType=… with the document as the multipart ``file`` part.

        Not retried after a 5xx or a timeout (Walmart may have created the feed): the caller
        resolves that by listing recent feeds. A 429 is retried (nothing was created).
        """
        query = {"feedType": feed_type, **(params or {})}
        files = {"file": (f"{feed_type}.json", document, "application/json")}
        response = self.http.post(FEEDS, operation=f"uploadFeed:{feed_type}", params=query,
                                  files=files)
        return self._json(response, f"{feed_type} feed upload")

    def feed_status(self, feed_id: str, *, offset: int = 0,
                    limit: int = ops.FEED_STATUS_PAGE_LIMIT) -> dict[str, Any]:
        """GET /v3/feeds/{feedId}?includeDetails=true, one page of item details."""
        response = self.http.get(f"{FEEDS}/{quote(feed_id, safe='')}",
                                 operation=ops.GET_FEED_STATUS,
                                 params={"includeDetails": "true", "offset": str(offset),
                                         "limit": str(limit)})
        return self._json(response, "getFeedItemStatus")

    def list_feeds(self, *, offset: int = 0, limit: int = ops.FEED_STATUS_PAGE_LIMIT
                   ) -> dict[str, Any]:
        """GET /v3/feeds: the newest feeds first (read-back after a lost upload answer)."""
        response = self.http.get(FEEDS, operation=ops.GET_ALL_FEED_STATUSES,
                                 params={"offset": str(offset), "limit": str(limit)})
        return self._json(response, "getAllFeedStatuses")

    # --- inventory ------------------------------------------------------------------------------

    def update_inventory(self, sku: str, ship_node: str, body: Mapping[str, Any]
                         ) -> dict[str, Any]:
        """PUT /v3/inventory?sku=…&shipNode=… (one SKU at one ship node; applied at once)."""
        response = self.http.request("PUT", "/v3/inventory", operation=ops.UPDATE_INVENTORY,
                                     params={"sku": sku, "shipNode": ship_node},
                                     json=dict(body), item=sku)
        return self._json(response, "updateInventoryForAnItem")

    def get_inventory(self, sku: str, ship_node: str | None) -> dict[str, Any] | None:
        """GET /v3/inventory?sku=… (None when Walmart does not know the SKU)."""
        params = {"sku": sku, **({"shipNode": ship_node} if ship_node else {})}
        response = self.http.get("/v3/inventory", operation=ops.GET_INVENTORY, params=params,
                                 ok_statuses=(404,))
        return None if response.status_code == 404 else self._json(response, "getInventory")

    def get_inventories(self, cursor: str | None = None) -> dict[str, Any]:
        """GET /v3/inventories: one page of every SKU's quantities per ship node."""
        params = {"limit": "50", **({"nextCursor": cursor} if cursor else {})}
        response = self.http.get("/v3/inventories",
                                 operation=ops.GET_MULTI_NODE_INVENTORIES, params=params)
        return self._json(response, "getMultiNodeInventoryForAllSkuAndAllShipNodes")

    # --- items ----------------------------------------------------------------------------------

    def get_items(self, *, cursor: str = "*", sku: str | None = None) -> dict[str, Any] | None:
        """GET /v3/items: one page (``nextCursor``), or one SKU (None when unknown)."""
        params = {"sku": sku} if sku else {"nextCursor": cursor,
                                           "limit": str(ops.ITEMS_PAGE_LIMIT)}
        response = self.http.get("/v3/items", operation=ops.GET_ALL_ITEMS, params=params,
                                 ok_statuses=(404,))
        return None if response.status_code == 404 else self._json(response, "getAllItems")

    # --- orders ---------------------------------------------------------------------------------

    def get_orders(self, params: Mapping[str, str] | None, cursor: str | None = None
                   ) -> dict[str, Any]:
        """GET /v3/orders with ``params``, or with a ``nextCursor`` query string as it is."""
        if cursor:
            if not cursor.startswith("?"):
                raise ChannelError(f"walmart getAllOrders: unexpected nextCursor {cursor[:40]!r}",
                                   channel=CHANNEL)
            response = self.http.get(ORDERS + cursor, operation=ops.GET_ALL_ORDERS)
        else:
            response = self.http.get(ORDERS, operation=ops.GET_ALL_ORDERS,
                                     params=dict(params or {}))
        return self._json(response, "getAllOrders")

    def get_order(self, purchase_order_id: str) -> dict[str, Any]:
        """GET /v3/orders/{purchaseOrderId} → the order record."""
        response = self.http.get(f"{ORDERS}/{quote(purchase_order_id, safe='')}",
                                 operation=ops.GET_AN_ORDER)
        order = self._json(response, "getAnOrder").get("order")
        if not isinstance(order, dict):
            raise ChannelError(f"walmart getAnOrder {purchase_order_id}: no 'order' in the "
                               "answer", channel=CHANNEL)
        return order

    def acknowledge(self, purchase_order_id: str) -> dict[str, Any]:
        """POST /v3/orders/{purchaseOrderId}/acknowledge. Retried: re-acknowledging an order
        that is already Acknowledged is allowed (https://developer.walmart.com/us-marketplace/
        reference/acknowledgeorders)."""
        response = self.http.post(f"{ORDERS}/{quote(purchase_order_id, safe='')}/acknowledge",
                                  operation=ops.ACKNOWLEDGE, idempotent=True)
        return self._json(response, "acknowledgeOrders")

    def ship_order_lines(self, purchase_order_id: str, body: Mapping[str, Any]
                         ) -> dict[str, Any]:
        """POST /v3/orders/{purchaseOrderId}/shipping. Not retried blindly: the next attempt
        reads the order back first (adapters.walmart.shipments)."""
        response = self.http.post(f"{ORDERS}/{quote(purchase_order_id, safe='')}/shipping",
                                  operation=ops.SHIPPING, json=dict(body),
                                  item=purchase_order_id)
        return self._json(response, "shippingUpdates")
