"""A stand-in for the eBay Sell APIs the adapter uses, on feedsync.testing.HttpChannelDouble.

It keeps inventory items, offers (UNPUBLISHED → PUBLISHED with a listing id), inventory item
groups, orders and shipping fulfillments in memory, answers in eBay's shapes (bulk answers 200
/ 207 / 400 with per-entry ``statusCode``; errors ``{errorId, domain, category, message,
parameters}``), enforces eBay's rules the adapter must respect (≤ 25 entries per bulk call, one
offer per SKU and marketplace — a second bulkCreateOffer gets error 25002 with the existing
``offerId``, the Content-Language header on Inventory API writes, a Bearer token from the
refresh-token grant with HTTP Basic client authentication) and, when the official contracts
are present, validates every request body against the operation's OAS request schema
(tests/adapters/ebay/ebay_oas.py).

It implements :class:`feedsync.testing.ChannelDouble` and the capability side of
:mod:`feedsync.testing.capabilities` (``add_order``/``page_size``, ``confirmations``,
``remove_live``) for the shared contract suites.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections import Counter
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, unquote

from feedsync.adapters.ebay.config import HOSTS, SCOPES, TOKEN_PATH

from feedsync.testing.http_double import Captured, HttpChannelDouble
from tests.conftest import specs_root

BASE = HOSTS["production"]
INV = f"{BASE}/sell/inventory/v1"
FUL = f"{BASE}/sell/fulfillment/v1"
ACCESS_TOKEN = "v^1.1#i^1#double-access-token"
CLIENT = ("Northwind-feedsync-PRD-0123", "PRD-client-secret-0123")

Reply = tuple[int, dict[str, str], str]
JSON = {"Content-Type": "application/json"}


def error(error_id: int, message: str, **params: str) -> dict[str, Any]:
    """One eBay ``Error`` object."""
    entry: dict[str, Any] = {"errorId": error_id, "domain": "API_INVENTORY",
                             "category": "REQUEST", "message": message}
    if params:
        entry["parameters"] = [{"name": k, "value": v} for k, v in params.items()]
    return entry


def _iso(moment: Any) -> str:
    """eBay's timestamp format (UTC, milliseconds)."""
    return str(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"))


def _reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return status, {**JSON, **(headers or {})}, json.dumps(body)


def _bulk(entries: list[dict[str, Any]]) -> Reply:
    codes = {e["statusCode"] for e in entries}
    status = 200 if codes == {200} else 400 if all(c >= 400 for c in codes) else 207
    return _reply({"responses": entries}, status)


def _schemas() -> dict[str, Any]:
    """The OAS request validator of every operation the double answers (specs present)."""
    if not (specs_root() / "ebay").is_dir():
        return {}
    from ebay_oas import request_validator

    found = {}
    for _verb, _pattern, op, _handler in ROUTES:
        api = "fulfillment" if op in FULFILLMENT_OPS else "inventory"
        try:
            found[op] = request_validator(api, op)
        except KeyError:  # an operation without a JSON request body
            continue
    return found


class EbayDouble(HttpChannelDouble):
    """One seller account on EBAY_US (see the module docstring)."""

    hosts = (f"{BASE}/sell",)
    token_url = f"{BASE}{TOKEN_PATH}"

    def __init__(self, *, validate: bool = True, keep_requests: bool = True) -> None:
        super().__init__(schemas=_schemas() if validate else None)
        self.items: dict[str, dict[str, Any]] = {}
        self.offers: dict[str, dict[str, Any]] = {}  # offerId → offer (+ status, listing)
        self.offer_by_sku: dict[str, str] = {}  # SKU → offerId (one per SKU on EBAY_US)
        self.groups: dict[str, dict[str, Any]] = {}
        self.orders: list[dict[str, Any]] = []
        self.fulfillments: dict[str, list[dict[str, Any]]] = {}
        self.throttle = 0  # answer this many API calls with eBay's 429
        self.expire_token_once = False  # answer the next API call 401 (an expired token)
        self.page_size = 200  # orders per getOrders page (the contract suite sets 2)
        self.confirmations: list[dict[str, Any]] = []  # createShippingFulfillment, per call
        self.counts: Counter[str] = Counter()  # API calls per operation
        self.token_requests = 0
        self.keep_requests = keep_requests  # False: forget captured requests (big benches)
        self._ops: list[str] = []
        self._mark = 0
        self._ids = itertools.count(5_000_000_001)

    # --- the channel's shapes (HttpChannelDouble) ---------------------------------------------

    def operation(self, request: Captured) -> str | None:
        op = self._route(request)[0]
        self.counts[op] += 1
        self._ops.append(op)
        if not self.keep_requests:
            del self.captured[:-1]
        return op

    def authorised(self, request: Captured) -> bool:
        if self.expire_token_once:
            self.expire_token_once = False
            return False
        return request.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"

    def auth_refused_reply(self) -> Reply:
        return _reply({"errors": [{"errorId": 1001, "domain": "OAuth", "category": "REQUEST",
                                   "message": "Invalid access token",
                                   "longMessage": "Invalid access token. Check the value of "
                                                  "the Authorization HTTP request header."}]},
                      401)

    def transient_reply(self) -> Reply:
        return _reply({"errors": [error(25001, "A system error has occurred.")]}, 500)

    def token_reply(self, request: Captured) -> Reply:
        self.token_requests += 1
        basic = base64.b64encode(":".join(CLIENT).encode()).decode()
        assert request.headers.get("Authorization") == f"Basic {basic}", "HTTP Basic client auth"
        form = parse_qs(request.body.decode())
        assert form["grant_type"] == ["refresh_token"]
        assert set(form["scope"][0].split()) == set(SCOPES)
        return _reply({"access_token": ACCESS_TOKEN, "expires_in": 7200,
                       "token_type": "User Access Token"})

    def token_refused_reply(self) -> Reply:
        self.token_requests += 1
        return _reply({"error": "invalid_grant", "error_description": "the provided "
                       "authorization refresh token is invalid or was issued to another "
                       "client"}, 400)

    def answer(self, request: Captured) -> Reply:
        op, handler, args = self._route(request)
        if self.throttle:
            self.throttle -= 1
            return _reply({"errors": [{"errorId": 2001, "domain": "ACCESS",
                                       "category": "REQUEST", "message": "Too many requests. "
                                       "The request limit has been reached for the resource."}]},
                          429, {"Retry-After": "2"})
        if op in WRITES_WITH_LANGUAGE:
            assert request.headers.get("Content-Language") == "en-US", f"{op}: Content-Language"
        query = {k: [v] for k, v in request.query.items()}
        return handler(self, request.json, query, *args)

    def _route(self, request: Captured) -> tuple[str, Any, tuple[str, ...]]:
        path = unquote(request.path)
        for verb, pattern, op, handler in ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == request.method and match:
                return op, handler, match.groups()
        raise AssertionError(f"the double has no route for {request.method} {path}")

    # --- what tests read and drive --------------------------------------------------------------

    def operations(self) -> list[str]:
        """The operationIds called since the last :meth:`reset_calls`, in order."""
        return self._ops[self._mark:]

    def reset_calls(self) -> None:
        """Start :meth:`operations` afresh (state is kept)."""
        self._mark = len(self._ops)

    def add_order(self, spec: Any) -> None:
        """Publish (or update) an order given as a :class:`feedsync.testing.OrderSpec`."""
        lines = []
        for index, line in enumerate(spec.lines):
            cost = line.unit_price * line.quantity
            lines.append({
                "lineItemId": f"{spec.order_id}-{index}", "sku": line.sku,
                "title": f"Item {line.sku}", "quantity": line.quantity,
                "lineItemCost": {"value": f"{cost:.2f}", "currency": spec.currency},
                "lineItemFulfillmentStatus": "FULFILLED" if spec.status == "shipped"
                else "NOT_STARTED"})
        total = sum(line.unit_price * line.quantity for line in spec.lines)
        order = {
            "orderId": spec.order_id, "creationDate": _iso(spec.placed_at),
            "lastModifiedDate": _iso(spec.updated_at),
            "orderFulfillmentStatus": "FULFILLED" if spec.status == "shipped"
            else "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "cancelStatus": {"cancelState": "CANCELED" if spec.status == "cancelled"
                             else "NONE_REQUESTED", "cancelRequests": []},
            "pricingSummary": {"total": {"value": f"{total:.2f}", "currency": spec.currency}},
            "lineItems": lines}
        self.orders = [o for o in self.orders if o["orderId"] != spec.order_id] + [order]

    def remove_live(self, sku: str) -> None:
        """eBay stops showing ``sku`` (its item and offer are deleted)."""
        self.items.pop(sku, None)
        offer_id = self.offer_by_sku.pop(sku, None)
        if offer_id is not None:
            self.offers.pop(offer_id, None)

    # --- inventory items ----------------------------------------------------------------------

    def bulk_items(self, body: Any, _q: Any) -> Reply:
        requests_ = body["requests"]
        assert 1 <= len(requests_) <= 25, "bulkCreateOrReplaceInventoryItem takes ≤ 25"
        entries = []
        for item in requests_:
            sku = item["sku"]
            if sku in self.rejected:
                entries.append({"statusCode": 400, "sku": sku, "locale": item.get("locale"),
                                "errors": [error(25021, "Invalid item condition information.",
                                                 fieldName="condition")]})
                continue
            self.items[sku] = item
            self._sync_quantity(sku, item["availability"]["shipToLocationAvailability"]
                                ["quantity"])
            entries.append({"statusCode": 200, "sku": sku, "locale": item.get("locale")})
        return _bulk(entries)

    def bulk_get_items(self, body: Any, _q: Any) -> Reply:
        entries = []
        for request in body["requests"]:
            sku = request["sku"]
            if sku in self.items:
                keys = [k for k, g in self.groups.items() if sku in g["variantSKUs"]]
                item = {**self.items[sku], **({"inventoryItemGroupKeys": keys} if keys else {})}
                entries.append({"statusCode": 200, "sku": sku, "inventoryItem": item})
            else:
                entries.append({"statusCode": 404, "sku": sku, "errors": [error(
                    25710, "We didn't find the resource/entity you are requesting.")]})
        return _bulk(entries)

    def delete_item(self, _b: Any, _q: Any, sku: str) -> Reply:
        if sku not in self.items:
            return _reply({"errors": [error(25710, "We didn't find the entity.")]}, 404)
        del self.items[sku]
        offer_id = self.offer_by_sku.pop(sku, None)
        if offer_id is not None:
            del self.offers[offer_id]
        return 204, {}, ""

    def _sync_quantity(self, sku: str, quantity: int) -> None:
        offer = self.offer_of(sku)
        if offer is not None:
            offer["availableQuantity"] = quantity

    # --- offers ---------------------------------------------------------------------------------

    def offer_of(self, sku: str) -> dict[str, Any] | None:
        """The SKU's offer, if any."""
        offer_id = self.offer_by_sku.get(sku)
        return self.offers.get(offer_id) if offer_id is not None else None

    def add_offer(self, offer: dict[str, Any]) -> None:
        """Put an offer straight into eBay's state (one an earlier, lost call made)."""
        self.offers[offer["offerId"]] = offer
        self.offer_by_sku[offer["sku"]] = offer["offerId"]

    def bulk_offers(self, body: Any, _q: Any) -> Reply:
        assert 1 <= len(body["requests"]) <= 25, "bulkCreateOffer takes ≤ 25"
        entries = []
        for request in body["requests"]:
            sku = request["sku"]
            base = {"sku": sku, "marketplaceId": request["marketplaceId"],
                    "format": request["format"]}
            existing = self.offer_of(sku)
            if existing is not None:
                entries.append({**base, "statusCode": 400, "errors": [error(
                    25002, "A user error has occurred. Offer entity already exists.",
                    offerId=existing["offerId"])]})
                continue
            if sku not in self.items:
                entries.append({**base, "statusCode": 400, "errors": [error(
                    25702, f"SKU {sku} is not available in the system.")]})
                continue
            offer_id = str(next(self._ids))
            self.offers[offer_id] = {**request, "offerId": offer_id, "status": "UNPUBLISHED"}
            self.offer_by_sku[sku] = offer_id
            entries.append({**base, "statusCode": 200, "offerId": offer_id})
        return _bulk(entries)

    def update_offer(self, body: Any, _q: Any, offer_id: str) -> Reply:
        offer = self.offers.get(offer_id)
        if offer is None:
            return _reply({"errors": [error(25713, "This Offer is not available.")]}, 404)
        offer.update(body)
        return _reply({"offerId": offer_id})

    def get_offers(self, _b: Any, query: dict[str, list[str]]) -> Reply:
        found = self.offer_of(query["sku"][0])
        offers = [found] if found is not None else []
        if not offers:
            return _reply({"errors": [error(25713, "This Offer is not available.")]}, 404)
        return _reply({"offers": offers, "total": len(offers), "size": len(offers),
                       "limit": 100})

    def _publish(self, offer: dict[str, Any]) -> dict[str, Any] | None:
        item = self.items.get(offer["sku"])
        if item is None or not item["product"].get("imageUrls"):
            return error(25014, "The pictures are not valid.", fieldName="imageUrls")
        offer["status"] = "PUBLISHED"
        offer.setdefault("listing", {"listingId": f"11{offer['offerId']}",
                                     "listingStatus": "ACTIVE"})
        offer["listing"]["listingStatus"] = "ACTIVE"
        return None

    def bulk_publish(self, body: Any, _q: Any) -> Reply:
        assert 1 <= len(body["requests"]) <= 25, "bulkPublishOffer takes ≤ 25"
        entries = []
        for request in body["requests"]:
            offer = self.offers.get(request["offerId"])
            problem = error(25713, "This Offer is not available.") if offer is None \
                else self._publish(offer)
            if problem is not None:
                entries.append({"statusCode": 400, "offerId": request["offerId"],
                                "errors": [problem]})
            else:
                assert offer is not None
                entries.append({"statusCode": 200, "offerId": request["offerId"],
                                "listingId": offer["listing"]["listingId"]})
        return _bulk(entries)

    def withdraw(self, _b: Any, _q: Any, offer_id: str) -> Reply:
        offer = self.offers.get(offer_id)
        if offer is None:
            return _reply({"errors": [error(25713, "This Offer is not available.")]}, 404)
        if offer["status"] != "PUBLISHED":
            return _reply({"errors": [error(25002, "A user error has occurred. The offer is "
                                               "not published.")]}, 400)
        offer["status"] = "UNPUBLISHED"
        offer.get("listing", {})["listingStatus"] = "ENDED"
        return _reply({"listingId": offer.get("listing", {}).get("listingId")})

    def bulk_price_quantity(self, body: Any, _q: Any) -> Reply:
        assert 1 <= len(body["requests"]) <= 25, "bulkUpdatePriceQuantity takes ≤ 25"
        entries = []
        for request in body["requests"]:
            sku = request["sku"]
            if sku not in self.items:
                entries.append({"statusCode": 404, "sku": sku, "errors": [error(
                    25710, "We didn't find the resource/entity you are requesting.")]})
                continue
            if "shipToLocationAvailability" in request:
                quantity = request["shipToLocationAvailability"]["quantity"]
                self.items[sku]["availability"]["shipToLocationAvailability"]["quantity"] = \
                    quantity
                self._sync_quantity(sku, quantity)
            for change in request.get("offers", []):
                offer = self.offers[change["offerId"]]
                if "price" in change:
                    offer["pricingSummary"] = {"price": change["price"]}
                if "availableQuantity" in change:
                    offer["availableQuantity"] = change["availableQuantity"]
            entries.append({"statusCode": 200, "sku": sku})
        return _bulk(entries)

    # --- groups ---------------------------------------------------------------------------------

    def get_group(self, _b: Any, _q: Any, key: str) -> Reply:
        if key not in self.groups:
            return _reply({"errors": [error(25710, "We didn't find the entity.")]}, 404)
        return _reply({**self.groups[key], "inventoryItemGroupKey": key})

    def put_group(self, body: Any, _q: Any, key: str) -> Reply:
        old = self.groups.get(key, {}).get("variantSKUs", [])
        for sku in set(old) - set(body["variantSKUs"]):  # removed from the listing
            offer = self.offer_of(sku)
            if offer is not None and offer.get("sold"):
                return _reply({"errors": [error(25013, "Invalid data in the Inventory Item "
                                                       "Group. A variation with sales cannot "
                                                       "be removed.")]}, 400)
            if offer is not None:
                offer["status"] = "UNPUBLISHED"
        self.groups[key] = body
        return 204, {}, ""

    def withdraw_group(self, body: Any, _q: Any) -> Reply:
        group = self.groups.get(body["inventoryItemGroupKey"])
        if group is None:
            return _reply({"errors": [error(25013, "Invalid data in the group.")]}, 400)
        for sku in group["variantSKUs"]:
            offer = self.offer_of(sku)
            if offer is not None:
                offer["status"] = "UNPUBLISHED"
        return 204, {}, ""

    def publish_group(self, body: Any, _q: Any) -> Reply:
        group = self.groups.get(body["inventoryItemGroupKey"])
        if group is None:
            return _reply({"errors": [error(25013, "Invalid data in the group.")]}, 400)
        for sku in group["variantSKUs"]:
            offer = self.offer_of(sku)
            if offer is not None:
                self._publish(offer)
        return _reply({"listingId": "110999000001"})

    # --- fulfillment ----------------------------------------------------------------------------

    def get_orders(self, _b: Any, query: dict[str, list[str]]) -> Reply:
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["50"])[0])
        assert 1 <= limit <= 200
        limit = min(limit, self.page_size)
        found = re.fullmatch(r"lastmodifieddate:\[([^.\]]*\.\d{3}Z)?\.\.([^\]]*)\]",
                             query.get("filter", ["lastmodifieddate:[..]"])[0])
        assert found is not None, "getOrders filter: lastmodifieddate:[from..to]"
        low, high = found.group(1) or "", found.group(2) or "9999"
        matching = sorted((o for o in self.orders
                           if low <= o["lastModifiedDate"] and o["lastModifiedDate"] <= high),
                          key=lambda o: o["orderId"])
        page = matching[offset:offset + limit]
        body: dict[str, Any] = {"orders": page, "total": len(matching), "offset": offset,
                                "limit": limit}
        if offset + limit < len(matching):
            body["next"] = f"{FUL}/order?offset={offset + limit}&limit={limit}"
        return _reply(body)

    def get_fulfillments(self, _b: Any, _q: Any, order_id: str) -> Reply:
        items = self.fulfillments.get(order_id, [])
        return _reply({"fulfillments": items, "total": len(items)})

    def create_fulfillment(self, body: Any, _q: Any, order_id: str) -> Reply:
        fulfillment_id = body["trackingNumber"]
        order = next(o for o in self.orders if o["orderId"] == order_id)
        skus = {line["lineItemId"]: line.get("sku") for line in order["lineItems"]}
        quantities: dict[str, int] = {}
        for line in body["lineItems"]:
            sku = skus[line["lineItemId"]]
            quantities[sku] = quantities.get(sku, 0) + line["quantity"]
        self.confirmations.append({"order_id": order_id, "tracking_number": fulfillment_id,
                                   "quantities": quantities})
        self.fulfillments.setdefault(order_id, []).append({
            "fulfillmentId": fulfillment_id, "shipmentTrackingNumber": body["trackingNumber"],
            "shippingCarrierCode": body["shippingCarrierCode"],
            "shippedDate": body["shippedDate"], "lineItems": body["lineItems"]})
        return 201, {"Location": f"{FUL}/order/{order_id}/shipping_fulfillment/"
                                 f"{fulfillment_id}"}, ""


FULFILLMENT_OPS = frozenset({"getOrders", "getShippingFulfillments",
                             "createShippingFulfillment"})
WRITES_WITH_LANGUAGE = frozenset({"bulkCreateOrReplaceInventoryItem", "bulkCreateOffer",
                                  "updateOffer", "createOrReplaceInventoryItemGroup"})
_I, _F = "/sell/inventory/v1", "/sell/fulfillment/v1"
ROUTES: tuple[tuple[str, str, str, Any], ...] = (
    ("POST", f"{_I}/bulk_create_or_replace_inventory_item", "bulkCreateOrReplaceInventoryItem",
     EbayDouble.bulk_items),
    ("POST", f"{_I}/bulk_get_inventory_item", "bulkGetInventoryItem", EbayDouble.bulk_get_items),
    ("DELETE", f"{_I}/inventory_item/(.+)", "deleteInventoryItem", EbayDouble.delete_item),
    ("POST", f"{_I}/bulk_create_offer", "bulkCreateOffer", EbayDouble.bulk_offers),
    ("POST", f"{_I}/bulk_publish_offer", "bulkPublishOffer", EbayDouble.bulk_publish),
    ("POST", f"{_I}/bulk_update_price_quantity", "bulkUpdatePriceQuantity",
     EbayDouble.bulk_price_quantity),
    ("POST", f"{_I}/offer/publish_by_inventory_item_group", "publishOfferByInventoryItemGroup",
     EbayDouble.publish_group),
    ("POST", f"{_I}/offer/withdraw_by_inventory_item_group",
     "withdrawOfferByInventoryItemGroup", EbayDouble.withdraw_group),
    ("POST", f"{_I}/offer/([^/]+)/withdraw", "withdrawOffer", EbayDouble.withdraw),
    ("PUT", f"{_I}/offer/([^/]+)", "updateOffer", EbayDouble.update_offer),
    ("GET", f"{_I}/offer", "getOffers", EbayDouble.get_offers),
    ("GET", f"{_I}/inventory_item_group/(.+)", "getInventoryItemGroup", EbayDouble.get_group),
    ("PUT", f"{_I}/inventory_item_group/(.+)", "createOrReplaceInventoryItemGroup",
     EbayDouble.put_group),
    ("GET", f"{_F}/order", "getOrders", EbayDouble.get_orders),
    ("GET", f"{_F}/order/([^/]+)/shipping_fulfillment", "getShippingFulfillments",
     EbayDouble.get_fulfillments),
    ("POST", f"{_F}/order/([^/]+)/shipping_fulfillment", "createShippingFulfillment",
     EbayDouble.create_fulfillment),
)
