"""A stand-in for Etsy Open API v3 (no network), on feedsync.testing's HttpChannelDouble.

It answers what the Etsy adapter calls, with Etsy's shapes (ErrorSchema ``{"error": …}``,
Money objects, ``x-limit-per-second`` / ``x-remaining-today`` on every answer, 429 with
``retry-after`` when the day's budget is spent):

- the token endpoint (refresh-token grant; rotates the refresh token when ``rotate`` is set);
- createDraftListing, updateListing (state transitions: draft → active needs an image),
  deleteListing, getListing, getListingsByShop (``includes=Inventory``);
- getListingInventory / updateListingInventory (replaces the products, as Etsy does);
- uploadListingImage (multipart, ``rank`` + ``overwrite``), and an image host
  ``https://img.example.com`` serving images (``missing`` → 404, ``sizes`` → a body that big);
- getShopReceipts, getShopReceipt, createReceiptShipment.

With an ``oracle`` (tests/adapters/etsy/etsy_oracle.py) every request body and query is
checked against Etsy's OpenAPI document and every failure collected in ``violations``.
It implements :class:`feedsync.testing.ChannelDouble` for the shared contract suite.
"""

from __future__ import annotations

import json
import re
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any
from urllib.parse import parse_qsl

from feedsync.adapters.etsy.config import TOKEN_URL
from feedsync.adapters.etsy.limits import API_BASE

from feedsync.testing.http_double import Captured, HttpChannelDouble

IMAGES = "https://img.example.com"
SHOP = 5550001
Reply = tuple[int, dict[str, str], str | bytes]


class EtsyDouble(HttpChannelDouble):
    """One Etsy shop (see the module docstring), on feedsync.testing's HttpChannelDouble."""

    # The API root with its path: the token endpoint on the same host stays the base's own.
    hosts = (f"{API_BASE}/v3/application",)
    token_url = TOKEN_URL

    def __init__(self, oracle: Any | None = None, *, day_budget: int = 10_000) -> None:
        super().__init__()
        self.oracle = oracle
        self.violations: list[str] = []
        self.remaining_today = day_budget
        self.listings: dict[int, dict[str, Any]] = {}
        self.inventories: dict[int, dict[str, Any]] = {}
        self.images: dict[int, dict[int, int]] = {}  # listing → rank → image id
        self.receipts: dict[str, dict[str, Any]] = {}
        self.missing: set[str] = set()  # image paths answered 404
        self.sizes: dict[str, int] = {}  # image path → body size
        self.rotate = False
        self.refresh_tokens: list[str] = []  # refresh tokens presented
        self.valid_refresh: str | None = None  # when set, only this one is accepted
        self.lose_next_create = False  # create the draft, then answer 500
        # getListingsByShop leaves out listings created less than this many seconds ago (a
        # listing read that trails the write, as any read of Etsy's listings may)
        self.listing_lag = 0.0
        self.page_size: int | None = None  # receipts per page at most (contract suite)
        self.refuse_no_stock = False  # refuse an inventory whose offerings are all at 0
        self.log: list[tuple[str, str]] = []  # (method, "POST /shops/{id}/listings" label)
        self.downloads: list[str] = []
        self._ids = iter(range(900_001, 10_000_000))

    def calls(self, operation: str) -> int:
        """How many requests of one kind ("POST /shops/{id}/listings" labels) arrived."""
        return sum(1 for _, label in self.log if label == operation)

    def extra_routes(self) -> list[tuple[str, re.Pattern[str], Any]]:
        """The merchant's image host."""
        return [("GET", re.compile(re.escape(IMAGES) + r"/.*"), self._image)]

    def authorised(self, request: Captured) -> bool:
        """Every call carries x-api-key and a bearer token."""
        return bool(request.headers.get("x-api-key")) and str(
            request.headers.get("Authorization", "")).startswith("Bearer ")

    def transient_reply(self) -> Reply:
        return self._error(503, "service unavailable")

    def auth_refused_reply(self) -> Reply:
        return self._error(401, "invalid_token")

    # --- helpers ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "x-limit-per-second": "10",
                "x-remaining-this-second": "9", "x-limit-per-day": "10000",
                "x-remaining-today": str(max(self.remaining_today, 0))}

    def _json(self, body: Any, status: int = 200) -> Reply:
        return status, self._headers(), json.dumps(body)

    def _error(self, status: int, message: str) -> Reply:
        return status, self._headers(), json.dumps({"error": message})

    def _check(self, what: str, check: Any, *args: Any) -> None:
        if self.oracle is None:
            return
        try:
            check(*args)
        except AssertionError as exc:
            self.violations.append(f"{what}: {exc}")

    def _form(self, operation: str, request: Captured) -> dict[str, Any]:
        text = request.body.decode()
        if self.oracle is not None:
            self._check(operation, self.oracle.check_form, operation, text)
            return dict(self.oracle.decode_form(operation, text))
        return dict(parse_qsl(text))

    # --- answers ----------------------------------------------------------------------------

    def token_reply(self, request: Captured) -> Reply:
        self.log.append(("POST", "token"))
        form = dict(parse_qsl(request.body.decode()))
        presented = form.get("refresh_token", "")
        self.refresh_tokens.append(presented)
        refused = self.valid_refresh is not None and presented != self.valid_refresh
        if form.get("grant_type") != "refresh_token" or refused:
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_grant", "error_description": "refresh token is invalid"})
        body = {"access_token": f"{SHOP}.double-access", "token_type": "Bearer",
                "expires_in": 3600, "refresh_token": presented}
        if self.rotate:
            body["refresh_token"] = self.valid_refresh = f"{presented}-r"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _image(self, request: Captured) -> Reply:
        path = request.path
        self.log.append(("GET", "image"))
        self.downloads.append(path)
        if path in self.missing:
            return 404, {"Content-Type": "text/plain"}, "not found"
        size = self.sizes.get(path, 2048)
        return 200, {"Content-Type": "image/jpeg", "Content-Length": str(size)}, b"\xff" * size

    def operation(self, request: Captured) -> str | None:
        """A label naming the route: method and path with ids as {id} (also logged)."""
        path = request.path.removeprefix("/v3/application")
        label = f"{request.method} " + re.sub(r"/\d+", "/{id}", path)
        self.log.append((request.method, label))
        return label

    def answer(self, request: Captured) -> Reply:
        method = request.method
        path = request.path.removeprefix("/v3/application")
        if self.remaining_today <= 0:
            status, headers, body = self._error(429, "daily limit exceeded")
            headers["retry-after"] = "3600"
            return status, headers, body
        self.remaining_today -= 1
        query = dict(request.query)
        route = {
            ("POST", f"/shops/{SHOP}/listings"): self._create,
            ("GET", f"/shops/{SHOP}/listings"): self._by_shop,
            ("GET", f"/shops/{SHOP}/receipts"): self._receipts,
        }.get((method, path))
        if route is not None:
            return route(request, query)
        match = re.fullmatch(rf"/shops/{SHOP}/listings/(\d+)/images/(\d+)", path)
        if match and method == "DELETE":
            ranks = self.images.get(int(match.group(1)), {})
            for rank, image_id in list(ranks.items()):
                if image_id == int(match.group(2)):
                    del ranks[rank]
            return 204, self._headers(), ""
        match = re.fullmatch(rf"/shops/{SHOP}/listings/(\d+)(/images)?", path)
        if match and method == "PATCH" and not match.group(2):
            return self._update(int(match.group(1)), request)
        if match and method == "POST" and match.group(2):
            return self._upload(int(match.group(1)), request)
        match = re.fullmatch(r"/listings/(\d+)(/inventory|/images)?", path)
        if match:
            lid, tail = int(match.group(1)), match.group(2)
            if lid not in self.listings:
                return self._error(404, f"listing {lid} not found")
            if tail == "/inventory":
                return (self._put_inventory(lid, request) if method == "PUT"
                        else self._json(self.inventories[lid]))
            if tail == "/images":
                return self._json({"count": len(self.images.get(lid, {})), "results": [
                    {"listing_id": lid, "listing_image_id": i, "rank": r}
                    for r, i in sorted(self.images.get(lid, {}).items())]})
            if method == "DELETE":
                del self.listings[lid]
                return 204, self._headers(), ""
            return self._json(self.listings[lid])
        match = re.fullmatch(rf"/shops/{SHOP}/receipts/([^/]+)(/tracking)?", path)
        if match and match.group(1) in self.receipts:
            receipt = self.receipts[match.group(1)]
            if match.group(2):
                form = self._form("createReceiptShipment", request)
                receipt.setdefault("shipments", []).append(
                    {"receipt_shipping_id": next(self._ids),
                     "shipment_notification_timestamp": int(self.clock.time()),
                     "carrier_name": form.get("carrier_name"),
                     "tracking_code": form.get("tracking_code")})
                receipt["is_shipped"] = True
            return self._json(receipt)
        return self._error(404, f"no route {method} {path}")

    def _create(self, request: Captured, query: dict[str, str]) -> Reply:
        form = self._form("createDraftListing", request)
        lid = next(self._ids)
        now = int(self.clock.time())
        self.listings[lid] = {
            "listing_id": lid, "shop_id": SHOP, "title": form.get("title"),
            "description": form.get("description"), "state": "draft",
            "quantity": form.get("quantity"), "created_timestamp": now,
            "creation_timestamp": now, "tags": form.get("tags") or [],
            "materials": form.get("materials") or [], "taxonomy_id": form.get("taxonomy_id"),
            "price": {"amount": round(float(form.get("price") or 0) * 100), "divisor": 100,
                      "currency_code": "USD"}}
        self.inventories[lid] = {"products": [{
            "product_id": next(self._ids), "sku": "", "is_deleted": False,
            "property_values": [], "offerings": [{
                "offering_id": next(self._ids), "quantity": int(form.get("quantity") or 1),
                "is_enabled": True, "is_deleted": False,
                "price": self.listings[lid]["price"]}]}],
            "price_on_property": [], "quantity_on_property": [], "sku_on_property": []}
        if self.lose_next_create:
            self.lose_next_create = False
            return self._error(500, "internal error")  # created, but the answer is lost
        return self._json(self.listings[lid], 201)

    def _update(self, lid: int, request: Captured) -> Reply:
        if lid not in self.listings:
            return self._error(404, f"listing {lid} not found")
        form = self._form("updateListing", request)
        listing = self.listings[lid]
        state = form.pop("state", None)
        if state == "active" and not self.images.get(lid):
            return self._error(400, "a listing needs at least one image to be active")
        listing.update(form)
        if state:
            listing["state"] = state
        return self._json(listing)

    def _put_inventory(self, lid: int, request: Captured) -> Reply:
        body = json.loads(request.body or b"{}")
        if self.oracle is not None:
            self._check("updateListingInventory", self.oracle.check_json_body,
                        "updateListingInventory", body)
        bad = [p.get("sku") for p in body.get("products", []) if p.get("sku") in self.rejected]
        if bad:
            return self._error(400, f"Invalid SKU or property value for {bad[0]}")
        if not body.get("products"):
            return self._error(400, "products must not be empty")
        if self.refuse_no_stock and not any(o["quantity"] for p in body["products"]
                                            for o in p["offerings"]):
            return self._error(400, "at least one offering must have a quantity")
        products = []
        for product in body["products"]:
            offerings = [{"offering_id": next(self._ids), "quantity": o["quantity"],
                          "is_enabled": o["is_enabled"], "is_deleted": False,
                          "price": {"amount": round(o["price"] * 100), "divisor": 100,
                                    "currency_code": "USD"}} for o in product["offerings"]]
            values = [{"property_id": v["property_id"],
                       "property_name": v.get("property_name"), "scale_id": v.get("scale_id"),
                       "scale_name": None, "value_ids": v.get("value_ids") or [next(self._ids)],
                       "values": v["values"]} for v in product.get("property_values", [])]
            products.append({"product_id": next(self._ids), "sku": product.get("sku", ""),
                             "is_deleted": False, "offerings": offerings,
                             "property_values": values})
        self.inventories[lid] = {"products": products, **{
            k: body.get(k, []) for k in ("price_on_property", "quantity_on_property",
                                         "sku_on_property")}}
        self.listings[lid]["quantity"] = sum(
            o["quantity"] for p in products for o in p["offerings"])
        return self._json(self.inventories[lid])

    def _upload(self, lid: int, request: Captured) -> Reply:
        if lid not in self.listings:
            return self._error(404, f"listing {lid} not found")
        content_type = request.headers.get("Content-Type", "")
        raw = request.body
        message = BytesParser(policy=email_policy).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = payload if name == "image" else payload.decode()
        if self.oracle is not None:
            self._check("uploadListingImage", self.oracle.check_multipart_fields,
                        "uploadListingImage", fields)
        if not fields.get("image"):
            return self._error(400, "image is required")
        rank = int(fields.get("rank", 1))
        image_id = next(self._ids)
        self.images.setdefault(lid, {})[rank] = image_id
        return self._json({"listing_id": lid, "listing_image_id": image_id, "rank": rank}, 201)

    def _by_shop(self, request: Captured, query: dict[str, str]) -> Reply:
        if self.oracle is not None:
            self._check("getListingsByShop", self.oracle.check_query, "getListingsByShop",
                        query)
        state = query.get("state", "active")
        seen_before = self.clock.time() - self.listing_lag
        chosen = [lid for lid in sorted(self.listings) if self.listings[lid]["state"] == state
                  and (not self.listing_lag
                       or self.listings[lid]["created_timestamp"] <= seen_before)]
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 25))
        results = []
        for lid in chosen[offset:offset + limit]:
            listing = dict(self.listings[lid])
            if "Inventory" in query.get("includes", ""):
                listing["inventory"] = self.inventories[lid]
            results.append(listing)
        return self._json({"count": len(chosen), "results": results})

    def _receipts(self, request: Captured, query: dict[str, str]) -> Reply:
        if self.oracle is not None:
            self._check("getShopReceipts", self.oracle.check_query, "getShopReceipts", query)
        low = int(query.get("min_last_modified", 0))
        high = int(query.get("max_last_modified", 2**40))
        chosen = sorted((r for r in self.receipts.values()
                         if low <= r["updated_timestamp"] <= high),
                        key=lambda r: (r["updated_timestamp"], r["receipt_id"]))
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 25))
        limit = min(limit, self.page_size or limit)
        return self._json({"count": len(chosen), "results": chosen[offset:offset + limit]})

    # --- capability contract (feedsync.testing.capabilities) ---------------------------------

    def add_order(self, spec: Any) -> None:
        """Publish or update a receipt in Etsy's shape (transaction ids stable per line)."""
        status = {"unshipped": "paid", "shipped": "completed",
                  "cancelled": "canceled"}[spec.status]
        created = int(spec.placed_at.timestamp())
        updated = int(spec.updated_at.timestamp())
        old = self.receipts.get(spec.order_id, {})
        self.receipts[spec.order_id] = {
            "receipt_id": spec.order_id, "status": status, "is_paid": True,
            "is_shipped": spec.status == "shipped", "created_timestamp": created,
            "create_timestamp": created, "updated_timestamp": updated,
            "update_timestamp": updated, "shipments": old.get("shipments", []),
            "grandtotal": {"amount": sum(int(ln.unit_price * 100) * ln.quantity
                                         for ln in spec.lines), "divisor": 100,
                           "currency_code": spec.currency},
            "transactions": [
                {"transaction_id": 7_000_000 + i, "quantity": ln.quantity, "sku": ln.sku,
                 "listing_id": 800_001, "title": ln.sku, "shipped_timestamp": None,
                 "price": {"amount": int(ln.unit_price * 100), "divisor": 100,
                           "currency_code": spec.currency}}
                for i, ln in enumerate(spec.lines)]}

    def remove_live(self, sku: str) -> None:
        """The shop stops showing the listing that sells ``sku``."""
        listing = self.listing_of(sku)
        self.listings[listing["listing_id"]]["state"] = "inactive"

    # --- test helpers -----------------------------------------------------------------------

    def listing_of(self, sku: str) -> dict[str, Any]:
        """The listing whose inventory holds ``sku``."""
        for lid, inventory in self.inventories.items():
            if any(p.get("sku") == sku for p in inventory["products"]):
                return self.listings[lid]
        raise KeyError(sku)

    def products(self, listing_id: int) -> dict[str, dict[str, Any]]:
        """The inventory products of a listing by SKU."""
        return {p["sku"]: p for p in self.inventories[listing_id]["products"]}
