"""Merchant API v1 calls used by the Google adapter, over feedsync's HttpClient.

Each method is one documented endpoint (discovery document ``merchantapi.products_v1.json``):

- ``productInputs.insert``: ``POST products/v1/{parent}/productInputs:insert?dataSource=…``
- ``productInputs.delete``: ``DELETE products/v1/{name}?dataSource=…``
- ``products.get``: ``GET products/v1/{name}``
- ``products.list``: ``GET products/v1/{parent}/products?pageSize=&pageToken=``

Retries, throttling, the per-product budget, auth refresh and the error table all live in the
HttpClient; this module only knows paths and shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from feedsync.errors import ChannelError, ItemRejected
from feedsync.http import HttpClient, TokenPaginator, json_body

from .limits import BASE_URL, PAGE_SIZE, READ, WRITE
from .render import Target, encode, resource_segment

__all__ = ["BASE_URL", "GoogleRejection", "MerchantClient"]


class GoogleRejection(ItemRejected):
    """Google refused one product's data: its message and the fields it named."""

    def __init__(self, sku: str, message: str, fields: list[tuple[str, str]]) -> None:
        self.google_message = message
        self.fields = fields  # (API field path, description) from google.rpc.BadRequest
        super().__init__(f"{sku}: {message}", channel="google", sku=sku)

    @classmethod
    def from_response(cls, sku: str, response: requests.Response | None,
                      fallback: str) -> GoogleRejection:
        """Read ``error.message`` and ``error.details[].fieldViolations`` from the answer."""
        body = json_body(response) if response is not None else None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(sku, fallback, [])
        fields = []
        for detail in error.get("details") or ():
            for violation in (detail.get("fieldViolations") or ()
                              if isinstance(detail, dict) else ()):
                if isinstance(violation, dict) and violation.get("field"):
                    fields.append((str(violation["field"]),
                                   str(violation.get("description") or "")))
        return cls(sku, str(error.get("message") or fallback), fields)


class MerchantClient:
    """The four Merchant API methods feedsync needs, for one account and data source."""

    def __init__(self, http: HttpClient, target: Target) -> None:
        self.http = http
        self.target = target

    def insert(self, body: dict[str, Any], *, sku: str) -> dict[str, Any]:
        """Insert (or replace) one product input; returns the ProductInput Google stored.

        Marked idempotent: an insert with the same offerId, language and data source replaces
        the earlier one, so re-sending after a lost answer cannot duplicate a product.

        Raises :class:`GoogleRejection` (an ItemRejected) with Google's own message and field
        violations when the product data is refused.
        """
        seen: list[requests.Response] = []

        def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            seen.append(response)

        try:
            response = self.http.post(
                f"products/v1/{self.target.parent}/productInputs:insert",
                operation=WRITE, idempotent=True, item=sku,
                params={"dataSource": self.target.data_source},
                data=encode(body), headers={"Content-Type": "application/json"},
                hooks={"response": keep},
            )
        except ItemRejected as exc:
            raise GoogleRejection.from_response(sku, seen[-1] if seen else None,
                                                exc.message) from None
        stored = json_body(response)
        return stored if isinstance(stored, dict) else {}

    def delete(self, key: str, *, sku: str) -> bool:
        """Delete one product input; False if Google no longer had it (already deleted)."""
        response = self.http.request(
            "DELETE", f"products/v1/{self.target.parent}/productInputs/{resource_segment(key)}",
            operation=WRITE, item=sku, ok_statuses=(404,),
            params={"dataSource": self.target.data_source},
        )
        return response.status_code != 404

    def get_product(self, key: str) -> dict[str, Any] | None:
        """The processed product with its status, or None while Google has not processed it."""
        response = self.http.get(
            f"products/v1/{self.target.parent}/products/{resource_segment(key)}",
            operation=READ, ok_statuses=(404,),
        )
        if response.status_code == 404:
            return None
        product = json_body(response)
        if not isinstance(product, dict):
            raise ChannelError(f"google products.get {key}: the answer is not a JSON object",
                               channel="google", status=response.status_code)
        return product

    def list_products(self, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every processed product of the account, page by page (nothing accumulates)."""
        pages = self.http.paginate(
            "GET", f"products/v1/{self.target.parent}/products",
            TokenPaginator("nextPageToken", "pageToken"), operation=READ,
            params={"pageSize": page_size},
        )
        for response in pages:
            body = json_body(response)
            if not isinstance(body, dict):
                raise ChannelError("google products.list: the answer is not a JSON object",
                                   channel="google", status=response.status_code)
            for product in body.get("products") or ():
                if isinstance(product, dict):
                    yield product
