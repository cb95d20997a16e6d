"""A stand-in for the SP-API operations the Amazon adapter pushes listings with (no network),
on the shared :class:`feedsync.testing.HttpChannelDouble`.

It answers, through ``responses``:

- the LWA token endpoint (refresh-token grant → an access token for one hour);
- the Feeds API 2021-06-30 flow: createFeedDocument → a presigned upload URL on an S3 host →
  createFeed → getFeed (``IN_PROGRESS`` for the first check, then ``DONE``) → getFeedDocument →
  a GZIP processing report with an ERROR issue per rejected SKU
  (listings-feed-processing-report-schema-v2);
- patchListingsItem (Listings Items API 2021-08-01), ``ACCEPTED`` or ``INVALID`` with issues;
- searchOrders (Orders API v2026-01-01, paged with ``paginationToken``) over the orders a test
  publishes with ``add_order``, and confirmShipment (Orders API v0), recorded in
  ``confirmations`` — the orders side of the contract suite (feedsync.testing.capabilities).

Accepted messages change ``listings`` (sku → productType and attributes) the way Amazon applies
them (UPDATE replaces, PATCH replaces or deletes single attributes, DELETE removes), so a test
can see what a push did to the listing. It also implements the
:class:`feedsync.testing.ChannelDouble` protocol the shared contract suite drives:
``reject``, ``fail_once_transiently`` (a 503 to the next SP-API call), ``refuse_auth`` (LWA
answers ``invalid_grant``, SP-API 403 ``Unauthorized``) and ``request_count``.
"""

from __future__ import annotations

import gzip
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import responses
from feedsync.adapters.amazon.config import ENDPOINTS, LWA_TOKEN_URL

from feedsync.clock import iso_z, parse_iso
from feedsync.testing.capabilities import OrderSpec
from feedsync.testing.http_double import Captured, HttpChannelDouble, Reply

BASE = ENDPOINTS["NA"]
S3 = "https://tortuga-prod-na.s3-external-1.amazonaws.com"
SIGNED = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0f1e2d3c4b5a"
ACCESS_TOKEN = "Atza|double-access-token"


def _errors(status: int, code: str, message: str) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(
        {"errors": [{"code": code, "message": message, "details": ""}]})


def _ok(body: dict[str, Any], status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


class SellingPartnerDouble(HttpChannelDouble):
    """One seller account on the NA endpoint (see the module docstring).

    ``schemas`` may map ``uploadFeedDocument`` to the JSON_LISTINGS_FEED schema and
    ``patchListingsItem`` to ListingsItemPatchRequest: every such body is then checked.
    """

    hosts = (BASE,)
    token_url = LWA_TOKEN_URL

    def __init__(self, schemas: dict[str, Any] | None = None) -> None:
        super().__init__(schemas=schemas)
        self.listings: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, bytes | None] = {}  # uploaded feed documents by id
        self.feeds: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, bytes] = {}
        self.patches: list[tuple[str, dict[str, Any]]] = []  # (sku, patchListingsItem body)
        self.orders: dict[str, dict[str, Any]] = {}  # orderId → Order (v2026-01-01 model)
        self.page_size = 100  # searchOrders maxResultsPerPage the double honours at most
        self.confirmations: list[dict[str, Any]] = []

    # --- the capability protocol (feedsync.testing.capabilities) ----------------------------

    def add_order(self, spec: OrderSpec) -> None:
        """Publish or update one merchant-fulfilled order in the Orders API v2026-01-01 shape
        (the fields of orders2026.searchOrders.200.json the adapter reads)."""
        status = {"unshipped": "UNSHIPPED", "shipped": "SHIPPED",
                  "cancelled": "CANCELLED"}[spec.status]
        items = [{
            "orderItemId": f"{spec.order_id.replace('-', '')}{i + 1:04d}",
            "quantityOrdered": line.quantity,
            "product": {"sellerSku": line.sku, "title": f"Item {line.sku}",
                        "price": {"unitPrice": {"amount": str(line.unit_price),
                                                "currencyCode": spec.currency}}},
            "fulfillment": {"quantityFulfilled": line.quantity if status == "SHIPPED" else 0},
        } for i, line in enumerate(spec.lines)]
        total = sum((line.unit_price * line.quantity for line in spec.lines), Decimal(0))
        self.orders[spec.order_id] = {
            "orderId": spec.order_id, "createdTime": iso_z(spec.placed_at),
            "lastUpdatedTime": iso_z(spec.updated_at),
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
            "proceeds": {"grandTotal": {"amount": str(total), "currencyCode": spec.currency}},
            "fulfillment": {"fulfillmentStatus": status, "fulfilledBy": "MERCHANT"},
            "orderItems": items}

    def remove_live(self, sku: str) -> None:
        """Amazon stops showing the listing of ``sku`` (the read-back contract)."""
        self.listings.pop(sku, None)

    def _search_listings(self, query: dict[str, str]) -> Reply:
        """searchListingsItems by SKU: summaries, the B2C offer and merchant stock of each
        listing the double holds, in the Listings Items API 2021-08-01 ``Item`` shape."""
        marketplace = query.get("marketplaceIds", "")
        wanted = [s for s in query.get("identifiers", "").split(",") if s]
        items = []
        for sku in wanted:
            listing = self.listings.get(sku)
            if listing is None:
                continue
            attributes = listing["attributes"]
            offer = (attributes.get("purchasable_offer") or [{}])[0]
            price = ((offer.get("our_price") or [{}])[0].get("schedule") or [{}])[0]
            stock = (attributes.get("fulfillment_availability") or [{}])[0]
            items.append({
                "sku": sku,
                "summaries": [{"marketplaceId": marketplace, "asin": f"B0{len(items):08d}",
                               "productType": listing.get("productType"),
                               "status": ["BUYABLE", "DISCOVERABLE"]}],
                "offers": [{"marketplaceId": marketplace, "offerType": "B2C",
                            "price": {"amount": str(price.get("value_with_tax")),
                                      "currencyCode": offer.get("currency", "USD")}}]
                if "value_with_tax" in price else [],
                "fulfillmentAvailability": [{
                    "fulfillmentChannelCode": stock.get("fulfillment_channel_code", "DEFAULT"),
                    "quantity": stock["quantity"]}] if "quantity" in stock else []})
        return _ok({"numberOfResults": len(items), "items": items})

    def _search_orders(self, query: dict[str, str]) -> Reply:
        after = parse_iso(query["lastUpdatedAfter"])
        before = parse_iso(query["lastUpdatedBefore"])
        size = min(int(query.get("maxResultsPerPage", "100")), self.page_size)
        found = sorted((o for o in self.orders.values()
                        if after <= parse_iso(o["lastUpdatedTime"]) <= before),
                       key=lambda o: (o["lastUpdatedTime"], o["orderId"]))
        start = int(query.get("paginationToken", "0"))
        body: dict[str, Any] = {"orders": found[start:start + size],
                                "lastUpdatedBefore": query["lastUpdatedBefore"]}
        if start + size < len(found):
            body["pagination"] = {"nextToken": str(start + size)}
        return _ok(body)

    def _confirm_shipment(self, order_id: str, body: dict[str, Any]) -> Reply:
        order = self.orders.get(order_id)
        if order is None:
            return _errors(404, "NotFound", f"order {order_id} not found")
        skus = {i["orderItemId"]: i["product"]["sellerSku"] for i in order["orderItems"]}
        quantities: dict[str, int] = {}
        for item in body["packageDetail"]["orderItems"]:
            sku = skus[item["orderItemId"]]
            quantities[sku] = quantities.get(sku, 0) + int(item["quantity"])
        self.confirmations.append({"order_id": order_id,
                                   "tracking_number": body["packageDetail"]["trackingNumber"],
                                   "quantities": quantities})
        return 204, {}, b""

    @property
    def uploaded(self) -> list[dict[str, Any]]:
        """Every feed document uploaded so far, parsed."""
        return [json.loads(doc) for doc in self.documents.values() if doc is not None]

    # --- the channel's shapes ---------------------------------------------------------------

    def token_reply(self, request: Captured) -> Reply:
        return _ok({"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600})

    def token_refused_reply(self) -> Reply:
        return 400, {"Content-Type": "application/json"}, json.dumps({
            "error": "invalid_grant",
            "error_description": "The request has an invalid grant parameter"})

    def authorised(self, request: Captured) -> bool:
        return request.headers.get("x-amz-access-token") == ACCESS_TOKEN

    def auth_refused_reply(self) -> Reply:
        return _errors(403, "Unauthorized", "Access to requested resource is denied.")

    def transient_reply(self) -> Reply:
        return _errors(503, "ServiceUnavailable", "Service temporarily unavailable")

    def operation(self, request: Captured) -> str | None:
        method, path = request.method, request.path
        if method == "POST" and path == "/feeds/2021-06-30/documents":
            return "createFeedDocument"
        if method == "POST" and path == "/feeds/2021-06-30/feeds":
            return "createFeed"
        if method == "GET" and re.fullmatch(r"/feeds/2021-06-30/feeds/([^/]+)", path):
            return "getFeed"
        if method == "GET" and re.fullmatch(r"/feeds/2021-06-30/documents/([^/]+)", path):
            return "getFeedDocument"
        if method == "PATCH" and re.fullmatch(r"/listings/2021-08-01/items/([^/]+)/([^/]+)",
                                              path):
            return "patchListingsItem"
        if method == "GET" and path == "/orders/2026-01-01/orders":
            return "searchOrders"
        if method == "GET" and re.fullmatch(r"/listings/2021-08-01/items/[^/]+", path):
            return "searchListingsItems"
        if method == "POST" and re.fullmatch(r"/orders/v0/orders/[^/]+/shipmentConfirmation",
                                             path):
            return "confirmShipment"
        return None

    def answer(self, request: Captured) -> Reply:
        path = request.path
        last = unquote(path.rsplit("/", 1)[-1])
        if request.operation == "createFeedDocument":
            return self._create_document()
        if request.operation == "createFeed":
            return self._create_feed(request.json or {})
        if request.operation == "getFeed":
            return self._get_feed(last)
        if request.operation == "getFeedDocument":
            return self._get_document(last)
        if request.operation == "patchListingsItem":
            return self._patch(last, request.json or {})
        if request.operation == "searchOrders":
            return self._search_orders(request.query)
        if request.operation == "searchListingsItems":
            return self._search_listings(request.query)
        if request.operation == "confirmShipment":
            return self._confirm_shipment(unquote(path.split("/")[-2]), request.json or {})
        return _errors(404, "NotFound", f"no such operation: {request.method} {path}")

    def extra_routes(self) -> list[tuple[str, re.Pattern[str], Any]]:
        s3 = re.compile(re.escape(S3) + r"/.*")
        return [(responses.GET, s3, self._s3), (responses.PUT, s3, self._s3)]

    def _s3(self, request: Captured) -> Reply:
        name = request.path.rsplit("/", 1)[-1]
        if request.method == "PUT" and name in self.documents:
            request.operation = "uploadFeedDocument"
            refused = self.validate(request)
            if refused is not None:
                return refused
            self.documents[name] = request.body
            return 200, {}, b""
        if request.method == "GET" and name in self.reports:
            return 200, {"Content-Type": "application/octet-stream"}, self.reports[name]
        return 403, {}, b"<Error><Code>AccessDenied</Code></Error>"

    def _create_document(self) -> Reply:
        document_id = f"amzn1.tortuga.doc-{len(self.documents) + 1}"
        self.documents[document_id] = None
        return _ok({"feedDocumentId": document_id, "url": f"{S3}/{document_id}{SIGNED}"}, 201)

    def _create_feed(self, body: dict[str, Any]) -> Reply:
        if body.get("feedType") != "JSON_LISTINGS_FEED" or not body.get("marketplaceIds"):
            return _errors(400, "InvalidInput", "feedType and marketplaceIds are required")
        document = self.documents.get(str(body.get("inputFeedDocumentId")))
        if document is None:
            return _errors(400, "InvalidInput", "the input feed document was not uploaded")
        feed_id = str(50_000 + len(self.feeds) + 1)
        self.feeds[feed_id] = {"checks": 0, "report": self._process(feed_id,
                                                                    json.loads(document))}
        return _ok({"feedId": feed_id}, 202)

    def _get_feed(self, feed_id: str) -> Reply:
        feed = self.feeds.get(feed_id)
        if feed is None:
            return _errors(404, "NotFound", f"feed {feed_id} not found")
        feed["checks"] += 1
        body: dict[str, Any] = {"feedId": feed_id, "feedType": "JSON_LISTINGS_FEED",
                                "createdTime": "2026-01-15T12:00:00Z",
                                "processingStatus": "IN_PROGRESS"}
        if feed["checks"] > 1:
            body.update(processingStatus="DONE", resultFeedDocumentId=f"report-{feed_id}")
        return _ok(body)

    def _get_document(self, document_id: str) -> Reply:
        if document_id not in self.reports:
            return _errors(404, "NotFound", f"document {document_id} not found")
        return _ok({"feedDocumentId": document_id, "url": f"{S3}/{document_id}{SIGNED}",
                    "compressionAlgorithm": "GZIP"})

    def _patch(self, sku: str, body: dict[str, Any]) -> Reply:
        self.patches.append((sku, body))
        if sku in self.rejected:
            return _ok({"sku": sku, "status": "INVALID", "submissionId": "p-0", "issues": [
                {"code": "90220", "severity": "ERROR", "attributeNames": ["item_name"],
                 "message": "'item_name' is required but not supplied."}]})
        listing = self.listings.setdefault(sku, {"productType": body.get("productType"),
                                                 "attributes": {}})
        _apply_patches(listing, body.get("patches") or [])
        return _ok({"sku": sku, "status": "ACCEPTED",
                    "submissionId": f"p-{len(self.patches)}", "issues": []})

    def _process(self, feed_id: str, document: dict[str, Any]) -> str:
        """Apply a feed's messages and store its processing report; returns the report id."""
        issues = []
        messages = document.get("messages") or []
        for message in messages:
            sku = message.get("sku")
            if sku in self.rejected:
                issues.append({"messageId": message.get("messageId"), "sku": sku,
                               "code": "90220", "severity": "ERROR",
                               "message": "'item_name' is required but not supplied.",
                               "attributeName": "item_name"})
                continue
            operation = message.get("operationType")
            if operation == "DELETE":
                self.listings.pop(sku, None)
            elif operation == "UPDATE":
                self.listings[sku] = {"productType": message.get("productType"),
                                      "attributes": dict(message.get("attributes") or {})}
            else:  # PATCH (and PARTIAL_UPDATE, which feedsync does not send)
                listing = self.listings.setdefault(sku, {
                    "productType": message.get("productType"), "attributes": {}})
                _apply_patches(listing, message.get("patches") or [])
        report_id = f"report-{feed_id}"
        invalid = len(issues)
        self.reports[report_id] = gzip.compress(json.dumps({
            "header": {"sellerId": document["header"]["sellerId"], "version": "2.0",
                       "feedId": feed_id},
            "issues": issues,
            "summary": {"errors": invalid, "warnings": 0,
                        "messagesProcessed": len(messages),
                        "messagesAccepted": len(messages) - invalid,
                        "messagesInvalid": invalid},
        }).encode())
        return report_id


def _apply_patches(listing: dict[str, Any], patches: list[dict[str, Any]]) -> None:
    attributes = listing["attributes"]
    for patch in patches:
        name = str(patch.get("path", "")).removeprefix("/attributes/")
        if patch.get("op") == "delete":
            attributes.pop(name, None)
        else:
            attributes[name] = patch.get("value")
