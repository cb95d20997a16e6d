"""The Sell API operations feedsync uses, over the core-built :class:`~feedsync.http.HttpClient`.

Retries, throttling, token refresh, the circuit breaker and redaction come from the HTTP layer;
this module knows eBay's paths, headers and quirks:

- Inventory API writes carry ``Content-Language`` (the language of the values, e.g. en-US;
  https://developer.ebay.com/api-docs/sell/static/inventory/inventory-api-headers.html);
- bulk calls answer 200, 207 or 400 with a per-entry ``responses`` array: every one of them is
  returned to the caller, which reads the entries (adapters/ebay/responses.py);
- SKUs and ids in paths are percent-encoded (a SKU may hold ``/``);
- retried POSTs are only those eBay makes safe to repeat: replacing inventory items,
  publishing (a second publish is a revision of the same listing), withdrawing, price and
  quantity updates, bulk reads. bulkCreateOffer and createShippingFulfillment are not retried
  blindly: their lost answers are resolved by reading back (error 25002 with the existing
  offerId; getShippingFulfillments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from feedsync.adapters.ebay import limits as ops

from feedsync.errors import ChannelError
from feedsync.http import HttpClient, json_body

INVENTORY = "/sell/inventory/v1"
FULFILLMENT = "/sell/fulfillment/v1"
BULK_STATUSES = (400,)  # a bulk answer with every entry failed is still read entry by entry


def _path(value: str) -> str:
    return quote(value, safe="")


class EbayClient:
    """One seller account's Sell API access for one run."""

    def __init__(self, http: HttpClient, *, content_language: str, marketplace_id: str) -> None:
        self.http = http
        self.content_language = content_language
        self.marketplace_id = marketplace_id

    @property
    def _language(self) -> dict[str, str]:
        return {"Content-Language": self.content_language}

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        body = json_body(response)
        if not isinstance(body, dict):
            raise ChannelError(f"ebay {what}: HTTP {response.status_code} without a JSON "
                               "object body", channel="ebay", status=response.status_code)
        return body

    # --- inventory items ------------------------------------------------------------------

    def bulk_create_or_replace_inventory_item(self, requests_: Sequence[Mapping[str, Any]]
                                              ) -> dict[str, Any]:
        """bulkCreateOrReplaceInventoryItem (≤ 25): a replace, so safe to repeat."""
        response = self.http.post(f"{INVENTORY}/bulk_create_or_replace_inventory_item",
                                  operation=ops.BULK_INVENTORY, idempotent=True,
                                  json={"requests": list(requests_)}, headers=self._language,
                                  ok_statuses=BULK_STATUSES)
        return self._json(response, ops.BULK_INVENTORY)

    def bulk_get_inventory_item(self, skus: Sequence[str]) -> dict[str, Any]:
        """bulkGetInventoryItem (≤ 25 SKUs)."""
        response = self.http.post(f"{INVENTORY}/bulk_get_inventory_item",
                                  operation=ops.BULK_GET_INVENTORY, idempotent=True,
                                  json={"requests": [{"sku": s} for s in skus]},
                                  ok_statuses=BULK_STATUSES)
        return self._json(response, ops.BULK_GET_INVENTORY)

    def delete_inventory_item(self, sku: str) -> None:
        """deleteInventoryItem (its offers go with it); an item already gone is fine."""
        self.http.request("DELETE", f"{INVENTORY}/inventory_item/{_path(sku)}",
                          operation=ops.DELETE_INVENTORY_ITEM, item=sku, ok_statuses=(404,))

    # --- offers ------------------------------------------------------------------------------

    def bulk_create_offer(self, requests_: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """bulkCreateOffer (≤ 25). Not retried on an unknown outcome (see module docstring)."""
        response = self.http.post(f"{INVENTORY}/bulk_create_offer",
                                  operation=ops.BULK_CREATE_OFFER,
                                  json={"requests": list(requests_)}, headers=self._language,
                                  ok_statuses=BULK_STATUSES)
        return self._json(response, ops.BULK_CREATE_OFFER)

    def update_offer(self, offer_id: str, body: Mapping[str, Any], *, sku: str
                     ) -> dict[str, Any]:
        """updateOffer: a full replacement of the offer (ItemRejected for the SKU on 400)."""
        response = self.http.request("PUT", f"{INVENTORY}/offer/{_path(offer_id)}",
                                     operation=ops.UPDATE_OFFER, json=dict(body),
                                     headers=self._language, item=sku)
        answer = json_body(response) if response.content else None
        return answer if isinstance(answer, dict) else {}

    def get_offers(self, sku: str) -> dict[str, Any]:
        """getOffers for one SKU on the configured marketplace (no offer: an empty list)."""
        response = self.http.get(f"{INVENTORY}/offer", operation=ops.GET_OFFERS,
                                 params={"sku": sku, "marketplace_id": self.marketplace_id,
                                         "limit": ops.OFFERS_PAGE_LIMIT},
                                 ok_statuses=(404,))
        if response.status_code == 404:
            return {"offers": []}
        return self._json(response, ops.GET_OFFERS)

    def bulk_publish_offer(self, offer_ids: Sequence[str]) -> dict[str, Any]:
        """bulkPublishOffer (≤ 25)."""
        response = self.http.post(f"{INVENTORY}/bulk_publish_offer",
                                  operation=ops.BULK_PUBLISH, idempotent=True,
                                  json={"requests": [{"offerId": o} for o in offer_ids]},
                                  ok_statuses=BULK_STATUSES)
        return self._json(response, ops.BULK_PUBLISH)

    def withdraw_offer(self, offer_id: str, *, sku: str) -> bool:
        """withdrawOffer: end the listing, keep the offer. False when eBay has no such offer."""
        response = self.http.post(f"{INVENTORY}/offer/{_path(offer_id)}/withdraw",
                                  operation=ops.WITHDRAW_OFFER, idempotent=True, item=sku,
                                  ok_statuses=(404,))
        return response.status_code != 404

    def withdraw_by_inventory_item_group(self, key: str, *, sku: str) -> None:
        """withdrawOfferByInventoryItemGroup: end a multi-variation listing, keep its offers."""
        self.http.post(f"{INVENTORY}/offer/withdraw_by_inventory_item_group",
                       operation=ops.WITHDRAW_GROUP, idempotent=True, item=sku,
                       json={"inventoryItemGroupKey": key,
                             "marketplaceId": self.marketplace_id})

    def bulk_update_price_quantity(self, requests_: Sequence[Mapping[str, Any]]
                                   ) -> dict[str, Any]:
        """bulkUpdatePriceQuantity (≤ 25): absolute values, safe to repeat."""
        response = self.http.post(f"{INVENTORY}/bulk_update_price_quantity",
                                  operation=ops.BULK_PRICE_QUANTITY, idempotent=True,
                                  json={"requests": list(requests_)},
                                  ok_statuses=BULK_STATUSES)
        return self._json(response, ops.BULK_PRICE_QUANTITY)

    # --- inventory item groups --------------------------------------------------------------

    def get_inventory_item_group(self, key: str) -> dict[str, Any] | None:
        """getInventoryItemGroup, or None when eBay has no such group yet."""
        response = self.http.get(f"{INVENTORY}/inventory_item_group/{_path(key)}",
                                 operation=ops.GET_GROUP, ok_statuses=(404,))
        if response.status_code == 404:
            return None
        return self._json(response, ops.GET_GROUP)

    def put_inventory_item_group(self, key: str, body: Mapping[str, Any], *, sku: str) -> None:
        """createOrReplaceInventoryItemGroup (a rejection is reported against ``sku``)."""
        self.http.request("PUT", f"{INVENTORY}/inventory_item_group/{_path(key)}",
                          operation=ops.PUT_GROUP, json=dict(body), headers=self._language,
                          item=sku)

    def publish_by_inventory_item_group(self, key: str, *, sku: str) -> dict[str, Any]:
        """publishOfferByInventoryItemGroup → {listingId, warnings}."""
        response = self.http.post(f"{INVENTORY}/offer/publish_by_inventory_item_group",
                                  operation=ops.PUBLISH_GROUP, idempotent=True, item=sku,
                                  json={"inventoryItemGroupKey": key,
                                        "marketplaceId": self.marketplace_id})
        return self._json(response, ops.PUBLISH_GROUP)

    # --- orders and shipments ------------------------------------------------------------------

    def get_orders(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """getOrders with these query parameters."""
        response = self.http.get(f"{FULFILLMENT}/order", operation=ops.GET_ORDERS,
                                 params=dict(params))
        return self._json(response, ops.GET_ORDERS)

    def get_shipping_fulfillments(self, order_id: str) -> dict[str, Any]:
        """getShippingFulfillments of one order."""
        response = self.http.get(f"{FULFILLMENT}/order/{_path(order_id)}/shipping_fulfillment",
                                 operation=ops.GET_FULFILLMENTS)
        return self._json(response, ops.GET_FULFILLMENTS)

    def create_shipping_fulfillment(self, order_id: str, body: Mapping[str, Any]) -> str | None:
        """createShippingFulfillment → the new fulfillment id (from ``Location``)."""
        response = self.http.post(
            f"{FULFILLMENT}/order/{_path(order_id)}/shipping_fulfillment",
            operation=ops.CREATE_FULFILLMENT, json=dict(body), item=order_id)
        location = response.headers.get("Location") or ""
        return location.rstrip("/").rsplit("/", 1)[-1] or None
