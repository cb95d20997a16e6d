"""Inventory API: inventory items (bulk create/replace, bulk get, list, delete) and groups.

https://developer.ebay.com/api-docs/sell/inventory/resources/methods. Writes need the
``Content-Language`` header (https://developer.ebay.com/api-docs/sell/static/inventory/inventory-api-headers.html);
bulk calls take 1–25 requests and answer 200 / 207 / 400 with one entry per request; replacing
the item of a published listing revises that listing (and counts against its daily revisions).
"""

from __future__ import annotations

import json
import re
from typing import Any

from feedsync.sandbox.ebay import rules, store
from feedsync.sandbox.ebay.base import EbayBase, ebay_error, error_entry
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, route

INV = "/sell/inventory/v1"


def require_language(request: Request) -> None:
    """Inventory writes state the language of their values, e.g. ``en-US``."""
    value = request.headers.get("Content-Language") or ""
    if not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", value):
        raise ebay_error(400, 25709, "Invalid value for header Content-Language.",
                         fieldName="Content-Language")


def bulk_requests(request: Request) -> list[dict[str, Any]]:
    """The ``requests`` of a bulk call: 1–25 objects, else the call is refused."""
    body = request.json()
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ebay_error(400, 25709, "Invalid value for requests.", fieldName="requests")
    if len(items) > rules.MAX_BULK:
        raise ebay_error(400, 25709, f"Invalid value for requests. At most {rules.MAX_BULK} "
                                     "requests are allowed.", fieldName="requests")
    return items


def in_group(ctx: Exchange, sku: str) -> list[str]:
    """The keys of the groups ``sku`` belongs to."""
    return [row["group_key"] for row in ctx.db.execute("SELECT group_key, body FROM ebay_groups")
            if sku in json.loads(row["body"]).get("variantSKUs", [])]


class InventoryRoutes(EbayBase):
    """Inventory items and inventory item groups."""

    @route("POST", f"{INV}/bulk_create_or_replace_inventory_item",
           operation="bulkCreateOrReplaceInventoryItem")
    def bulk_items(self, ctx: Exchange, request: Request) -> Response:
        require_language(request)
        entries = []
        for item in bulk_requests(request):
            sku = item.get("sku")
            entry: dict[str, Any] = {"sku": sku, "locale": item.get("locale")}
            problems = rules.inventory_item_errors(item, in_group=bool(
                isinstance(sku, str) and in_group(ctx, sku)))
            revision = None if problems else store.revise(ctx, str(sku))
            if revision is not None:
                problems = [revision]
            if problems:
                entries.append({**entry, "statusCode": 400, "errors": problems})
                continue
            store.put_item(ctx, item)
            entries.append({**entry, "statusCode": 200})
        status, body = store.bulk_answer(entries)
        return Response.json(body, status=status)

    @route("POST", f"{INV}/bulk_get_inventory_item", operation="bulkGetInventoryItem")
    def bulk_get(self, ctx: Exchange, request: Request) -> Response:
        entries = []
        for wanted in bulk_requests(request):
            sku = str(wanted.get("sku") or "")
            item = store.get_item(ctx, sku)
            if item is None:
                entries.append({"sku": sku, "statusCode": 404, "errors": [error_entry(
                    25710, "We didn't find the resource/entity you are requesting.")]})
                continue
            groups = in_group(ctx, sku)
            entries.append({"sku": sku, "statusCode": 200, "inventoryItem": {
                **item, **({"inventoryItemGroupKeys": groups} if groups else {})}})
        status, body = store.bulk_answer(entries)
        return Response.json(body, status=status)

    @route("GET", f"{INV}/inventory_item", operation="getInventoryItems")
    def list_items(self, ctx: Exchange, request: Request) -> Response:
        limit, offset = int(request.arg("limit") or 25), int(request.arg("offset") or 0)
        if not 1 <= limit <= 200 or offset < 0:  # limit: 1–200 (getInventoryItems)
            raise ebay_error(400, 25709, "Invalid value for limit or offset.",
                             fieldName="limit")
        total = ctx.db.execute("SELECT COUNT(*) FROM ebay_items").fetchone()[0]
        rows = ctx.db.execute("SELECT body FROM ebay_items ORDER BY sku LIMIT ? OFFSET ?",
                              (limit, offset)).fetchall()
        body: dict[str, Any] = {"href": ctx.url(f"{INV}/inventory_item?limit={limit}&offset="
                                                f"{offset}"), "limit": limit, "total": total,
                                "size": len(rows),
                                "inventoryItems": [json.loads(r["body"]) for r in rows]}
        if offset + limit < total:
            body["next"] = ctx.url(f"{INV}/inventory_item?limit={limit}&offset="
                                   f"{offset + limit}")
        return Response.json(body)

    @route("GET", f"{INV}/inventory_item/{{sku}}", operation="getInventoryItem")
    def get_item(self, ctx: Exchange, request: Request) -> Response:
        item = store.get_item(ctx, request.params["sku"])
        if item is None:
            raise ebay_error(404, 25710, "We didn't find the resource/entity you are "
                                         "requesting.")
        return Response.json(item)

    @route("DELETE", f"{INV}/inventory_item/{{sku}}", operation="deleteInventoryItem")
    def delete_one(self, ctx: Exchange, request: Request) -> Response:
        sku = request.params["sku"]
        if store.get_item(ctx, sku) is None:
            raise ebay_error(404, 25710, "We didn't find the resource/entity you are "
                                         "requesting.")
        # Deleting an item deletes its offers and ends their listings (deleteInventoryItem).
        ctx.db.execute("DELETE FROM ebay_offers WHERE sku = ?", (sku,))
        ctx.db.execute("DELETE FROM ebay_items WHERE sku = ?", (sku,))
        return Response.empty(204)

    # --- groups ---------------------------------------------------------------------------------

    @route("GET", f"{INV}/inventory_item_group/{{key}}", operation="getInventoryItemGroup")
    def get_group(self, ctx: Exchange, request: Request) -> Response:
        row = ctx.db.execute("SELECT body FROM ebay_groups WHERE group_key = ?",
                             (request.params["key"],)).fetchone()
        if row is None:
            raise ebay_error(404, 25710, "We didn't find the resource/entity you are "
                                         "requesting.")
        return Response.json({**json.loads(row["body"]),
                              "inventoryItemGroupKey": request.params["key"]})

    @route("PUT", f"{INV}/inventory_item_group/{{key}}",
           operation="createOrReplaceInventoryItemGroup")
    def put_group(self, ctx: Exchange, request: Request) -> Response:
        require_language(request)
        body = request.json()
        if not isinstance(body, dict):
            raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory Item "
                                                       "Group.")
        skus = body.get("variantSKUs")
        if not isinstance(skus, list) or not skus:
            raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory Item "
                             "Group. variantSKUs is required.", fieldName="variantSKUs")
        problems = rules.aspect_errors(body.get("aspects"), "aspects")
        problems += rules.image_errors(body.get("imageUrls"))
        specs = (body.get("variesBy") or {}).get("specifications") or []
        if len(specs) > 5:  # up to five variation specifics (NameValueListArrayType)
            problems.append(error_entry(rules.INVALID_GROUP, "Invalid data in the Inventory "
                                        "Item Group. At most 5 variesBy aspects."))
        title = body.get("title")
        if isinstance(title, str) and len(title) > rules.MAX_TITLE:
            problems.append(error_entry(rules.INVALID_FIELD, "Invalid value for title.",
                                        fieldName="title"))
        if problems:
            first = problems[0]
            raise SandboxError(400, str(first["errorId"]), first["message"],
                               parameters={p["name"]: p["value"]
                                           for p in first.get("parameters", [])})
        existed = ctx.db.execute("SELECT body FROM ebay_groups WHERE group_key = ?",
                                 (request.params["key"],)).fetchone()
        if existed is not None:
            # Omitting a SKU removes that variation from the listing, unless it has sales
            # (InventoryItemGroup.variantSKUs).
            gone = set(json.loads(existed["body"]).get("variantSKUs", [])) - set(skus)
            for sku in sorted(gone):
                if any((o.get("listing") or {}).get("soldQuantity")
                       for o in store.offers_of(ctx, sku)):
                    raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory "
                                     f"Item Group. The variation {sku} has sales and cannot be "
                                     "removed; set its quantity to 0 instead.",
                                     fieldName="variantSKUs")
                for offer in store.offers_of(ctx, sku):
                    if offer["status"] == "PUBLISHED":
                        offer["status"] = "UNPUBLISHED"
                        offer["listing"] = {**offer["listing"], "listingStatus": "ENDED"}
                        store.save_offer(ctx, offer)
        ctx.db.execute("INSERT INTO ebay_groups VALUES (?, ?, ?) ON CONFLICT (group_key) DO "
                       "UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                       (request.params["key"], json.dumps(body), ctx.now))
        return Response.empty(204 if existed else 201)
