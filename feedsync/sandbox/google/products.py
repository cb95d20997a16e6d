"""Merchant API v1 products: productInputs.insert/delete, products.get/list, processing.

https://developers.google.com/merchant/api/reference/rest/products_v1/accounts.productInputs
and .../accounts.products. An inserted input becomes a processed ``Product`` some time later
(``PROCESSING_S`` here; minutes at Google): until then ``products.get`` answers 404. Processing
applies the Shopping data rules (https://support.google.com/merchants/answer/7052112) and
reports what fails as ``itemLevelIssues``: a DISAPPROVED issue keeps the product out of every
destination. Structural errors are refused at insert with 400 INVALID_ARGUMENT and the field.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from feedsync.sandbox.google.base import GoogleBase, google_error
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import Exchange, route

PROCESSING_S = 1.0  # sandbox time between an insert and its processed product
MAX_OFFER_ID = 50  # ProductInput.offerId: "maximum 50 characters"
MAX_TITLE = 150  # https://support.google.com/merchants/answer/6324415
MAX_DESCRIPTION = 5000  # https://support.google.com/merchants/answer/6324468
MAX_PAGE = 1000  # products.list pageSize maximum
AVAILABILITY = frozenset({"IN_STOCK", "OUT_OF_STOCK", "PREORDER", "LIMITED_AVAILABILITY",
                          "BACKORDER"})
CONDITION = frozenset({"NEW", "REFURBISHED", "USED"})
REQUIRED = ("title", "link", "imageLink", "price", "availability")  # Shopping ads + listings
CONTEXTS = ("SHOPPING_ADS", "FREE_LISTINGS")
DOCS = "https://support.google.com/merchants/answer/7052112"

SCHEMA = """
CREATE TABLE IF NOT EXISTS google_inputs (
    account_id TEXT NOT NULL, product_key TEXT NOT NULL, data_source TEXT NOT NULL,
    body TEXT NOT NULL, inserted_at REAL NOT NULL, processed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, product_key));
CREATE INDEX IF NOT EXISTS google_inputs_pending ON google_inputs (processed, inserted_at);
CREATE TABLE IF NOT EXISTS google_products (
    account_id TEXT NOT NULL, product_key TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (account_id, product_key));
"""


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_segment(segment: str) -> str:
    """A ``{product}`` URL segment: ``en~US~sku``, or its unpadded base64url form."""
    if segment.count("~") >= 2:
        return segment
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise google_error(400, "INVALID_ARGUMENT", f"Invalid resource name: {segment}"
                           ) from None
    if decoded.count("~") < 2:
        raise google_error(400, "INVALID_ARGUMENT", f"Invalid resource name: {segment}")
    return decoded


def _check_input(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    violations = []
    offer = body.get("offerId")
    if not isinstance(offer, str) or not offer.strip():
        violations.append(("offer_id", "The offer ID is required."))
    elif len(offer) > MAX_OFFER_ID or offer != offer.strip():
        violations.append(("offer_id", f"The offer ID must be 1-{MAX_OFFER_ID} characters "
                           "without leading or trailing whitespace."))
    if not re.fullmatch(r"[a-z]{2}", str(body.get("contentLanguage") or "")):
        violations.append(("content_language", "A two-letter ISO 639-1 code is required."))
    if not re.fullmatch(r"[A-Z0-9_-]{1,20}", str(body.get("feedLabel") or "")):
        violations.append(("feed_label", "1-20 characters of A-Z, 0-9, hyphen, underscore."))
    attributes = body.get("productAttributes") or {}
    if not isinstance(attributes, dict):
        violations.append(("product_attributes", "Must be an object."))
        attributes = {}
    for name in ("price", "salePrice"):
        price = attributes.get(name)
        if price is None:
            continue
        if (not isinstance(price, dict)
                or not re.fullmatch(r"-?\d+", str(price.get("amountMicros", "")))
                or not re.fullmatch(r"[A-Z]{3}", str(price.get("currencyCode", "")))):
            violations.append((f"product_attributes.{name}",
                               "A price needs amountMicros (int64) and a currencyCode."))
    for name, allowed in (("availability", AVAILABILITY), ("condition", CONDITION)):
        if name in attributes and attributes[name] not in allowed:
            violations.append((f"product_attributes.{name}",
                               f"Invalid value: {attributes[name]!r}."))
    for gtin in attributes.get("gtins") or ():
        if not (isinstance(gtin, str) and gtin.isdigit()):
            violations.append(("product_attributes.gtins", f"Invalid GTIN: {gtin!r}."))
    if violations:
        field, description = violations[0]
        raise google_error(400, "INVALID_ARGUMENT", f"[{field}] {description}", violations)
    return body


def _issues(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """Shopping data rules → item-level issues (what the processed product reports)."""
    found = []

    def add(code: str, attribute: str, description: str) -> None:
        for context in CONTEXTS:
            found.append({"code": code, "severity": "DISAPPROVED", "resolution":
                          "merchant_action", "attribute": attribute, "reportingContext": context,
                          "description": description, "applicableCountries": ["US"],
                          "documentation": DOCS})

    for name in REQUIRED:
        if not attributes.get(name):
            add("missing_required_attribute", name, f"Missing value [{name}]")
    title = attributes.get("title") or ""
    if len(title) > MAX_TITLE:
        add("title_too_long", "title", f"Text too long [title]: over {MAX_TITLE} characters")
    if len(attributes.get("description") or "") > MAX_DESCRIPTION:
        add("description_too_long", "description", "Text too long [description]")
    price = attributes.get("price") or {}
    if price and int(price.get("amountMicros", "0")) <= 0:
        add("invalid_price", "price", "Invalid price [price]: must be above 0")
    if not (attributes.get("brand") or attributes.get("gtins") or attributes.get("mpn")
            or attributes.get("identifierExists") is False):
        add("missing_item_identifier", "brand", "Missing product identifier [brand, gtin, mpn]")
    return found


def _process(ctx: Exchange, row: Any) -> None:
    body = json.loads(row["body"])
    attributes = body.get("productAttributes") or {}
    issues = _issues(attributes)
    known = ctx.db.execute("SELECT body FROM google_products WHERE account_id = ? AND "
                           "product_key = ?", (row["account_id"], row["product_key"])).fetchone()
    created = (json.loads(known["body"])["productStatus"]["creationDate"] if known
               else _iso(row["inserted_at"]))
    country = "disapprovedCountries" if issues else "approvedCountries"
    product = {
        "name": f"accounts/{row['account_id']}/products/{row['product_key']}",
        "offerId": body["offerId"], "contentLanguage": body["contentLanguage"],
        "feedLabel": body["feedLabel"], "dataSource": row["data_source"],
        "productAttributes": attributes, "customAttributes": body.get("customAttributes", []),
        "productStatus": {
            "destinationStatuses": [{"reportingContext": c, country: ["US"]} for c in CONTEXTS],
            "itemLevelIssues": issues, "creationDate": created,
            "lastUpdateDate": _iso(row["inserted_at"] + PROCESSING_S),
            "googleExpirationDate": _iso(row["inserted_at"] + 30 * 86400)},
    }
    ctx.db.execute("INSERT OR REPLACE INTO google_products VALUES (?, ?, ?)",
                   (row["account_id"], row["product_key"], json.dumps(product)))
    ctx.db.execute("UPDATE google_inputs SET processed = 1 WHERE account_id = ? AND "
                   "product_key = ?", (row["account_id"], row["product_key"]))


def process_due(ctx: Exchange) -> None:
    """Turn every input inserted at least ``PROCESSING_S`` ago into its processed product."""
    for row in ctx.db.execute("SELECT * FROM google_inputs WHERE processed = 0 AND "
                              "inserted_at <= ?", (ctx.now - PROCESSING_S,)).fetchall():
        _process(ctx, row)


class ProductRoutes(GoogleBase):
    """productInputs.insert/delete and products.get/list."""

    def _data_source(self, ctx: Exchange, request: Request, account: str) -> Any:
        name = request.arg("dataSource") or ""
        found = re.fullmatch(r"accounts/(\d+)/dataSources/(\d+)", name)
        if not found:
            raise google_error(400, "INVALID_ARGUMENT", "[data_source] The data source name "
                               "must be accounts/{account}/dataSources/{datasource}.",
                               [("data_source", "Invalid format.")])
        row = ctx.db.execute("SELECT * FROM google_data_sources WHERE account_id = ? AND "
                             "data_source_id = ?", found.groups()).fetchone()
        if row is None or found.group(1) != account:
            raise google_error(404, "NOT_FOUND", f"Data source {name} not found.")
        return row

    @route("POST", "/products/v1/accounts/{account}/productInputs:insert",
           operation="productInputs.insert")
    def insert(self, ctx: Exchange, request: Request) -> Response:
        """Insert or replace a product input (same offerId, language and label: replaced)."""
        account = request.params["account"]
        self.check_account(ctx, request, account)
        source = self._data_source(ctx, request, account)
        body = _check_input(request.json())
        if (body["feedLabel"], body["contentLanguage"]) != (source["feed_label"],
                                                            source["content_language"]):
            raise google_error(400, "FAILED_PRECONDITION", "The feed label and content "
                               "language must match those of the API data source "
                               f"({source['feed_label']}, {source['content_language']}).")
        key = f"{body['contentLanguage']}~{body['feedLabel']}~{body['offerId']}"
        data_source = request.arg("dataSource")
        ctx.db.execute("INSERT OR REPLACE INTO google_inputs VALUES (?, ?, ?, ?, ?, 0)",
                       (account, key, data_source, json.dumps(body), ctx.now))
        encoded = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
        stored = {**body, "name": f"accounts/{account}/productInputs/{key}",
                  "product": f"accounts/{account}/products/{key}",
                  "base64EncodedName": f"accounts/{account}/productInputs/{encoded}",
                  "base64EncodedProduct": f"accounts/{account}/products/{encoded}"}
        return Response.json(stored)

    @route("DELETE", "/products/v1/accounts/{account}/productInputs/{product}",
           operation="productInputs.delete")
    def delete(self, ctx: Exchange, request: Request) -> Response:
        """Delete a product input, and with it the processed product."""
        account = request.params["account"]
        self.check_account(ctx, request, account)
        self._data_source(ctx, request, account)
        key = decode_segment(request.params["product"])
        gone = ctx.db.execute("DELETE FROM google_inputs WHERE account_id = ? AND "
                              "product_key = ?", (account, key)).rowcount
        ctx.db.execute("DELETE FROM google_products WHERE account_id = ? AND product_key = ?",
                       (account, key))
        if not gone:
            raise google_error(404, "NOT_FOUND", "Requested entity was not found.")
        return Response.json({})

    @route("GET", "/products/v1/accounts/{account}/products/{product}",
           operation="products.get")
    def get(self, ctx: Exchange, request: Request) -> Response:
        """A processed product (404 until processing is done)."""
        account = request.params["account"]
        self.check_account(ctx, request, account)
        process_due(ctx)
        key = decode_segment(request.params["product"])
        row = ctx.db.execute("SELECT body FROM google_products WHERE account_id = ? AND "
                             "product_key = ?", (account, key)).fetchone()
        if row is None:
            raise google_error(404, "NOT_FOUND", "Requested entity was not found.")
        return Response.json(json.loads(row["body"]))

    @route("GET", "/products/v1/accounts/{account}/products", operation="products.list")
    def list(self, ctx: Exchange, request: Request) -> Response:
        """Processed products, a page at a time (pageSize ≤ 1000, default 25)."""
        account = request.params["account"]
        self.check_account(ctx, request, account)
        process_due(ctx)
        try:
            size = int(request.arg("pageSize") or 25)
            offset = int(base64.urlsafe_b64decode(request.arg("pageToken") or "MA==").decode())
        except ValueError:
            raise google_error(400, "INVALID_ARGUMENT", "Invalid page token or size.") from None
        size = min(max(size, 1), MAX_PAGE)
        rows = ctx.db.execute("SELECT body FROM google_products WHERE account_id = ? "
                              "ORDER BY product_key LIMIT ? OFFSET ?",
                              (account, size + 1, offset)).fetchall()
        body: dict[str, Any] = {"products": [json.loads(r["body"]) for r in rows[:size]]}
        if len(rows) > size:
            body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()
                                                             ).decode()
        return Response.json(body)
