"""Reading the Meta catalog back for ``feedsync reconcile``: the catalog's products edge.

``GET /{version}/{catalog_id}/products`` (Graph API, ProductCatalog → ProductItem;
https://developers.facebook.com/docs/marketing-api/reference/product-catalog/products/) with a
``filter`` on ``retailer_id`` (the SKU: feedsync sends it as the item id) using the ``is_any``
operator of catalog filter rules
(https://developers.facebook.com/docs/marketing-api/catalog/guides/product-sets#filter-rules),
and only the ``fields`` reconcile compares. Pages are followed through ``paging.cursors.after``
while ``paging.next`` is present (https://developers.facebook.com/docs/graph-api/results).

The Graph API returns ``price`` as display text ("$1,299.00", "12,50 €"): the amount is taken
out of it (:func:`price_amount`). ``quantity_to_sell_on_facebook`` is the stock Meta sells from;
the older ``inventory`` field is read when it is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from feedsync.errors import ChannelError

OPERATION = "catalog_products"
FIELDS = ("retailer_id", "price", "currency", "availability", "quantity_to_sell_on_facebook",
          "inventory", "review_status", "visibility")
PAGE_SIZE = 100
_AMOUNT = re.compile(r"\d[\d.,\u00a0\u202f' ]*")
_OUT_OF_STOCK = frozenset({"out of stock", "discontinued", "mark_as_sold"})


def products_params(skus: Sequence[str], after: str | None = None) -> dict[str, str]:
    """The query of one products call for ``skus`` (the filter is a JSON object)."""
    params = {"fields": ",".join(FIELDS), "limit": str(PAGE_SIZE),
              "filter": json.dumps({"retailer_id": {"is_any": list(skus)}},
                                   separators=(",", ":"))}
    if after:
        params["after"] = after
    return params


def price_amount(text: Any) -> str | None:
    """The amount in Graph's display price (``"$1,299.00"`` → ``"1299.00"``), or None."""
    if text is None:
        return None
    if isinstance(text, int | float):
        return str(text)
    match = _AMOUNT.search(str(text))
    if match is None:
        return None
    digits = re.sub(r"[\u00a0\u202f' ]", "", match.group(0)).rstrip(".,")
    if "," in digits and "." in digits:  # "1,299.00" / "1.299,00": the later mark is decimal
        thousands = "," if digits.rfind(".") > digits.rfind(",") else "."
    elif "," in digits:  # "12,50" decimal; "1,299" thousands
        single = digits.count(",") == 1 and len(digits) - digits.rfind(",") - 1 in (1, 2)
        thousands = "" if single else ","
    else:  # "12.50" decimal; "1.299.000" thousands
        thousands = "." if digits.count(".") > 1 else ""
    if thousands:
        digits = digits.replace(thousands, "")
    return digits.replace(",", ".")


def live_view(product: Mapping[str, Any]) -> dict[str, Any]:
    """One ProductItem as reconcile's live dict. Pure."""
    quantity = product.get("quantity_to_sell_on_facebook", product.get("inventory"))
    availability = str(product.get("availability") or "")
    if not isinstance(quantity, int) and availability:
        quantity = 0 if availability in _OUT_OF_STOCK else None
    return {"sku": str(product.get("retailer_id", "")), "present": True,
            "price": price_amount(product.get("price")),
            "currency": product.get("currency"),
            "quantity": quantity if isinstance(quantity, int) else None,
            "status": availability or None,
            "remote_id": product.get("id"),
            "review_status": product.get("review_status")}


def fetch_live(http: Any, path: str, skus: Sequence[str], *,
               chunk: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """What the catalog holds for ``skus`` (``path``: ``{version}/{catalog_id}/products``)."""
    for start in range(0, len(skus), chunk):
        wanted = list(skus[start:start + chunk])
        after: str | None = None
        seen: set[str] = set()  # a cursor seen twice would loop forever
        while True:
            response = http.get(path, operation=OPERATION,
                                params=products_params(wanted, after))
            body = response.json() if response.content else {}
            if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
                raise ChannelError("facebook products: the answer is not a Graph list",
                                   channel="facebook", status=response.status_code)
            for product in body.get("data") or []:
                if isinstance(product, dict) and product.get("retailer_id") in wanted:
                    yield live_view(product)
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after or after in seen:
                break
            seen.add(after)
