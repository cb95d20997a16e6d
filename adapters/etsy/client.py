"""The Etsy Open API v3 operations feedsync uses, over feedsync.http's :class:`HttpClient`.

Retries, throttling (the app-wide bucket and daily budget of ``limits``), token refresh, the
circuit breaker and redaction come from the HTTP layer; this module knows Etsy's paths and
quirks (reference: https://developers.etsy.com/documentation/reference):

- every request carries ``x-api-key`` and ``Authorization: Bearer`` (``auth``);
- listing bodies are form-encoded, the inventory is JSON, images are multipart;
- Etsy's error body is ``{"error": "…"}`` (ErrorSchema), read by the default error table;
- createDraftListing and createReceiptShipment are not idempotent and are never re-sent
  blindly (``adapters.etsy.listing`` and ``shipments`` read back instead); updateListing is a
  PATCH that sets fields, so repeating it leaves the same listing (sent ``idempotent=True``);
  uploadListingImage is sent with a fixed ``rank`` and ``overwrite=true``, so a repeat replaces
  the image at that rank instead of adding one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import requests
from feedsync.adapters.etsy import limits as ops

from feedsync.errors import ChannelError
from feedsync.http import HttpClient, RetryPolicy, json_body

CHANNEL = "etsy"
V3 = "/v3/application"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
# Image downloads go to the merchant's host: a short retry budget of their own.
DOWNLOAD_RETRY = RetryPolicy(max_attempts=3, max_elapsed=60.0, base_delay=1.0, max_delay=10.0)


def _encode(form: Iterable[Sequence[str]]) -> str:
    """A form body from (name, value) pairs (lists from a JSON payload are pairs too)."""
    return urlencode([(str(k), str(v)) for k, v in form])


class ImageTooLarge(ChannelError):
    """An image URL answered with more bytes than the configured cap."""


class EtsyClient:
    """One shop's Etsy access for one run."""

    def __init__(self, http: HttpClient, *, shop_id: int,
                 downloads: HttpClient | None = None, known_remaining: int | None = None
                 ) -> None:
        self.http = http
        self.shop_id = shop_id
        # What Etsy said in an earlier run (adapters.etsy.steps), until it answers this one.
        self.known_remaining = known_remaining
        # Etsy's day budget as its answers report it: a hook of this client only.
        self.budget = ops.BudgetWatch()
        http.hint_hooks = (*http.hint_hooks, self.budget)
        # Image downloads go to the merchant's host: their own client, so they never count
        # against Etsy's buckets and daily budget, and carry no Etsy credentials.
        self.downloads = downloads or HttpClient(CHANNEL, base_url=http.base_url,
                                                 account=http.account, clock=http.clock,
                                                 retry=DOWNLOAD_RETRY)

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        body = json_body(response)
        if not isinstance(body, dict):
            raise ChannelError(f"etsy {what}: HTTP {response.status_code} without a JSON "
                               "object body", channel=CHANNEL, status=response.status_code)
        return body

    def remaining_today(self) -> int | None:
        """Calls left today: the lower of Etsy's last ``x-remaining-today`` and feedsync's
        own count of the declared daily budget (None when neither is known)."""
        etsy = self.budget.remaining_today
        if etsy is None:
            etsy = self.known_remaining
        known = [v for v in (etsy, self.http.budget_remaining(ops.CREATE_DRAFT_LISTING))
                 if v is not None]
        return min(known) if known else None

    def _shop(self, tail: str = "") -> str:
        return f"{V3}/shops/{self.shop_id}{tail}"

    # --- listings -----------------------------------------------------------------------------

    def create_draft_listing(self, form: Iterable[Sequence[str]], *, item: str) -> dict[str, Any]:
        """createDraftListing → the ShopListing (201). Never retried after a possible send."""
        response = self.http.post(self._shop("/listings"), operation=ops.CREATE_DRAFT_LISTING,
                                  data=_encode(form), headers=FORM, item=item)
        return self._json(response, ops.CREATE_DRAFT_LISTING)

    def update_listing(self, listing_id: int, form: Iterable[Sequence[str]], *,
                       item: str | None = None) -> dict[str, Any]:
        """updateListing (PATCH): sets the given fields, ``state`` included."""
        response = self.http.request("PATCH", self._shop(f"/listings/{listing_id}"),
                                     operation=ops.UPDATE_LISTING, idempotent=True,
                                     data=_encode(form), headers=FORM, item=item)
        return self._json(response, ops.UPDATE_LISTING)

    def delete_listing(self, listing_id: int) -> None:
        """deleteListing (a listing already gone counts as deleted)."""
        self.http.request("DELETE", f"{V3}/listings/{listing_id}",
                          operation=ops.DELETE_LISTING, ok_statuses=(404,))

    def get_listing(self, listing_id: int) -> dict[str, Any] | None:
        """getListing, or None when Etsy has no such listing."""
        response = self.http.get(f"{V3}/listings/{listing_id}", operation=ops.GET_LISTING,
                                 ok_statuses=(404,))
        return None if response.status_code == 404 else self._json(response, ops.GET_LISTING)

    def get_listings_by_shop(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """getListingsByShop with these query parameters (state, limit, offset, includes)."""
        response = self.http.get(self._shop("/listings"), operation=ops.GET_LISTINGS_BY_SHOP,
                                 params=dict(params))
        return self._json(response, ops.GET_LISTINGS_BY_SHOP)

    # --- inventory ----------------------------------------------------------------------------

    def get_listing_inventory(self, listing_id: int) -> dict[str, Any]:
        """getListingInventory."""
        response = self.http.get(f"{V3}/listings/{listing_id}/inventory",
                                 operation=ops.GET_LISTING_INVENTORY)
        return self._json(response, ops.GET_LISTING_INVENTORY)

    def update_listing_inventory(self, listing_id: int, body: bytes, *,
                                 item: str | None = None) -> dict[str, Any]:
        """updateListingInventory (PUT: replaces the whole inventory; safe to repeat)."""
        response = self.http.request("PUT", f"{V3}/listings/{listing_id}/inventory",
                                     operation=ops.UPDATE_LISTING_INVENTORY, data=body,
                                     headers=JSON, item=item)
        return self._json(response, ops.UPDATE_LISTING_INVENTORY)

    # --- images -------------------------------------------------------------------------------

    def upload_listing_image(self, listing_id: int, image: bytes, *, filename: str,
                             rank: int, item: str | None = None) -> dict[str, Any]:
        """uploadListingImage (multipart) at ``rank`` with ``overwrite=true``: repeatable."""
        files = {"image": (filename, image, "application/octet-stream")}
        data = {"rank": str(rank), "overwrite": "true"}
        response = self.http.post(self._shop(f"/listings/{listing_id}/images"),
                                  operation=ops.UPLOAD_LISTING_IMAGE, files=files, data=data,
                                  idempotent=True, item=item)
        return self._json(response, ops.UPLOAD_LISTING_IMAGE)

    def delete_listing_image(self, listing_id: int, image_id: int) -> None:
        """deleteListingImage (an image already gone counts as deleted)."""
        self.http.request("DELETE", self._shop(f"/listings/{listing_id}/images/{image_id}"),
                          operation=ops.DELETE_LISTING_IMAGE, ok_statuses=(404,))

    def get_listing_images(self, listing_id: int) -> dict[str, Any]:
        """getListingImages."""
        response = self.http.get(f"{V3}/listings/{listing_id}/images",
                                 operation=ops.GET_LISTING_IMAGES)
        return self._json(response, ops.GET_LISTING_IMAGES)

    def download(self, url: str, max_bytes: int) -> bytes:
        """An image from the merchant's host (no Etsy credentials go there), at most
        ``max_bytes``: a larger Content-Length is refused before reading, a body that grows
        past the cap is cut off. 4xx answers are ChannelError (a 404 image is the SKU's
        problem, not Etsy's)."""
        response = self.downloads.get(url, operation=ops.DOWNLOAD_IMAGE, retry=DOWNLOAD_RETRY,
                                      stream=True)
        try:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ImageTooLarge(f"image {url} is {int(declared):,} bytes, more than the "
                                    f"{max_bytes:,}-byte cap (channels.etsy.image_max_bytes)",
                                    channel=CHANNEL)
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise ImageTooLarge(f"image {url} is larger than the {max_bytes:,}-byte "
                                        "cap (channels.etsy.image_max_bytes)", channel=CHANNEL)
            return bytes(data)
        finally:
            response.close()

    # --- receipts -----------------------------------------------------------------------------

    def get_shop_receipts(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """getShopReceipts with these query parameters."""
        response = self.http.get(self._shop("/receipts"), operation=ops.GET_SHOP_RECEIPTS,
                                 params=dict(params))
        return self._json(response, ops.GET_SHOP_RECEIPTS)

    def get_shop_receipt(self, receipt_id: str) -> dict[str, Any]:
        """getShopReceipt."""
        response = self.http.get(self._shop(f"/receipts/{receipt_id}"),
                                 operation=ops.GET_SHOP_RECEIPT)
        return self._json(response, ops.GET_SHOP_RECEIPT)

    def create_receipt_shipment(self, receipt_id: str, form: list[tuple[str, str]]
                                ) -> dict[str, Any]:
        """createReceiptShipment. Not retried after a possible send (it e-mails the buyer)."""
        response = self.http.post(self._shop(f"/receipts/{receipt_id}/tracking"),
                                  operation=ops.CREATE_RECEIPT_SHIPMENT, data=urlencode(form),
                                  headers=FORM, item=receipt_id)
        return self._json(response, ops.CREATE_RECEIPT_SHIPMENT)
