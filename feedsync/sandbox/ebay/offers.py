"""Inventory API offers: create, update, read, publish (single and by group), withdraw, and
bulk price/quantity updates.

- One offer per SKU, marketplace and format: a second one is refused with errorId 25002 whose
  ``offerId`` parameter names the existing offer (bulkCreateOffer error table,
  https://developer.ebay.com/api-docs/sell/inventory/resources/offer/methods/bulkCreateOffer).
- updateOffer replaces the offer wholly; on a published offer it revises the listing.
- Publishing needs a complete offer and item (rules.publish_errors); publishing a published
  offer revises it. A group is published with publishOfferByInventoryItemGroup: every variant
  must have an offer and carry each ``variesBy`` aspect with a listed value.
- bulkUpdatePriceQuantity: the price lives on the offer (offerId needed), the quantity on the
  item and its offers; each entry revises the live listing.
"""

from __future__ import annotations

import json
from typing import Any

from feedsync.sandbox.ebay import rules, store
from feedsync.sandbox.ebay.base import LOCATION_KEY, POLICIES, ebay_error, error_entry
from feedsync.sandbox.ebay.inventory import INV, InventoryRoutes, bulk_requests, require_language
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, route

LOCATIONS = frozenset({LOCATION_KEY})


def _raise(problems: list[dict[str, Any]], status: int = 400) -> None:
    first = problems[0]
    raise SandboxError(status, str(first["errorId"]), first["message"],
                       parameters={p["name"]: p["value"] for p in first.get("parameters", [])})


def publish(ctx: Exchange, offer: dict[str, Any]) -> list[dict[str, Any]]:
    """Publish one offer (or revise its listing); the problems when it cannot be."""
    problems = rules.publish_errors(offer, store.get_item(ctx, offer["sku"]),
                                    location_keys=LOCATIONS, policies=POLICIES)
    if problems:
        return problems
    if offer["status"] == "PUBLISHED":
        revision = store.revise(ctx, offer["sku"])
        if revision is not None:
            return [revision]
    offer["status"] = "PUBLISHED"
    listing = offer.get("listing") or {"listingId": f"1105{ctx.next_id('listing'):08d}"}
    offer["listing"] = {**listing, "listingStatus": "ACTIVE"}
    store.save_offer(ctx, offer)
    return []


class OfferRoutes(InventoryRoutes):
    """Offers and their listings."""

    @route("POST", f"{INV}/bulk_create_offer", operation="bulkCreateOffer")
    def bulk_create(self, ctx: Exchange, request: Request) -> Response:
        require_language(request)
        entries = []
        for offer in bulk_requests(request):
            sku = offer.get("sku")
            entry = {"sku": sku, "marketplaceId": offer.get("marketplaceId"),
                     "format": offer.get("format")}
            problems = rules.offer_errors(offer)
            if not offer.get("marketplaceId") or not offer.get("format"):
                problems.append(error_entry(25709, "marketplaceId and format are required.",
                                            fieldName="marketplaceId"))
            existing = ctx.db.execute(
                "SELECT offer_id FROM ebay_offers WHERE sku = ? AND marketplace_id = ? AND "
                "format = ?", (sku, offer.get("marketplaceId"), offer.get("format"))).fetchone()
            if existing is not None:
                problems = [error_entry(25002, "A user error has occurred. Offer entity "
                                        "already exists.", offerId=existing["offer_id"])]
            elif not problems and store.get_item(ctx, str(sku)) is None:
                problems = [error_entry(25702, f"SKU {sku} is not available in the system.")]
            if problems:
                entries.append({**entry, "statusCode": 400, "errors": problems})
                continue
            offer_id = str(5_000_000_000 + ctx.next_id("offer"))
            stored = {**offer, "offerId": offer_id, "status": "UNPUBLISHED"}
            store.save_offer(ctx, stored)
            entries.append({**entry, "statusCode": 200, "offerId": offer_id})
        status, body = store.bulk_answer(entries)
        return Response.json(body, status=status)

    @route("PUT", f"{INV}/offer/{{offer_id}}", operation="updateOffer")
    def update(self, ctx: Exchange, request: Request) -> Response:
        require_language(request)
        offer = store.get_offer(ctx, request.params["offer_id"])
        if offer is None:
            raise ebay_error(404, 25713, "This Offer is not available.")
        body = request.json()
        if not isinstance(body, dict):
            raise ebay_error(400, 25709, "Invalid value for the offer.")
        if {"sku", "marketplaceId", "format"} & set(body):  # EbayOfferDetailsWithId has none
            raise ebay_error(400, 25709, "sku, marketplaceId and format cannot be changed.",
                             fieldName="sku")
        problems = rules.offer_errors(body)
        if problems:
            _raise(problems)
        replaced = {"sku": offer["sku"], "marketplaceId": offer["marketplaceId"],
                    "format": offer["format"], **body, "offerId": offer["offerId"],
                    "status": offer["status"]}
        if "listing" in offer:
            replaced["listing"] = offer["listing"]
        if offer["status"] == "PUBLISHED":
            revision = store.revise(ctx, offer["sku"])
            if revision is not None:
                _raise([revision])
        store.save_offer(ctx, replaced)
        return Response.json({"offerId": offer["offerId"]})

    @route("GET", f"{INV}/offer", operation="getOffers")
    def list_offers(self, ctx: Exchange, request: Request) -> Response:
        sku = request.arg("sku")
        if not sku:
            raise ebay_error(400, 25709, "Invalid value for sku.", fieldName="sku")
        offers = [o for o in store.offers_of(ctx, sku)
                  if request.arg("marketplace_id") in (None, o["marketplaceId"])]
        if not offers:
            raise ebay_error(404, 25713, "This Offer is not available.")
        return Response.json({"href": ctx.url(f"{INV}/offer?sku={sku}"), "limit": 100,
                              "size": len(offers), "total": len(offers), "offers": offers})

    @route("GET", f"{INV}/offer/{{offer_id}}", operation="getOffer")
    def get_offer(self, ctx: Exchange, request: Request) -> Response:
        offer = store.get_offer(ctx, request.params["offer_id"])
        if offer is None:
            raise ebay_error(404, 25713, "This Offer is not available.")
        return Response.json(offer)

    @route("POST", f"{INV}/bulk_publish_offer", operation="bulkPublishOffer")
    def bulk_publish(self, ctx: Exchange, request: Request) -> Response:
        entries = []
        for wanted in bulk_requests(request):
            offer_id = str(wanted.get("offerId") or "")
            offer = store.get_offer(ctx, offer_id)
            problems = [error_entry(25713, "This Offer is not available.")] if offer is None \
                else publish(ctx, offer)
            if problems:
                entries.append({"offerId": offer_id, "statusCode": 400, "errors": problems})
            else:
                assert offer is not None
                entries.append({"offerId": offer_id, "statusCode": 200,
                                "listingId": offer["listing"]["listingId"]})
        status, body = store.bulk_answer(entries)
        return Response.json(body, status=status)

    @route("POST", f"{INV}/offer/publish_by_inventory_item_group",
           operation="publishOfferByInventoryItemGroup")
    def publish_group(self, ctx: Exchange, request: Request) -> Response:
        body = request.json() or {}
        key = body.get("inventoryItemGroupKey")
        row = ctx.db.execute("SELECT body FROM ebay_groups WHERE group_key = ?",
                             (key,)).fetchone()
        if row is None:
            raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory Item "
                             "Group: no such group.", fieldName="inventoryItemGroupKey")
        group = json.loads(row["body"])
        specs = {s["name"]: set(s.get("values") or []) for s in
                 (group.get("variesBy") or {}).get("specifications") or []}
        if not group.get("title") or not specs:
            raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory Item "
                             "Group: title and variesBy are required to publish.")
        offers = []
        for sku in group["variantSKUs"]:
            item = store.get_item(ctx, sku)
            offer = next((o for o in store.offers_of(ctx, sku)
                          if o["marketplaceId"] == body.get("marketplaceId")), None)
            if item is None or offer is None:
                raise ebay_error(400, rules.INVALID_GROUP, f"Invalid data in the Inventory "
                                 f"Item Group: {sku} has no inventory item or offer.")
            aspects = (item.get("product") or {}).get("aspects") or {}
            for name, values in specs.items():
                if not set(aspects.get(name) or []) & values:
                    raise ebay_error(400, rules.INVALID_GROUP, f"Invalid data in the Inventory "
                                     f"Item Group: {sku} has no {name} value of variesBy.")
            offers.append(offer)
        listing = next((o["listing"]["listingId"] for o in offers if o.get("listing")),
                       f"1109{ctx.next_id('listing'):08d}")
        for offer in offers:
            problems = rules.publish_errors(offer, store.get_item(ctx, offer["sku"]),
                                            location_keys=LOCATIONS, policies=POLICIES)
            if problems:
                _raise(problems)
            offer.update(status="PUBLISHED", listing={**(offer.get("listing") or {}),
                                                      "listingId": listing,
                                                      "listingStatus": "ACTIVE"})
            store.save_offer(ctx, offer)
        return Response.json({"listingId": listing})

    @route("POST", f"{INV}/offer/{{offer_id}}/withdraw", operation="withdrawOffer")
    def withdraw(self, ctx: Exchange, request: Request) -> Response:
        offer = store.get_offer(ctx, request.params["offer_id"])
        if offer is None:
            raise ebay_error(404, 25713, "This Offer is not available.")
        listing = offer.get("listing") or {}
        offer["status"] = "UNPUBLISHED"
        if listing:
            offer["listing"] = {**listing, "listingStatus": "ENDED"}
        store.save_offer(ctx, offer)
        return Response.json({"listingId": listing.get("listingId")} if listing else {})

    @route("POST", f"{INV}/offer/withdraw_by_inventory_item_group",
           operation="withdrawOfferByInventoryItemGroup")
    def withdraw_group(self, ctx: Exchange, request: Request) -> Response:
        """End a multi-variation listing: its offers go unpublished, group and offers stay
        (https://developer.ebay.com/api-docs/sell/inventory/resources/offer/methods/withdrawOfferByInventoryItemGroup)."""
        body = request.json() or {}
        row = ctx.db.execute("SELECT body FROM ebay_groups WHERE group_key = ?",
                             (body.get("inventoryItemGroupKey"),)).fetchone()
        if row is None:
            raise ebay_error(400, rules.INVALID_GROUP, "Invalid data in the Inventory Item "
                             "Group: no such group.", fieldName="inventoryItemGroupKey")
        for sku in json.loads(row["body"]).get("variantSKUs", []):
            for offer in store.offers_of(ctx, sku):
                if offer["marketplaceId"] == body.get("marketplaceId") and \
                        offer["status"] == "PUBLISHED":
                    offer["status"] = "UNPUBLISHED"
                    offer["listing"] = {**offer["listing"], "listingStatus": "ENDED"}
                    store.save_offer(ctx, offer)
        return Response.empty(204)

    @route("POST", f"{INV}/bulk_update_price_quantity", operation="bulkUpdatePriceQuantity")
    def bulk_price_quantity(self, ctx: Exchange, request: Request) -> Response:
        entries = []
        for wanted in bulk_requests(request):
            sku = str(wanted.get("sku") or "")
            entries.extend(self._price_quantity(ctx, sku, wanted))
        status, body = store.bulk_answer(entries)
        return Response.json(body, status=status)

    def _price_quantity(self, ctx: Exchange, sku: str, wanted: dict[str, Any]
                        ) -> list[dict[str, Any]]:
        if store.get_item(ctx, sku) is None:
            return [{"sku": sku, "statusCode": 404, "errors": [error_entry(
                25710, "We didn't find the resource/entity you are requesting.")]}]
        changes = wanted.get("offers") or []
        problems: list[dict[str, Any]] = []
        for change in changes:
            offer = store.get_offer(ctx, str(change.get("offerId")))
            if offer is None or offer["sku"] != sku:
                problems.append(error_entry(25713, "This Offer is not available."))
            elif "price" in change:
                problems += rules.price_errors(change["price"], "price")
        ship = wanted.get("shipToLocationAvailability")
        quantity = ship.get("quantity") if isinstance(ship, dict) else None
        if ship is not None and (not isinstance(quantity, int) or quantity < 0):
            problems.append(error_entry(rules.INVALID_QUANTITY, "Invalid quantity."))
        revision = None if problems else store.revise(ctx, sku)
        if revision is not None:
            problems = [revision]
        if problems:
            return [{"sku": sku, "statusCode": 400, "errors": problems}]
        if isinstance(quantity, int):
            store.set_quantity(ctx, sku, quantity)
        results = []
        for change in changes:
            offer = store.get_offer(ctx, str(change["offerId"]))
            assert offer is not None
            if "price" in change:
                offer["pricingSummary"] = {**(offer.get("pricingSummary") or {}),
                                           "price": change["price"]}
            if isinstance(change.get("availableQuantity"), int):
                offer["availableQuantity"] = change["availableQuantity"]
            store.save_offer(ctx, offer)
            results.append({"sku": sku, "offerId": offer["offerId"], "statusCode": 200})
        return results or [{"sku": sku, "statusCode": 200}]
