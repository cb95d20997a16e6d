"""eBay's answers → feedsync issues: bulk responses with per-SKU statuses, and error ids.

Bulk Inventory API calls answer 200 when every entry succeeded, 207 Multi-Status when some
did not, and 400 when none did — each entry with its own ``statusCode``, ``errors`` and
``warnings`` (``BulkInventoryItemResponse``, ``BulkOfferResponse``, ``BulkPublishResponse``,
``BulkPriceQuantityResponse`` in sell_inventory_v1_oas3.json;
https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item/methods/bulkCreateOrReplaceInventoryItem#h2-response-codes).
So a bulk answer is read entry by entry: one bad SKU never fails its batch-mates.

Error shape (``Error``): errorId, domain, category (REQUEST / APPLICATION / BUSINESS), message,
longMessage, parameters [{name, value}] (https://developer.ebay.com/api-docs/static/handling-error-messages.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedsync.models import Issue, Severity

SOURCE = "ebay"
# Error ids with a meaning feedsync acts on (Inventory API error tables in each method's
# reference page, e.g. https://developer.ebay.com/api-docs/sell/inventory/resources/offer/methods/bulkCreateOffer#h2-error-codes).
SYSTEM_ERROR = 25001  # "A system error has occurred": transient, retry the SKU later
OFFER_EXISTS = 25002  # a user error; with parameter offerId when the SKU's offer exists already
INVALID_ACCESS_TOKEN = 1001  # HTTP 401 (https://developer.ebay.com/api-docs/static/handling-error-messages.html)
TOO_MANY_REQUESTS = 2001  # HTTP 429: "The request limit has been reached for the resource"
OFFER_NOT_FOUND = 25713  # "This Offer is not available"
ITEM_NOT_FOUND = 25710  # "We didn't find the resource/entity you are requesting"
TRANSIENT_IDS = frozenset({SYSTEM_ERROR})


@dataclass
class EntryResult:
    """One entry of a bulk answer: its key (SKU or offer id), success and issues."""

    key: str
    ok: bool
    status: int
    issues: list[Issue] = field(default_factory=list)
    offer_id: str | None = None
    listing_id: str | None = None
    transient: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)


def error_text(error: Mapping[str, Any]) -> str:
    """The most helpful message of one eBay error, with its parameters."""
    text = str(error.get("longMessage") or error.get("message") or "(no message)")
    params = [f"{p.get('name')}={p.get('value')}" for p in error.get("parameters") or []
              if isinstance(p, Mapping) and p.get("name")]
    return f"{text} ({', '.join(params)})" if params else text


def to_issue(error: Mapping[str, Any], sku: str, severity: Severity) -> Issue:
    """One eBay ``Error`` as a feedsync issue (code ``ebay.<errorId>``)."""
    field_name = next((str(p.get("value")) for p in error.get("parameters") or []
                       if isinstance(p, Mapping) and p.get("name") in ("fieldName", "field")),
                      None)
    return Issue(sku=sku, severity=severity, code=f"ebay.{error.get('errorId', 'unknown')}",
                 message=error_text(error), field=field_name, source=SOURCE)


def issues_of(entry: Mapping[str, Any], sku: str) -> list[Issue]:
    """Errors (as errors) and warnings (as warnings) of one entry."""
    issues = [to_issue(e, sku, Severity.ERROR) for e in entry.get("errors") or []
              if isinstance(e, Mapping)]
    issues.extend(to_issue(w, sku, Severity.WARNING) for w in entry.get("warnings") or []
                  if isinstance(w, Mapping))
    return issues


def error_parameter(entry: Mapping[str, Any], error_id: int, name: str) -> str | None:
    """The value of parameter ``name`` of error ``error_id`` in one entry, if present."""
    for error in entry.get("errors") or []:
        if isinstance(error, Mapping) and error.get("errorId") == error_id:
            for param in error.get("parameters") or []:
                if isinstance(param, Mapping) and param.get("name") == name:
                    return str(param.get("value"))
    return None


def _entry(entry: Mapping[str, Any], key: str) -> EntryResult:
    status = int(entry.get("statusCode") or 0)
    errors = [e for e in entry.get("errors") or [] if isinstance(e, Mapping)]
    ok = 200 <= status < 300 and not errors
    transient = not ok and bool(errors) and all(
        e.get("errorId") in TRANSIENT_IDS for e in errors)
    offer_id = entry.get("offerId")
    return EntryResult(key=key, ok=ok, status=status, issues=issues_of(entry, key),
                       offer_id=str(offer_id) if offer_id else None,
                       listing_id=str(entry["listingId"]) if entry.get("listingId") else None,
                       transient=transient, raw=entry)


def responses(body: Any, what: str) -> list[Mapping[str, Any]]:
    """The ``responses`` array of a bulk answer (ValueError when it has none)."""
    entries = body.get("responses") if isinstance(body, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError(f"eBay {what}: the answer has no 'responses' array")
    return [e for e in entries if isinstance(e, Mapping)]


def by_sku(body: Any, skus: Sequence[str], what: str) -> dict[str, EntryResult]:
    """Per-SKU results of a bulk answer keyed by ``sku`` (inventory items, offers, price/qty).

    A SKU eBay's answer does not mention is reported as an error of its own, never as a success.
    """
    found: dict[str, EntryResult] = {}
    for entry in responses(body, what):
        sku = str(entry.get("sku") or "")
        if sku:
            found[sku] = _entry(entry, sku)
    for sku in skus:
        if sku not in found:
            found[sku] = EntryResult(key=sku, ok=False, status=0, issues=[Issue(
                sku=sku, severity=Severity.ERROR, code="ebay.missing_entry",
                message=f"eBay's {what} answer does not mention this SKU", source=SOURCE)],
                transient=True)
    return found


def by_offer(body: Any, offers: Mapping[str, str], what: str) -> dict[str, EntryResult]:
    """Per-SKU results of bulkPublishOffer, whose entries name the offer id (offer → SKU)."""
    found: dict[str, EntryResult] = {}
    for entry in responses(body, what):
        offer_id = str(entry.get("offerId") or "")
        sku = offers.get(offer_id)
        if sku is not None:
            found[sku] = _entry(entry, sku)
    for offer_id, sku in offers.items():
        if sku not in found:
            found[sku] = EntryResult(key=sku, ok=False, status=0, offer_id=offer_id, issues=[
                Issue(sku=sku, severity=Severity.ERROR, code="ebay.missing_entry",
                      message=f"eBay's {what} answer does not mention offer {offer_id}",
                      source=SOURCE)], transient=True)
    return found


def body_errors(body: Any) -> list[Mapping[str, Any]]:
    """The top-level ``errors`` of a non-bulk error answer."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    return [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []


def body_issues(body: Any, sku: str) -> list[Issue]:
    """The errors of a single-item answer (updateOffer, withdrawOffer …) as issues."""
    return [to_issue(e, sku, Severity.ERROR) for e in body_errors(body)]


def warnings_of(body: Any, sku: str) -> list[Issue]:
    """The ``warnings`` of a single-item success answer as warning issues."""
    items: Iterable[Any] = body.get("warnings") or [] if isinstance(body, Mapping) else []
    return [to_issue(w, sku, Severity.WARNING) for w in items if isinstance(w, Mapping)]
