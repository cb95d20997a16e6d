"""Reading Amazon listings back for ``feedsync reconcile``: searchListingsItems by SKU.

Listings Items API 2021-08-01, ``GET /listings/2021-08-01/items/{sellerId}``
(https://developer-docs.amazon.com/sp-api/reference/searchlistingsitems): up to 20 SKUs per call
(``identifiers`` maxItems 20 with ``identifiersType=SKU``), ``pageSize`` at most 20, the
``summaries``, ``offers`` and ``fulfillmentAvailability`` of the marketplace the mapping writes
for. Usage plan: 5 requests per second, burst 5 (the model's description; the
``x-amzn-RateLimit-Limit`` header adjusts it per seller).

What comes back is reduced to reconcile's live view: the listing exists (it was returned), its
B2C price in that marketplace, the quantity of the merchant's fulfilment channel (``DEFAULT``;
Amazon-fulfilled stock is Amazon's to count), and whether Amazon shows it as buyable. A SKU
Amazon does not return is absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from feedsync.adapters.amazon.limits import SEARCH_LISTINGS_ITEMS

from feedsync.errors import ChannelError

LISTINGS = "/listings/2021-08-01/items"
OPERATION = SEARCH_LISTINGS_ITEMS
MAX_IDENTIFIERS = 20  # searchListingsItems: identifiers maxItems
PAGE_SIZE = 20  # pageSize maximum
INCLUDED_DATA = ("summaries", "offers", "fulfillmentAvailability")


def search_path(seller_id: str) -> str:
    """``/listings/2021-08-01/items/{sellerId}`` with the seller id percent-encoded."""
    return f"{LISTINGS}/{quote(seller_id, safe='')}"


def search_params(skus: Sequence[str], marketplace_id: str,
                  page_token: str | None = None) -> dict[str, str]:
    """The query of one searchListingsItems call for up to :data:`MAX_IDENTIFIERS` SKUs."""
    if not 0 < len(skus) <= MAX_IDENTIFIERS:
        raise ValueError(f"searchListingsItems takes 1 to {MAX_IDENTIFIERS} SKUs, not "
                         f"{len(skus)}")
    params = {"marketplaceIds": marketplace_id, "identifiers": ",".join(skus),
              "identifiersType": "SKU", "includedData": ",".join(INCLUDED_DATA),
              "pageSize": str(PAGE_SIZE)}
    if page_token:
        params["pageToken"] = page_token
    return params


def live_view(item: Mapping[str, Any], marketplace_id: str,
              fulfillment_channel_code: str = "DEFAULT") -> dict[str, Any]:
    """One ``Item`` of a searchListingsItems answer as reconcile's live dict. Pure."""
    summary = next((s for s in item.get("summaries") or []
                    if s.get("marketplaceId") == marketplace_id), None)
    statuses = list((summary or {}).get("status") or [])
    offer = next((o for o in item.get("offers") or []
                  if o.get("marketplaceId") == marketplace_id
                  and o.get("offerType", "B2C") == "B2C"), None)
    price = (offer or {}).get("price") or {}
    stock = next((f for f in item.get("fulfillmentAvailability") or []
                  if f.get("fulfillmentChannelCode") == fulfillment_channel_code), None)
    quantity = (stock or {}).get("quantity")
    return {"sku": str(item.get("sku", "")), "present": True,
            "price": None if price.get("amount") is None else str(price["amount"]),
            "currency": price.get("currencyCode"),
            "quantity": int(quantity) if isinstance(quantity, int | float) else None,
            "status": "buyable" if "BUYABLE" in statuses else (
                "discoverable" if "DISCOVERABLE" in statuses else "inactive"),
            "asin": (summary or {}).get("asin")}


def fetch_live(http: Any, seller_id: str, marketplace_id: str, skus: Sequence[str], *,
               fulfillment_channel_code: str = "DEFAULT") -> Iterator[dict[str, Any]]:
    """What Amazon shows for ``skus``, 20 SKUs per call, following ``nextToken``."""
    for start in range(0, len(skus), MAX_IDENTIFIERS):
        chunk = list(skus[start:start + MAX_IDENTIFIERS])
        token: str | None = None
        seen: set[str] = set()  # a page token seen twice would loop forever
        while True:
            response = http.get(search_path(seller_id), operation=OPERATION,
                                params=search_params(chunk, marketplace_id, token))
            body = response.json() if response.content else {}
            if not isinstance(body, dict):
                raise ChannelError("amazon searchListingsItems: the answer is not a JSON "
                                   "object", channel="amazon", status=response.status_code)
            for item in body.get("items") or []:
                yield live_view(item, marketplace_id, fulfillment_channel_code)
            token = (body.get("pagination") or {}).get("nextToken")
            if not token or token in seen:
                break
            seen.add(token)
