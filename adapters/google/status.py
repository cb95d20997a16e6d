"""Pure mapping of Merchant API answers to per-SKU outcomes and issues.

A processed ``Product`` carries ``productStatus`` (discovery schema ``ProductStatus``):
``destinationStatuses`` say where it is approved, pending or disapproved, and
``itemLevelIssues`` list Google's findings (code, attribute, severity DISAPPROVED / DEMOTED /
NOT_IMPACTED, reporting context, countries, documentation link). An error answer to an insert
(400 INVALID_ARGUMENT) carries a message naming the offending field.
"""

from __future__ import annotations

import re
from typing import Any

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.models import Issue, Severity

CHANNEL = "google"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _feed_name(attribute: str) -> str:
    """Google reports attributes as ``image link``, ``imageLink`` or ``image_link``."""
    return _CAMEL.sub("_", attribute.strip()).replace(" ", "_").lower()


def issues_from_product(sku: str, product: dict[str, Any]) -> list[Issue]:
    """``productStatus.itemLevelIssues`` → feedsync issues (DISAPPROVED is an error)."""
    status = product.get("productStatus") or {}
    found: list[Issue] = []
    for raw in status.get("itemLevelIssues") or ():
        if not isinstance(raw, dict):
            continue
        severity = Severity.ERROR if raw.get("severity") == "DISAPPROVED" else Severity.WARNING
        parts = [str(raw.get("description") or raw.get("code") or "issue")]
        if raw.get("detail"):
            parts.append(str(raw["detail"]))
        where = [str(raw["reportingContext"])] if raw.get("reportingContext") else []
        if raw.get("applicableCountries"):
            where.append(",".join(str(c) for c in raw["applicableCountries"]))
        if where:
            parts.append(f"[{' '.join(where)}]")
        if raw.get("documentation"):
            parts.append(str(raw["documentation"]))
        attribute = raw.get("attribute")
        found.append(Issue(sku=sku, severity=severity, code=str(raw.get("code") or "issue"),
                           message=" ".join(parts),
                           field=_feed_name(str(attribute)) if attribute else None,
                           source=CHANNEL))
    return found


def status_from_product(product: dict[str, Any], issues: list[Issue]) -> ItemStatus:
    """Live somewhere → accepted; only pending → pending; disapproved everywhere → rejected."""
    destinations = (product.get("productStatus") or {}).get("destinationStatuses") or []
    approved = any(d.get("approvedCountries") for d in destinations if isinstance(d, dict))
    pending = any(d.get("pendingCountries") for d in destinations if isinstance(d, dict))
    disapproved = any(d.get("disapprovedCountries") for d in destinations
                      if isinstance(d, dict))
    if approved:
        return ItemStatus.ACCEPTED
    if pending:
        return ItemStatus.PENDING
    if disapproved or any(i.severity is Severity.ERROR for i in issues):
        return ItemStatus.REJECTED
    return ItemStatus.ACCEPTED


def outcome_from_product(sku: str, product: dict[str, Any]) -> ItemOutcome:
    """One processed product → the SKU's outcome with Google's issues attached."""
    issues = issues_from_product(sku, product)
    key = str(product.get("name", "")).rsplit("/", 1)[-1] or None
    return ItemOutcome(sku=sku, status=status_from_product(product, issues), issues=issues,
                       remote_id=key)




def issues_from_rejection(sku: str, message: str, fields: list[tuple[str, str]]
                          ) -> list[Issue]:
    """A refused insert (400 INVALID_ARGUMENT) → error issues with Google's words.

    Each ``fieldViolations`` entry becomes one issue naming the feed attribute; without them,
    Google's message is one issue, its field taken from a leading ``[productAttributes.x]``.
    """
    if fields:
        return [Issue(sku=sku, severity=Severity.ERROR, code="invalid_argument",
                      message=description or message, field=feed_field(path), source=CHANNEL)
                for path, description in fields]
    match = re.match(r"\s*\[([A-Za-z_.]+)\]", message)
    field = feed_field(match.group(1)) if match else None
    return [Issue(sku=sku, severity=Severity.ERROR, code="invalid_argument", message=message,
                  field=field, source=CHANNEL)]


def feed_field(path: str) -> str:
    """An API field path (``product_attributes.gtins``, ``productAttributes.imageLink``) → the
    feed attribute the merchant maps (``gtin``, ``image_link``)."""
    from .render import ATTRIBUTES

    parts = path.split(".")
    if len(parts) > 1 and parts[0] in ("product_attributes", "productAttributes"):
        parts = parts[1:]  # "price.amount_micros" is about the price attribute
    last = parts[0]
    camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), last)
    for name, attr in ATTRIBUTES.items():
        if attr.api == camel:
            return name
    return _feed_name(last)


def outcome_to_json(outcome: ItemOutcome) -> dict[str, Any]:
    """An outcome as JSON-ready data (kept in a pending submission's detail)."""
    return {"status": outcome.status.value, "remote_id": outcome.remote_id,
            "issues": [{"severity": i.severity.value, "code": i.code, "message": i.message,
                        "field": i.field, "source": i.source} for i in outcome.issues]}


def outcome_from_json(sku: str, data: dict[str, Any]) -> ItemOutcome:
    """Inverse of :func:`outcome_to_json`."""
    return ItemOutcome(sku, ItemStatus(data["status"]), [
        Issue(sku=sku, severity=Severity(i["severity"]), code=i["code"], message=i["message"],
              field=i.get("field"), source=i.get("source") or CHANNEL)
        for i in data.get("issues") or ()], remote_id=data.get("remote_id"))
