"""Amazon listings: the seller's listings table, one message applied, Listings Items API routes.

Listings Items API 2021-08-01 (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-
v2021-08-01-reference): putListingsItem, patchListingsItem, getListingsItem,
deleteListingsItem; ``mode=VALIDATION_PREVIEW`` validates without saving.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from feedsync.sandbox.amazon import rules
from feedsync.sandbox.amazon.base import MARKETPLACE_ID, AmazonBase, errors, invalid_input
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import Exchange, route

LISTINGS = "/listings/2021-08-01/items/{seller_id}/{sku}"
INCLUDED_DATA = frozenset({"summaries", "attributes", "issues", "offers",
                           "fulfillmentAvailability", "procurement", "relationships",
                           "productTypes"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS amazon_listings (
    sku TEXT PRIMARY KEY, product_type TEXT NOT NULL, attributes TEXT NOT NULL,
    asin TEXT NOT NULL, quantity INTEGER, price TEXT, currency TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
"""


def iso(moment: float) -> str:
    """Epoch seconds as Amazon's ISO 8601 UTC text."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def asin_for(sku: str) -> str:
    """A stable ASIN for a SKU (B0 + 8 characters, as Amazon's)."""
    return "B0" + hashlib.sha1(sku.encode()).hexdigest()[:8].upper()


def offer_terms(attributes: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """(merchant-fulfilled quantity, our price, currency) of an attribute set."""
    quantity = None
    for value in attributes.get("fulfillment_availability") or ():
        if value.get("fulfillment_channel_code") == "DEFAULT" and "quantity" in value:
            quantity = int(value["quantity"])
    price = currency = None
    for offer in attributes.get("purchasable_offer") or ():
        for entry in offer.get("our_price") or ():
            for schedule in entry.get("schedule") or ():
                price = str(Decimal(str(schedule.get("value_with_tax"))))
        currency = offer.get("currency") or currency
    return quantity, price, currency


def load(db: sqlite3.Connection, sku: str) -> sqlite3.Row | None:
    """The stored listing of ``sku``."""
    return db.execute("SELECT * FROM amazon_listings WHERE sku = ?", (sku,)).fetchone()


def save(ctx: Exchange, sku: str, product_type: str, attributes: dict[str, Any]) -> None:
    """Store a listing (create or replace), keeping its creation time and ASIN."""
    quantity, price, currency = offer_terms(attributes)
    ctx.db.execute(
        "INSERT INTO amazon_listings (sku, product_type, attributes, asin, quantity, price, "
        "currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET product_type = excluded.product_type, "
        "attributes = excluded.attributes, quantity = excluded.quantity, "
        "price = excluded.price, currency = excluded.currency, updated_at = excluded.updated_at",
        (sku, product_type, json.dumps(attributes), asin_for(sku), quantity, price, currency,
         ctx.now, ctx.now))


def apply_message(ctx: Exchange, message: Any, *, save_changes: bool = True
                  ) -> list[dict[str, Any]]:
    """Validate one feed message and, when it has no ERROR, apply it. Returns its issues."""
    if not isinstance(message, dict):
        return [rules.issue(rules.BAD_MESSAGE, "Each message must be an object.")]
    sku = message.get("sku")
    found = rules.check_sku(sku)
    sku = str(sku)
    operation = message.get("operationType")
    if operation not in rules.OPERATIONS:
        found.append(rules.issue(rules.BAD_MESSAGE, f"operationType {operation!r} must be one of "
                                 f"{', '.join(rules.OPERATIONS)}."))
    if found:
        return found
    if operation == "DELETE":
        if save_changes:
            ctx.db.execute("DELETE FROM amazon_listings WHERE sku = ?", (sku,))
        return []
    product_type = message.get("productType")
    found.extend(rules.check_product_type(product_type))
    existing = load(ctx.db, sku)
    if operation == "PATCH":
        found.extend(rules.check_patches(message.get("patches")))
        if existing is None:
            found.append(rules.issue(rules.NO_LISTING, f"The SKU '{sku}' has no listing to "
                                     "patch: create it with UPDATE first."))
        if found or existing is None:
            return found
        attributes = rules.apply_patches(json.loads(existing["attributes"]), message["patches"])
    else:
        requirements = message.get("requirements", "LISTING")
        if requirements not in rules.REQUIREMENTS:
            return [rules.issue(rules.BAD_MESSAGE, f"requirements {requirements!r} is not valid.")]
        attributes = message.get("attributes") or {}
        if operation == "PARTIAL_UPDATE":
            if existing is None:
                found.append(rules.issue(rules.NO_LISTING, f"The SKU '{sku}' has no listing to "
                                         "update partially."))
            found.extend(rules.check_attributes(attributes, full=False))
            if found or existing is None:
                return found
            attributes = {**json.loads(existing["attributes"]), **attributes}
        else:
            found.extend(rules.check_attributes(attributes, full=True,
                                                requirements=requirements))
            if found:
                return found
    if save_changes:
        save(ctx, sku, str(product_type), attributes)
    return []


class ListingRoutes(AmazonBase):
    """Listings Items API 2021-08-01."""

    def _mode(self, request: Request) -> str | None:
        mode = request.arg("mode")
        if mode not in (None, "VALIDATION_PREVIEW"):
            raise invalid_input(f"Invalid mode '{mode}'.")
        marketplaces = (request.arg("marketplaceIds") or "").split(",")
        if not marketplaces or MARKETPLACE_ID not in marketplaces:
            raise invalid_input("marketplaceIds must name the seller's marketplace.")
        return mode

    def _submission(self, request: Request, sku: str, issues: list[dict[str, Any]],
                    preview: bool) -> Response:
        errors = any(i["severity"] == "ERROR" for i in issues)
        status = ("INVALID" if errors else "VALID") if preview else (
            "INVALID" if errors else "ACCEPTED")
        body: dict[str, Any] = {"sku": sku, "status": status,
                                "submissionId": uuid.uuid4().hex, "issues": issues}
        if preview and "identifiers" in (request.arg("includedData") or ""):
            body["identifiers"] = [{"marketplaceId": MARKETPLACE_ID, "asin": asin_for(sku)}]
        return Response.json(body)

    @route("PUT", LISTINGS, operation="putListingsItem")
    def put_listings_item(self, ctx: Exchange, request: Request) -> Response:
        """Create or fully replace a listing (``requirements`` LISTING by default)."""
        seller, sku = request.params["seller_id"], request.params["sku"]
        self.check_seller(request, seller)
        preview = self._mode(request) is not None
        body = request.json()
        if not isinstance(body, dict):
            raise invalid_input("The request body must be a ListingsItemPutRequest object.")
        message = {**body, "sku": sku, "operationType": "UPDATE"}
        issues = apply_message(ctx, message, save_changes=not preview)
        return self._submission(request, sku, issues, preview)

    @route("PATCH", LISTINGS, operation="patchListingsItem")
    def patch_listings_item(self, ctx: Exchange, request: Request) -> Response:
        """Partially update a listing with JSON Patch operations."""
        seller, sku = request.params["seller_id"], request.params["sku"]
        self.check_seller(request, seller)
        preview = self._mode(request) is not None
        body = request.json()
        if not isinstance(body, dict):
            raise invalid_input("The request body must be a ListingsItemPatchRequest object.")
        message = {**body, "sku": sku, "operationType": "PATCH"}
        issues = apply_message(ctx, message, save_changes=not preview)
        return self._submission(request, sku, issues, preview)

    @route("DELETE", LISTINGS, operation="deleteListingsItem")
    def delete_listings_item(self, ctx: Exchange, request: Request) -> Response:
        """Delete a listing."""
        seller, sku = request.params["seller_id"], request.params["sku"]
        self.check_seller(request, seller)
        self._mode(request)
        apply_message(ctx, {"sku": sku, "operationType": "DELETE"})
        return self._submission(request, sku, [], False)

    @route("GET", LISTINGS, operation="getListingsItem")
    def get_listings_item(self, ctx: Exchange, request: Request) -> Response:
        """A listing with the requested ``includedData`` (default: summaries)."""
        seller, sku = request.params["seller_id"], request.params["sku"]
        self.check_seller(request, seller)
        self._mode(request)
        included = set((request.arg("includedData") or "summaries").split(","))
        if not included <= INCLUDED_DATA:
            raise invalid_input(f"Invalid includedData: {sorted(included - INCLUDED_DATA)}.")
        row = load(ctx.db, sku)
        if row is None:
            raise rules_not_found(sku)
        return Response.json(listing_view(row, included))


def rules_not_found(sku: str) -> Exception:
    """getListingsItem of an unknown SKU: 404 NOT_FOUND."""
    return errors(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {MARKETPLACE_ID}")


def listing_view(row: sqlite3.Row, included: set[str]) -> dict[str, Any]:
    """An Item of the Listings Items API from a stored listing."""
    attributes = json.loads(row["attributes"])
    view: dict[str, Any] = {"sku": row["sku"]}
    if "summaries" in included:
        names = attributes.get("item_name") or [{}]
        condition = (attributes.get("condition_type") or [{}])[0].get("value")
        status = ["DISCOVERABLE"] + (["BUYABLE"] if row["price"] and row["quantity"] else [])
        summary = {"marketplaceId": MARKETPLACE_ID, "asin": row["asin"],
                   "productType": row["product_type"], "status": status,
                   "itemName": names[0].get("value"), "createdDate": iso(row["created_at"]),
                   "lastUpdatedDate": iso(row["updated_at"])}
        if condition:
            summary["conditionType"] = condition
        view["summaries"] = [summary]
    if "attributes" in included:
        view["attributes"] = attributes
    if "issues" in included:
        view["issues"] = []
    if "offers" in included and row["price"]:
        view["offers"] = [{"marketplaceId": MARKETPLACE_ID, "offerType": "B2C",
                           "price": {"currencyCode": row["currency"], "amount": row["price"]}}]
    if "fulfillmentAvailability" in included and row["quantity"] is not None:
        view["fulfillmentAvailability"] = [{"fulfillmentChannelCode": "DEFAULT",
                                            "quantity": row["quantity"]}]
    return view
