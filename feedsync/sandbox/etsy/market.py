"""Etsy Open API v3 on loopback: OAuth token, listings, inventory, images, receipts, tracking.

From the reference (https://developers.etsy.com/documentation/reference) and essentials pages:

- every call needs ``x-api-key`` (the keystring, or ``keystring:shared_secret``) and an OAuth
  bearer token (https://developers.etsy.com/documentation/essentials/authentication); tokens
  come from ``POST /v3/public/oauth/token`` (refresh grant, one-hour access tokens whose prefix
  is the user id);
- errors are ``{"error": "…"}`` (ErrorSchema);
- 10 requests per second and 10,000 per day, reported on every answer in
  ``x-limit-per-second``, ``x-remaining-this-second``, ``x-limit-per-day``,
  ``x-remaining-today``; over the day's budget a 429 with ``retry-after``
  (https://developers.etsy.com/documentation/essentials/rate-limits);
- listings start as drafts (createDraftListing, form-encoded), become ``active`` through
  updateListing only with at least one image, have an inventory replaced whole by
  updateListingInventory (JSON) and images uploaded as multipart files (``rank``,
  ``overwrite``); receipts list with ``min_last_modified``/``limit``/``offset`` and take
  tracking through createReceiptShipment.

Images for offline tries are served at ``/images/<host>/<path>`` (a path containing
``missing`` answers 404), the adapter's ``image_base_url`` points there.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any, ClassVar

from feedsync.sandbox.etsy import rules
from feedsync.sandbox.etsy.receipts import USER_ID, ReceiptsAndBuyers, money
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, Route, route

KEYSTRING = "sandboxetsykeystring0001"
SHARED_SECRET = "sandboxsharedsecret"
REFRESH_TOKEN = "70000001.sandbox-refresh-token"
SHOP_ID = 5550001
SHIPPING_PROFILE_ID, RETURN_POLICY_ID, TAXONOMY_ID = 77, 88, 1
PER_SECOND, PER_DAY = 10, 10_000
RATE_DOC = "https://developers.etsy.com/documentation/essentials/rate-limits"
APP = "/v3/application"
SHOP = f"{APP}/shops/{{shop_id}}"
PLACEHOLDER_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1024 + b"\xff\xd9"
_OPERATIONS = ("createDraftListing", "getListingsByShop", "getListing", "updateListing",
               "deleteListing", "getListingInventory", "updateListingInventory",
               "uploadListingImage", "getListingImages", "deleteListingImage",
               "getShopReceipts", "getShopReceipt", "createReceiptShipment",
               "getShopByOwnerUserId")


class EtsyMarket(ReceiptsAndBuyers, Marketplace):
    """One Etsy shop owned by one user, used by one app."""

    name = "etsy"
    sells = True
    schema = """
    CREATE TABLE IF NOT EXISTS etsy_listings (listing_id INTEGER PRIMARY KEY,
        data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS etsy_inventory (listing_id INTEGER PRIMARY KEY,
        data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS etsy_images (listing_id INTEGER NOT NULL, rank INTEGER NOT NULL,
        image_id INTEGER NOT NULL, PRIMARY KEY (listing_id, rank));
    CREATE TABLE IF NOT EXISTS etsy_receipts (receipt_id INTEGER PRIMARY KEY,
        updated INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS etsy_day (app TEXT PRIMARY KEY, started REAL NOT NULL,
        used INTEGER NOT NULL);
    """
    limits: ClassVar[dict[str, RateLimit]] = {
        op: RateLimit(PER_SECOND, PER_SECOND, RATE_DOC) for op in _OPERATIONS}

    # --- auth, shapes, budget ---------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        return Response.json({"error": error.message}, status=error.status)

    def rate_headers(self, operation: str, limit: RateLimit) -> dict[str, str]:
        return {"x-limit-per-second": str(PER_SECOND), "x-limit-per-day": str(PER_DAY)}

    def handle(self, found: Route, ctx: Exchange, request: Request) -> Response:
        """x-api-key on every API call, and the day's budget (counted, reported, enforced)."""
        if found.token or not found.auth:
            return super().handle(found, ctx, request)
        if request.headers.get("x-api-key") not in (KEYSTRING, f"{KEYSTRING}:{SHARED_SECRET}"):
            raise SandboxError(403, "invalid_api_key", "Invalid API key")
        row = ctx.db.execute("SELECT started, used FROM etsy_day WHERE app = ?",
                             (KEYSTRING,)).fetchone()
        started, used = (row["started"], row["used"]) if row else (ctx.now, 0)
        if ctx.now - started >= 86_400:
            started, used = ctx.now, 0
        budget = {"x-limit-per-second": str(PER_SECOND), "x-limit-per-day": str(PER_DAY)}
        if used >= PER_DAY:
            retry = int(started + 86_400 - ctx.now) + 1
            response = self.render_error(SandboxError(429, "limit", "daily limit exceeded"),
                                         request)
            response.headers.update({**budget, "x-remaining-today": "0",
                                     "retry-after": str(retry)})
            return response
        ctx.db.execute("INSERT OR REPLACE INTO etsy_day (app, started, used) VALUES (?, ?, ?)",
                       (KEYSTRING, started, used + 1))
        response = super().handle(found, ctx, request)
        response.headers.update({**budget, "x-remaining-today": str(PER_DAY - used - 1)})
        return response

    @route("POST", "/v3/public/oauth/token", operation="oauthToken", token=True)
    def token(self, ctx: Exchange, request: Request) -> Response:
        form = request.form()
        if form.get("client_id") != KEYSTRING:
            raise SandboxError(401, "invalid_client", "invalid_client")
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != (
                REFRESH_TOKEN):
            return Response.json({"error": "invalid_grant",
                                  "error_description": "refresh token is invalid"}, status=400)
        issued = ctx.tokens.issue(USER_ID, ttl_s=3600, prefix=f"{USER_ID}.")
        return Response.json({"access_token": issued.token, "token_type": "Bearer",
                              "expires_in": 3600, "refresh_token": REFRESH_TOKEN})

    @route("GET", f"{APP}/users/{{user_id}}/shops", operation="getShopByOwnerUserId")
    def shop_of_owner(self, ctx: Exchange, request: Request) -> Response:
        return Response.json({"shop_id": SHOP_ID, "shop_name": "SandboxShop",
                              "user_id": int(USER_ID)})

    # --- listings ---------------------------------------------------------------------------

    def _shop(self, request: Request) -> None:
        if request.params.get("shop_id") != str(SHOP_ID):
            raise SandboxError(403, "forbidden", "the token's user does not own this shop")

    def _listing(self, ctx: Exchange, listing_id: str) -> dict[str, Any]:
        row = ctx.db.execute("SELECT data FROM etsy_listings WHERE listing_id = ?",
                             (int(listing_id),)).fetchone()
        if row is None:
            raise SandboxError(404, "not_found", f"Listing {listing_id} not found")
        data: dict[str, Any] = json.loads(row["data"])
        return data

    def _save(self, ctx: Exchange, listing: dict[str, Any]) -> None:
        ctx.db.execute("INSERT OR REPLACE INTO etsy_listings (listing_id, data) VALUES (?, ?)",
                       (listing["listing_id"], json.dumps(listing)))

    def _inventory(self, ctx: Exchange, listing_id: int) -> dict[str, Any]:
        row = ctx.db.execute("SELECT data FROM etsy_inventory WHERE listing_id = ?",
                             (listing_id,)).fetchone()
        data: dict[str, Any] = json.loads(row["data"])
        return data

    @route("POST", f"{SHOP}/listings", operation="createDraftListing")
    def create_draft(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        form = request.form()
        rules.check_listing_form(form, create=True)
        listing_id = 800_000 + ctx.next_id("listing")
        now = int(ctx.now)
        listing = {"listing_id": listing_id, "shop_id": SHOP_ID, "user_id": int(USER_ID),
                   "title": form["title"], "description": form["description"],
                   "state": "draft", "quantity": int(form["quantity"]),
                   "creation_timestamp": now, "created_timestamp": now,
                   "updated_timestamp": now, "last_modified_timestamp": now,
                   "tags": rules.split_list(form.get("tags")),
                   "materials": rules.split_list(form.get("materials")),
                   "taxonomy_id": int(form["taxonomy_id"]), "who_made": form["who_made"],
                   "when_made": form["when_made"], "price": money(rules.price(form["price"])),
                   "shipping_profile_id": int(form["shipping_profile_id"])}
        self._save(ctx, listing)
        product = {"product_id": ctx.next_id("product"), "sku": "", "is_deleted": False,
                   "property_values": [], "offerings": [{
                       "offering_id": ctx.next_id("offering"), "is_enabled": True,
                       "is_deleted": False, "quantity": int(form["quantity"]),
                       "price": listing["price"]}]}
        ctx.db.execute("INSERT INTO etsy_inventory VALUES (?, ?)", (listing_id, json.dumps({
            "products": [product], "price_on_property": [], "quantity_on_property": [],
            "sku_on_property": []})))
        return Response.json(listing, status=201)

    @route("GET", f"{SHOP}/listings", operation="getListingsByShop")
    def by_shop(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        state = request.arg("state") or "active"
        limit = min(int(request.arg("limit") or 25), 100)
        offset = int(request.arg("offset") or 0)
        rows = [json.loads(r["data"]) for r in ctx.db.execute(
            "SELECT data FROM etsy_listings ORDER BY listing_id")]
        chosen = [r for r in rows if r["state"] == state]
        page = chosen[offset:offset + limit]
        if "Inventory" in (request.arg("includes") or ""):
            for listing in page:
                listing["inventory"] = self._inventory(ctx, listing["listing_id"])
        return Response.json({"count": len(chosen), "results": page})

    @route("GET", f"{APP}/listings/{{listing_id}}", operation="getListing")
    def get_listing(self, ctx: Exchange, request: Request) -> Response:
        return Response.json(self._listing(ctx, request.params["listing_id"]))

    @route("PATCH", f"{SHOP}/listings/{{listing_id}}", operation="updateListing")
    def update_listing(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        listing = self._listing(ctx, request.params["listing_id"])
        form = request.form()
        rules.check_listing_form(form, create=False)
        state = form.pop("state", None)
        for key, value in form.items():
            listing[key] = rules.split_list(value) if key in ("tags", "materials") else value
        if state == "active":
            images = ctx.db.execute("SELECT COUNT(*) AS n FROM etsy_images WHERE listing_id = ?",
                                    (listing["listing_id"],)).fetchone()["n"]
            if not images:
                raise rules.bad("state", "a listing needs at least one image to be active")
        if state is not None:
            listing["state"] = state
        listing["updated_timestamp"] = int(ctx.now)
        self._save(ctx, listing)
        return Response.json(listing)

    @route("DELETE", f"{APP}/listings/{{listing_id}}", operation="deleteListing")
    def delete_listing(self, ctx: Exchange, request: Request) -> Response:
        listing = self._listing(ctx, request.params["listing_id"])
        for table in ("etsy_listings", "etsy_inventory", "etsy_images"):
            ctx.db.execute(f"DELETE FROM {table} WHERE listing_id = ?", (listing["listing_id"],))
        return Response.empty(204)

    @route("GET", f"{APP}/listings/{{listing_id}}/inventory", operation="getListingInventory")
    def get_inventory(self, ctx: Exchange, request: Request) -> Response:
        listing = self._listing(ctx, request.params["listing_id"])
        return Response.json(self._inventory(ctx, listing["listing_id"]))

    @route("PUT", f"{APP}/listings/{{listing_id}}/inventory",
           operation="updateListingInventory")
    def put_inventory(self, ctx: Exchange, request: Request) -> Response:
        listing = self._listing(ctx, request.params["listing_id"])
        body = request.json()
        rules.check_inventory(body)
        products: list[dict[str, Any]] = []
        for product in body["products"]:
            offering = product["offerings"][0]
            products.append({
                "product_id": ctx.next_id("product"), "sku": product.get("sku") or "",
                "is_deleted": False,
                "property_values": [{"property_id": v["property_id"],
                                     "property_name": v.get("property_name"),
                                     "scale_id": v.get("scale_id"), "scale_name": None,
                                     "value_ids": v.get("value_ids") or [ctx.next_id("value")],
                                     "values": v.get("values") or []}
                                    for v in product.get("property_values") or []],
                "offerings": [{"offering_id": ctx.next_id("offering"),
                               "quantity": offering["quantity"],
                               "is_enabled": bool(offering["is_enabled"]), "is_deleted": False,
                               "price": money(rules.price(offering["price"]))}]})
        inventory = {"products": products, **{k: body.get(k) or [] for k in (
            "price_on_property", "quantity_on_property", "sku_on_property")}}
        ctx.db.execute("UPDATE etsy_inventory SET data = ? WHERE listing_id = ?",
                       (json.dumps(inventory), listing["listing_id"]))
        listing["quantity"] = sum(p["offerings"][0]["quantity"] for p in products)
        self._save(ctx, listing)
        return Response.json(inventory)

    @route("POST", f"{SHOP}/listings/{{listing_id}}/images", operation="uploadListingImage")
    def upload_image(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        listing = self._listing(ctx, request.params["listing_id"])
        fields = _multipart(request)
        if not fields.get("image"):
            raise rules.bad("image", "an image file is required")
        rank = int(fields.get("rank") or 1)
        image_id = ctx.next_id("image")
        ctx.db.execute("INSERT OR REPLACE INTO etsy_images VALUES (?, ?, ?)",
                       (listing["listing_id"], rank, image_id))
        return Response.json({"listing_id": listing["listing_id"], "listing_image_id": image_id,
                              "rank": rank, "created_timestamp": int(ctx.now)}, status=201)

    @route("DELETE", f"{SHOP}/listings/{{listing_id}}/images/{{listing_image_id}}",
           operation="deleteListingImage")
    def delete_image(self, ctx: Exchange, request: Request) -> Response:
        self._shop(request)
        listing = self._listing(ctx, request.params["listing_id"])
        ctx.db.execute("DELETE FROM etsy_images WHERE listing_id = ? AND image_id = ?",
                       (listing["listing_id"], int(request.params["listing_image_id"])))
        return Response.empty(204)

    @route("GET", f"{APP}/listings/{{listing_id}}/images", operation="getListingImages")
    def list_images(self, ctx: Exchange, request: Request) -> Response:
        listing = self._listing(ctx, request.params["listing_id"])
        rows = ctx.db.execute("SELECT rank, image_id FROM etsy_images WHERE listing_id = ? "
                              "ORDER BY rank", (listing["listing_id"],)).fetchall()
        return Response.json({"count": len(rows), "results": [
            {"listing_id": listing["listing_id"], "listing_image_id": r["image_id"],
             "rank": r["rank"]} for r in rows]})

    @route("GET", "/images/{path:path}", operation="image", auth=False)
    def image(self, ctx: Exchange, request: Request) -> Response:
        if "missing" in request.params["path"]:
            return Response.raw(b"not found", "text/plain", status=404)
        return Response.raw(PLACEHOLDER_JPEG, "image/jpeg")

    # --- demo workspace ---------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "base_url": base_url,
                "token_url": f"{base_url}/v3/public/oauth/token", "shop_id": SHOP_ID,
                "shipping_profile_id": SHIPPING_PROFILE_ID,
                "return_policy_id": RETURN_POLICY_ID, "taxonomy_id": TAXONOMY_ID,
                "image_base_url": f"{base_url}/images"}

    def secrets(self) -> dict[str, str]:
        return {"keystring": KEYSTRING, "shared_secret": SHARED_SECRET,
                "refresh_token": REFRESH_TOKEN}


def _multipart(request: Request) -> dict[str, Any]:
    """The fields of a multipart/form-data body (files as bytes)."""
    content_type = request.headers.get("Content-Type") or ""
    if not content_type.startswith("multipart/form-data"):
        raise rules.bad("image", "uploadListingImage takes multipart/form-data")
    message = BytesParser(policy=email_policy).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[str(name)] = data if name == "image" else data.decode()
    return fields
