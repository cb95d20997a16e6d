"""A stand-in for the Walmart Marketplace API the adapter uses, through ``responses``.

It follows Walmart's documented contract (../shared/specs/walmart): the client-credentials token
with HTTP Basic auth (900 s tokens) and the ``WM_SEC.ACCESS_TOKEN`` / ``WM_SVC.NAME`` /
``WM_QOS.CORRELATION_ID`` headers on every call (a call without them is refused); feeds as
multipart uploads answered with a feed id, processed after ``processing_polls`` status reads
(INPROGRESS until then) and paged ≤ 50 items per status page; ingestion errors per item
(``DATA_ERROR`` naming the attribute); PUT /v3/inventory for known SKUs only; GET /v3/items,
orders with ``nextCursor`` paging, acknowledge and shipping. When the specs are present every
body is validated against its schema (MP_ITEM against the official example's shape, which is
all Walmart publishes for it).

Faults for the hostile cases: ``reject`` (DATA_ERROR for SKUs), ``fail_once_transiently`` (one
503), ``refuse_auth`` (invalid_client), ``expire_token_once`` (the next call gets 401 as for an
expired token), ``throttle_feeds`` (429 + Retry-After on the next feed upload) and
``lose_next_upload`` (the feed is created but the answer is a 504).

It implements :class:`feedsync.testing.ChannelDouble` for the shared contract suite.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses
from feedsync.adapters.walmart.config import HOSTS
from walmart_oracle import errors, example, validator, walmart_dir

from feedsync.clock import FakeClock

BASE = HOSTS["production"]
CLIENT = ("walmart-client-id-0001", "walmart-client-secret-0001")
SERVICE_NAME = "Walmart Marketplace"
JSON = {"Content-Type": "application/json"}
Reply = tuple[int, dict[str, str], str]


def _reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return status, {**JSON, **(headers or {})}, json.dumps(body)


def gateway_error(status: int, code: str, description: str, field: str = "") -> Reply:
    """Walmart's error shape (``errors`` of GatewayError)."""
    entry = {"code": code, "field": field, "description": description, "info": description,
             "severity": "ERROR", "category": "DATA" if status < 500 else "SYSTEM"}
    return _reply({"errors": [entry]}, status)


def multipart_file(request: requests.PreparedRequest) -> bytes:
    """The ``file`` part of a multipart/form-data request."""
    content_type = str(request.headers.get("Content-Type") or "")
    assert content_type.startswith("multipart/form-data"), content_type
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    message = BytesParser(policy=email_policy).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError("no 'file' part in the upload")


class WalmartDouble:
    """One seller account (see the module docstring)."""

    def __init__(self, *, processing_polls: int = 1, token_ttl: int = 900) -> None:
        self.clock = FakeClock(start=1_800_000_000.0)
        self.processing_polls = processing_polls
        self.token_ttl = token_ttl
        self.validate = walmart_dir().is_dir()
        self.items: dict[str, dict[str, Any]] = {}  # sku → {"item", "price", "quantity"}
        self.feeds: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.rejected: set[str] = set()
        self.transient = 0
        self.auth_refused = False
        self.expire_token_once = False
        self.throttle_next_feed = 0
        self.lose_upload = False
        self.drop_uploads: set[int] = set()  # upload numbers (1-based) answered 504, not created
        self.uploads = 0
        self.tokens: dict[str, float] = {}
        self.page_size = 200
        self.modified: dict[str, int] = {}  # purchase order id → last change (epoch ms)
        self.acknowledged: list[str] = []
        self.confirmations: list[dict[str, Any]] = []
        self.calls: list[tuple[str, Any]] = []
        self.correlation_ids: list[str] = []
        self.token_requests = 0
        self._mock: responses.RequestsMock | None = None

    # --- ChannelDouble ------------------------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter runs on ``self.clock``."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """These SKUs get a DATA_ERROR naming productName in item feeds from now on."""
        self.rejected.update(skus)

    def fail_once_transiently(self) -> None:
        """The next API call (not the token) is answered 503."""
        self.transient += 1

    def refuse_auth(self) -> None:
        """The app's credentials are revoked: the token endpoint answers invalid_client."""
        self.auth_refused = True

    def throttle_feeds(self, count: int = 1) -> None:
        """The next ``count`` feed uploads are answered 429 with Retry-After: 5."""
        self.throttle_next_feed += count

    def lose_next_upload(self) -> None:
        """The next feed upload creates the feed but its answer is lost (504)."""
        self.lose_upload = True

    def drop_upload(self, number: int) -> None:
        """Upload ``number`` (1 is the next one) never reaches Walmart: no feed is created and
        the answer is a 504, as a timeout before the request arrived looks to the caller."""
        self.drop_uploads.add(self.uploads + number)

    def add_order(self, spec: Any) -> None:
        """Publish (or replace) an order from a channel-neutral ``OrderSpec``
        (feedsync.testing.capabilities) in Walmart's shape."""
        status = {"unshipped": "Created", "shipped": "Shipped",
                  "cancelled": "Cancelled"}[spec.status]
        changed = int(spec.updated_at.timestamp() * 1000)
        lines = [{
            "lineNumber": str(number), "item": {"productName": line.sku, "sku": line.sku},
            "charges": {"charge": [{"chargeType": "PRODUCT", "chargeName": "ItemPrice",
                                    "chargeAmount": {"currency": spec.currency, "amount":
                                                     float(line.unit_price * line.quantity)}}]},
            "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(line.quantity)},
            "statusDate": changed,
            "orderLineStatuses": {"orderLineStatus": [{
                "status": status, "statusQuantity": {"unitOfMeasurement": "EACH",
                                                     "amount": str(line.quantity)}}]},
        } for number, line in enumerate(spec.lines, start=1)]
        order = dict(example("orders.getAnOrder.200.ORDER.json")["order"]) if self.validate \
            else {"customerOrderId": "1", "customerEmailId": "x@relay.walmart.com"}
        order.update(purchaseOrderId=spec.order_id,
                     orderDate=int(spec.placed_at.timestamp() * 1000),
                     orderLines={"orderLine": lines})
        self.orders[spec.order_id] = order
        self.modified[spec.order_id] = changed

    def remove_live(self, sku: str) -> None:
        """The item is retired on Walmart (reconcile must find it missing)."""
        self.items[sku]["retired"] = True

    @property
    def request_count(self) -> int:
        """Calls received, token requests included."""
        return len(self.calls) + self.token_requests

    def operations(self) -> list[str]:
        """The operations called, in order."""
        return [op for op, _ in self.calls]

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> WalmartDouble:
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._mock.__enter__()
        self._mock.add_callback(responses.POST, f"{BASE}/v3/token", callback=self._token)
        pattern = re.compile(re.escape(BASE) + r"/v3/(?!token).*")
        for method in (responses.GET, responses.POST, responses.PUT):
            self._mock.add_callback(method, pattern, callback=self._api)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._mock is not None
        self._mock.__exit__(*exc)

    # --- token --------------------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> Reply:
        self.token_requests += 1
        basic = str(request.headers.get("Authorization") or "")
        assert basic.startswith("Basic "), "tokenAPI takes the client id and secret as Basic auth"
        pair = base64.b64decode(basic[6:]).decode().split(":", 1)
        assert request.headers.get("WM_SVC.NAME") and request.headers.get("WM_QOS.CORRELATION_ID")
        form = parse_qs(str(request.body))
        assert form.get("grant_type") == ["client_credentials"], form
        if self.auth_refused or tuple(pair) != CLIENT:
            return _reply({"error": "invalid_client", "error_description": "bad credentials"},
                          401)
        token = f"wm-access-{self.token_requests}"
        self.tokens[token] = self.clock.time() + self.token_ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        if self.validate:
            assert not errors(validator("auth", "OAuthToken"), body)
        return _reply(body)

    # --- API ----------------------------------------------------------------------------------

    def _api(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(str(request.url))
        path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        for header in ("WM_SVC.NAME", "WM_QOS.CORRELATION_ID"):
            if not request.headers.get(header):
                return gateway_error(400, "MISSING_HEADER", f"{header} is required", header)
        self.correlation_ids.append(str(request.headers["WM_QOS.CORRELATION_ID"]))
        token = request.headers.get("WM_SEC.ACCESS_TOKEN")
        expired = token not in self.tokens or self.tokens[str(token)] <= self.clock.time()
        if self.expire_token_once and not expired:
            self.expire_token_once = False
            self.tokens[str(token)] = self.clock.time()
            expired = True
        if expired:
            self.calls.append(("unauthorized", path))
            return gateway_error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized token")
        if self.transient:
            self.transient -= 1
            self.calls.append(("transient", path))
            return gateway_error(503, "SERVICE_UNAVAILABLE", "try again later")
        route = self._route(str(request.method), path)
        if route is None:
            return gateway_error(404, "NOT_FOUND", f"no route {request.method} {path}")
        operation, handler, params = route
        self.calls.append((operation, query))
        return handler(request, query, *params)

    def _route(self, method: str, path: str) -> tuple[str, Any, tuple[str, ...]] | None:
        table = [
            ("POST", r"/v3/feeds", "uploadFeed", self._upload),
            ("GET", r"/v3/feeds", "getAllFeedStatuses", self._feed_list),
            ("GET", r"/v3/feeds/([^/]+)", "getFeedItemStatus", self._feed_status),
            ("PUT", r"/v3/inventory", "updateInventoryForAnItem", self._put_inventory),
            ("GET", r"/v3/inventory", "getInventory", self._get_inventory),
            ("GET", r"/v3/items", "getAllItems", self._get_items),
            ("GET", r"/v3/orders", "getAllOrders", self._get_orders),
            ("GET", r"/v3/orders/([^/]+)", "getAnOrder", self._get_order),
            ("POST", r"/v3/orders/([^/]+)/acknowledge", "acknowledgeOrders", self._ack),
            ("POST", r"/v3/orders/([^/]+)/shipping", "shippingUpdates", self._ship),
        ]
        for verb, pattern, operation, handler in table:
            found = re.fullmatch(pattern, path)
            if verb == method and found:
                return operation, handler, tuple(unquote(g) for g in found.groups())
        return None

    # --- feeds --------------------------------------------------------------------------------

    def _upload(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        feed_type = query.get("feedType", "")
        if self.throttle_next_feed:
            self.throttle_next_feed -= 1
            status, headers, body = gateway_error(429, "REQUEST_THRESHOLD_VIOLATED",
                                                  "Too many requests")
            return status, {**headers, "Retry-After": "5"}, body
        self.uploads += 1
        if self.uploads in self.drop_uploads:
            return gateway_error(504, "GATEWAY_TIMEOUT", "upstream timed out")
        document = json.loads(multipart_file(request))
        entries = self._entries(feed_type, document)
        feed_id = f"F{len(self.feeds) + 1:031X}@AQMBAQA"
        self.feeds[feed_id] = {"type": feed_type, "entries": entries, "polls": 0,
                               "date": int(self.clock.time() * 1000), "results": None}
        if self.lose_upload:
            self.lose_upload = False
            return gateway_error(504, "GATEWAY_TIMEOUT", "upstream timed out")
        return _reply({"feedId": feed_id})

    def _entries(self, feed_type: str, document: dict[str, Any]) -> list[dict[str, Any]]:
        if feed_type == "MP_ITEM":
            if self.validate:
                official = example("items.itemBulkUploads.request.V4.8_MP_ITEM.json")
                header = official["MPItemFeedHeader"]
                assert document["MPItemFeedHeader"].keys() <= header.keys()
                assert set(header) - {"subCategory"} <= document["MPItemFeedHeader"].keys()
            for item in document["MPItem"]:
                orderable = item["Orderable"]
                assert {"sku", "productIdentifiers", "productName", "brand", "price",
                        "ShippingWeight"} <= orderable.keys()
                assert len(item["Visible"]) == 1
            return list(document["MPItem"])
        if feed_type == "price":
            for entry in document["Price"] if self.validate else ():
                assert not errors(validator("price", "Price"), entry), entry
            return list(document["Price"])
        if feed_type == "MP_INVENTORY":
            assert document["inventoryHeader"] == {"version": "1.5"}
            for entry in document["inventory"] if self.validate else ():
                for node in entry["shipNodes"]:
                    assert not errors(validator("inventory", "InputQty"), node["quantity"])
            return list(document["inventory"])
        if feed_type == "RETIRE_ITEM":
            assert set(document["RetireItemHeader"]) == {"feedDate", "version"}
            return list(document["RetireItem"])
        raise AssertionError(f"unexpected feedType {feed_type!r}")

    def _sku(self, feed_type: str, entry: dict[str, Any]) -> str:
        return str(entry["Orderable"]["sku"] if feed_type == "MP_ITEM" else entry["sku"])

    def _process(self, feed: dict[str, Any]) -> list[dict[str, Any]]:
        results = []
        for index, entry in enumerate(feed["entries"]):
            sku = self._sku(feed["type"], entry)
            row: dict[str, Any] = {"martId": 0, "sku": sku, "index": index,
                                   "ingestionStatus": "SUCCESS"}
            if feed["type"] == "MP_ITEM" and sku in self.rejected:
                row["ingestionStatus"] = "DATA_ERROR"
                row["ingestionErrors"] = {"ingestionError": [{
                    "type": "DATA_ERROR", "code": "ERR_EXT_DATA_0101001",
                    "description": "Attribute 'productName' is not acceptable"}]}
            elif feed["type"] != "MP_ITEM" and feed["type"] != "RETIRE_ITEM" \
                    and sku not in self.items:
                row["ingestionStatus"] = "DATA_ERROR"
                row["ingestionErrors"] = {"ingestionError": [{
                    "type": "DATA_ERROR", "code": "ERR_EXT_DATA_0801001",
                    "description": "sku is not set up on Walmart"}]}
            else:
                self._apply(feed["type"], sku, entry)
            results.append(row)
        return results

    def _apply(self, feed_type: str, sku: str, entry: dict[str, Any]) -> None:
        if feed_type == "MP_ITEM":
            known = self.items.setdefault(sku, {"quantity": 0})
            known.update(item=entry, price=entry["Orderable"]["price"], retired=False)
        elif feed_type == "price":
            self.items[sku]["price"] = entry["pricing"][0]["currentPrice"]["amount"]
        elif feed_type == "MP_INVENTORY":
            self.items[sku]["quantity"] = entry["shipNodes"][0]["quantity"]["amount"]
        elif sku in self.items:
            self.items[sku]["retired"] = True

    def _feed_status(self, request: requests.PreparedRequest, query: dict[str, str],
                     feed_id: str) -> Reply:
        feed = self.feeds.get(feed_id)
        if feed is None:
            return gateway_error(404, "NOT_FOUND", f"feed {feed_id} not found")
        limit = int(query.get("limit", "50"))
        assert query.get("includeDetails") == "true" and limit <= 50
        feed["polls"] += 1
        if feed["results"] is None and feed["polls"] > self.processing_polls:
            feed["results"] = self._process(feed)
        offset = int(query.get("offset", "0"))
        received = len(feed["entries"])
        if feed["results"] is None:
            body = {"feedId": feed_id, "feedStatus": "INPROGRESS", "itemsReceived": received,
                    "itemsSucceeded": 0, "itemsFailed": 0, "itemsProcessing": received,
                    "offset": offset, "limit": limit, "itemDetails": {"itemIngestionStatus": []}}
        else:
            rows = feed["results"]
            failed = sum(1 for r in rows if r["ingestionStatus"] != "SUCCESS")
            body = {"feedId": feed_id, "feedStatus": "PROCESSED", "itemsReceived": received,
                    "itemsSucceeded": received - failed, "itemsFailed": failed,
                    "itemsProcessing": 0, "offset": offset, "limit": limit,
                    "itemDetails": {"itemIngestionStatus": rows[offset:offset + limit]}}
        if self.validate:
            assert not errors(validator("feeds", "PartnerFeedResponse"), body)
        return _reply(body)

    def _feed_list(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        feeds = [{"feedId": fid, "feedType": f["type"], "partnerId": "100009",
                  "itemsReceived": len(f["entries"]), "itemsSucceeded": 0, "itemsFailed": 0,
                  "itemsProcessing": len(f["entries"]), "feedStatus": "RECEIVED",
                  "feedDate": f["date"], "modifiedDtm": f["date"]}
                 for fid, f in reversed(self.feeds.items())]
        return _reply({"totalResults": len(feeds), "offset": 0, "limit": 50,
                       "results": {"feed": feeds[:50]}})

    # --- inventory and items ------------------------------------------------------------------

    def _put_inventory(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        body = json.loads(request.body or b"{}")
        if self.validate:
            assert not errors(validator("inventory", "Inventory"), body)
        sku = query.get("sku", "")
        assert body["sku"] == sku and query.get("shipNode")
        if sku not in self.items:
            return gateway_error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API",
                                 f"sku {sku} not found", "sku")
        self.items[sku]["quantity"] = body["quantity"]["amount"]
        return _reply(body)

    def _get_inventory(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        sku = query.get("sku", "")
        if sku not in self.items:
            return gateway_error(404, "CONTENT_NOT_FOUND.GMP_INVENTORY_API", "sku not found")
        return _reply({"sku": sku, "quantity": {"unit": "EACH",
                                                "amount": self.items[sku]["quantity"]}})

    def _get_items(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        records = [{"mart": "WALMART_US", "sku": sku, "wpid": f"WP{i:010d}",
                    "productName": v["item"]["Orderable"]["productName"],
                    "price": {"currency": "USD", "amount": v["price"]},
                    "publishedStatus": "PUBLISHED",
                    "lifecycleStatus": "RETIRED" if v.get("retired") else "ACTIVE"}
                   for i, (sku, v) in enumerate(sorted(self.items.items())) if "item" in v]
        if "sku" in query:
            records = [r for r in records if r["sku"] == query["sku"]]
            if not records:
                return gateway_error(404, "CONTENT_NOT_FOUND.GMP_ITEM_QUERY_API", "not found")
        return _reply({"ItemResponse": records, "totalItems": len(records)})

    # --- orders -------------------------------------------------------------------------------

    def _get_orders(self, request: requests.PreparedRequest, query: dict[str, str]) -> Reply:
        assert int(query.get("limit", "100")) <= 200
        start = _epoch_ms(query.get("lastModifiedStartDate"))
        end = _epoch_ms(query.get("lastModifiedEndDate"))
        found = sorted((self.modified[po], po) for po in self.orders
                       if (start is None or self.modified[po] >= start)
                       and (end is None or self.modified[po] <= end))
        offset = int(query.get("poIndex", "0"))
        size = min(int(query.get("limit", "100")), self.page_size)
        page = [self.orders[po] for _, po in found[offset:offset + size]]
        meta: dict[str, Any] = {"totalCount": len(found), "limit": size}
        if offset + size < len(found):
            rest = {k: v for k, v in query.items() if k not in ("poIndex", "hasMoreElements")}
            meta["nextCursor"] = "?" + "&".join(
                [f"{k}={v}" for k, v in rest.items()]
                + ["hasMoreElements=true", f"poIndex={offset + size}"])
        return _reply({"list": {"meta": meta, "elements": {"order": page}}})

    def _get_order(self, request: requests.PreparedRequest, query: dict[str, str],
                   order_id: str) -> Reply:
        if order_id not in self.orders:
            return gateway_error(404, "NOT_FOUND", "order not found")
        return _reply({"order": self.orders[order_id]})

    def _ack(self, request: requests.PreparedRequest, query: dict[str, str],
             order_id: str) -> Reply:
        order = self.orders[order_id]
        self.acknowledged.append(order_id)
        for line in order["orderLines"]["orderLine"]:
            for status in line["orderLineStatuses"]["orderLineStatus"]:
                if status["status"] == "Created":
                    status["status"] = "Acknowledged"
        return _reply({"order": order})

    def _ship(self, request: requests.PreparedRequest, query: dict[str, str],
              order_id: str) -> Reply:
        body = json.loads(request.body or b"{}")
        if self.validate:
            from walmart_oracle import shipping_validator

            assert not errors(shipping_validator(), body), errors(shipping_validator(), body)
        order = self.orders[order_id]
        lines = {ln["lineNumber"]: ln for ln in order["orderLines"]["orderLine"]}
        quantities: dict[str, int] = {}
        tracking = ""
        for shipped in body["orderShipment"]["orderLines"]["orderLine"]:
            status = shipped["orderLineStatuses"]["orderLineStatus"][0]
            line = lines[shipped["lineNumber"]]
            amount = int(status["statusQuantity"]["amount"])
            statuses = line["orderLineStatuses"]["orderLineStatus"]
            open_ = [s for s in statuses if s["status"] in ("Created", "Acknowledged")]
            left = sum(int(s["statusQuantity"]["amount"]) for s in open_) - amount
            assert left >= 0, "shipped more than the line's open quantity"
            kept = [s for s in statuses if s not in open_]
            if left:
                kept.append({"status": "Acknowledged", "statusQuantity": {
                    "unitOfMeasurement": "EACH", "amount": str(left)}})
            line["orderLineStatuses"]["orderLineStatus"] = [*kept, status]
            quantities[line["item"]["sku"]] = quantities.get(line["item"]["sku"], 0) + amount
            tracking = status["trackingInfo"]["trackingNumber"]
        self.confirmations.append({"order_id": order_id, "tracking_number": tracking,
                                   "quantities": quantities})
        self.modified[order_id] = int(self.clock.time() * 1000)
        return _reply({"order": order})


def _epoch_ms(text: str | None) -> int | None:
    if not text:
        return None
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
