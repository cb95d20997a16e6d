"""What Etsy refuses, from its Open API v3 reference (each rule links its source).

Kept apart from the routes so the rules read like the reference:
https://developers.etsy.com/documentation/reference#operation/createDraftListing,
#operation/updateListing and #operation/updateListingInventory.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.sandbox.messages import SandboxError

WHO_MADE = {"i_did", "someone_else", "collective"}
WHEN_MADE = {"made_to_order", "2020_2025", "2010_2019", "2006_2009", "before_2006",
             "2000_2005", "1990s", "1980s", "1970s", "1960s", "1950s", "1940s", "1930s",
             "1920s", "1910s", "1900s", "1800s", "1700s", "before_1700"}
DRAFT_REQUIRED = ("quantity", "title", "description", "price", "who_made", "when_made",
                  "taxonomy_id")
# title: "/[^\p{L}\p{Nd}\p{P}\p{Sm}\p{Zs}™©®]/u … You can only use the %, :, & and +
# characters once each"; tags: "/[^\p{L}\p{Nd}\p{Zs}\-'™©®]/u"; materials "/[^\p{L}\p{Nd}\p{Zs}]/u".
ONCE = "%:&+"
MAX_TITLE = 140
MAX_TAGS, MAX_TAG = 13, 20


def bad(field: str, message: str, status: int = 400) -> SandboxError:
    """Etsy's 400 (ErrorSchema ``{"error": "…"}``) naming the field."""
    return SandboxError(status, "invalid", f"{field}: {message}")


def _title_char_ok(char: str) -> bool:
    import unicodedata

    category = unicodedata.category(char)
    return category[0] in "LP" or category in ("Nd", "Sm", "Zs") or char in "™©®"


def _plain_char_ok(char: str, extra: str = "") -> bool:
    import unicodedata

    category = unicodedata.category(char)
    return category[0] == "L" or category in ("Nd", "Zs") or char in extra


def check_title(title: str) -> None:
    """Etsy's title rule."""
    if not title.strip():
        raise bad("title", "is required")
    if len(title) > MAX_TITLE:
        raise bad("title", f"must be at most {MAX_TITLE} characters")
    for char in ONCE:
        if title.count(char) > 1:
            raise bad("title", f"You can only use the %, :, & and + characters once each "
                               f"({char!r} appears {title.count(char)} times)")
    wrong = sorted({c for c in title if not _title_char_ok(c)})
    if wrong:
        raise bad("title", f"contains characters that are not allowed: {''.join(wrong)}")


def check_list(field: str, values: list[str]) -> None:
    """tags, materials and styles."""
    if field == "tags":
        if len(values) > MAX_TAGS:
            raise bad("tags", f"at most {MAX_TAGS} tags")
        for tag in values:
            if len(tag) > MAX_TAG or not all(_plain_char_ok(c, "-'™©®") for c in tag):
                raise bad("tags", f"{tag!r} is not a valid tag")
    else:
        for value in values:
            if not all(_plain_char_ok(c) for c in value):
                raise bad(field, f"{value!r} may contain only letters, numbers and spaces")


def split_list(value: str | None) -> list[str]:
    """A comma-separated form array."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def positive_int(form: dict[str, str], field: str, *, zero: bool = False) -> int:
    """An integer form field (≥ 1, or ≥ 0 with ``zero``)."""
    try:
        value = int(form[field])
    except (KeyError, ValueError):
        raise bad(field, "must be an integer") from None
    if value < (0 if zero else 1):
        raise bad(field, "must be positive")
    return value


def price(value: Any, field: str = "price") -> Decimal:
    """A positive price."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise bad(field, "must be a number") from None
    if not amount.is_finite() or amount <= 0:
        raise bad(field, "must be a positive non-zero number")
    return amount.quantize(Decimal("0.01"))


def check_listing_form(form: dict[str, str], *, create: bool) -> None:
    """createDraftListing / updateListing fields."""
    if create:
        missing = [f for f in DRAFT_REQUIRED if not form.get(f)]
        if missing:
            raise bad(missing[0], "is required")
        positive_int(form, "quantity")
        price(form["price"])
        if not form.get("shipping_profile_id"):
            raise bad("shipping_profile_id", "is required when listing type is physical")
    if "title" in form:
        check_title(form["title"])
    if "who_made" in form and form["who_made"] not in WHO_MADE:
        raise bad("who_made", f"must be one of {sorted(WHO_MADE)}")
    if "when_made" in form and form["when_made"] not in WHEN_MADE:
        raise bad("when_made", "is not a valid era")
    if "taxonomy_id" in form:
        positive_int(form, "taxonomy_id")
    for field in ("tags", "materials", "styles"):
        if field in form:
            check_list(field, split_list(form[field]))
    state = form.get("state")
    if state is not None and state not in ("active", "inactive"):
        raise bad("state", "can be either active or inactive")


def check_inventory(body: Any) -> None:
    """updateListingInventory: products with SKUs, property values and one valid offering,
    compatible with the ``*_on_property`` arrays ("The update fails if the supplied values
    for product sku, offering quantity, and/or price are incompatible")."""
    if not isinstance(body, dict) or not isinstance(body.get("products"), list):
        raise bad("products", "is required")
    products = body["products"]
    if not products:
        raise bad("products", "must contain at least one product")
    seen: set[tuple[tuple[int, tuple[str, ...]], ...]] = set()
    for product in products:
        values = product.get("property_values") or []
        key = tuple(sorted((int(v["property_id"]), tuple(v.get("values") or []))
                           for v in values))
        if key in seen:
            raise bad("products", "two products have the same property values")
        seen.add(key)
        for v in values:
            if any(re.search(r"[()]", x) for x in v.get("values") or []):
                raise bad("property_values", "parenthesis characters are not allowed")
        offerings = product.get("offerings") or []
        if len(offerings) != 1:
            raise bad("offerings", "each product needs exactly one offering")
        offering = offerings[0]
        price(offering.get("price"), "offerings.price")
        quantity = offering.get("quantity")
        if not isinstance(quantity, int) or not 0 <= quantity <= 999:
            raise bad("offerings.quantity", "must be between 0 and 999")
    for field, value_of in (("price_on_property", lambda p: p["offerings"][0]["price"]),
                            ("quantity_on_property", lambda p: p["offerings"][0]["quantity"]),
                            ("sku_on_property", lambda p: p.get("sku") or "")):
        _compatible(products, body.get(field) or [], field, value_of)


def _compatible(products: list[dict[str, Any]], on: list[int], field: str, value_of: Any
                ) -> None:
    """Products that agree on the ``on`` properties must agree on the value."""
    groups: dict[tuple[Any, ...], Any] = {}
    for product in products:
        key = tuple(tuple(v.get("values") or []) for v in product.get("property_values") or []
                    if int(v["property_id"]) in on)
        value = value_of(product)
        if groups.setdefault(key, value) != value:
            raise bad(field, "the supplied values are incompatible with " + field)
