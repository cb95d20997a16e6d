"""Personal-data minimisation of the raw order payloads kept for audit.

feedsync keeps each order's raw payload so a merchant can see exactly what the channel sent, but
it has no use for who the buyer is: names, e-mail addresses, phone numbers and postal addresses
are removed before the payload is stored, unless ``[orders] keep_personal_data = true``.

Two rules, applied recursively and matched on key names case-insensitively with ``_`` and ``-``
ignored (so ``buyerEmail``, ``buyer_email`` and ``BuyerEmail`` are the same key):

- a *personal key* (``buyerEmail``, ``phone``, ``giftMessage`` …) is replaced by
  :data:`REMOVED` wherever it appears;
- a *personal container* (``buyer``, ``recipient``, ``shippingAddress``, ``shipTo`` …) keeps
  only its country, which tax and customs reports need, and every other value in it is replaced.

The key lists cover the order payloads of Amazon Orders API v2026-01-01 (``Buyer``,
``Recipient``, ``CustomerAddress``, ``GiftOption``, ``OrderTaxRegistration``), eBay Fulfillment
(``buyer``, ``shipTo``, ``contactAddress``), Etsy receipts (``name``, ``first_line``,
``buyer_email``, ``formatted_address``) and Walmart orders (``customerEmailId``,
``shippingInfo.postalAddress``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

REMOVED = "[personal data removed]"


@lru_cache(maxsize=4096)  # payloads repeat the same few keys in every order (issue #19)
def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


PERSONAL_KEYS: frozenset[str] = frozenset(_norm(k) for k in (
    "buyerName", "buyerEmail", "buyerCompanyName", "buyer_email", "buyer_user_id",
    "email", "emailAddress", "customerEmailId", "customerName",
    "phone", "phoneNumber", "primaryPhone", "secondaryPhone", "mobilePhone",
    "fullName", "firstName", "lastName", "recipientName", "username",
    "giftMessage", "gift_message", "message_from_buyer", "addressInstruction", "dropOffLocation",
    "legalName", "taxRegistrationNumber", "taxIdentifier",
    "addressLine1", "addressLine2", "addressLine3", "first_line", "second_line",
    "formatted_address", "street", "streetName", "streetNumber",
))

PERSONAL_CONTAINERS: frozenset[str] = frozenset(_norm(k) for k in (
    "buyer", "buyerInfo", "recipient", "deliveryAddress", "shippingAddress", "billingAddress",
    "address", "postalAddress", "shipTo", "contactAddress", "taxAddress",
    "buyerRegistrationAddress", "taxRegistrationAddress", "buyerTaxInfo", "customer",
    "defaultShippingAddress",
))

# Inside a personal container only these survive: the country, for tax and customs reports.
KEPT_IN_CONTAINERS: frozenset[str] = frozenset(_norm(k) for k in (
    "countryCode", "country", "country_iso", "country_id",
))


def minimise(payload: Any, keep_personal_data: bool = False) -> Any:
    """A copy of ``payload`` with personal data replaced by :data:`REMOVED` (see module doc)."""
    if keep_personal_data:
        return payload
    return _walk(payload, inside=False)


def _walk(value: Any, inside: bool) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            norm = _norm(str(key))
            if norm in PERSONAL_KEYS and item not in (None, "", [], {}):
                out[key] = REMOVED
            elif norm in PERSONAL_CONTAINERS:
                out[key] = _walk(item, inside=True)
            elif inside and norm in KEPT_IN_CONTAINERS:
                out[key] = item
            else:
                out[key] = _walk(item, inside)
        return out
    if isinstance(value, list):
        return [_walk(item, inside) for item in value]
    if inside and value not in (None, ""):
        return REMOVED
    return value

