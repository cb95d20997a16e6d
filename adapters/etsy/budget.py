"""Spending a low daily budget by priority: quantities, then prices, then content.

Etsy counts every call against the app's daily budget (``adapters.etsy.limits``). When the
calls left today fall under ``content_reserve`` (default 1,000), listings are no longer created
or edited: what is left is kept for price and quantity changes; under ``price_reserve``
(default 200) only quantity changes (and withdrawals, which also stop sales) go out. A change
that does not fit is deferred with a note and planned again by the next run; it is never
dropped. A batch whose estimated calls exceed what is left is deferred whole rather than
started and left half-done.
"""

from __future__ import annotations

from collections.abc import Collection

from feedsync.models import Issue, Severity

CHANNEL = "etsy"
CONTENT, PRICE, QUANTITY = "content", "price", "quantity"


def priority(parts: Collection[str], *, deletes: bool = False) -> str:
    """The budget class of a change: the most expensive part it carries."""
    if CONTENT in parts and not deletes:
        return CONTENT
    if PRICE in parts:
        return PRICE
    return QUANTITY


def allowed(remaining: int | None, *, content_reserve: int, price_reserve: int) -> set[str]:
    """Which classes may spend calls with ``remaining`` calls left (None: unknown, all)."""
    if remaining is None or remaining > content_reserve:
        return {CONTENT, PRICE, QUANTITY}
    if remaining > price_reserve:
        return {PRICE, QUANTITY}
    if remaining > 0:
        return {QUANTITY}
    return set()


def deferral_note(sku: str, kind: str, remaining: int | None, why: str = "") -> Issue:
    """The note a deferred SKU carries (shown by push and status)."""
    left = "no" if not remaining else f"only {remaining:,}"
    reason = why or (f"Etsy's daily request budget is low ({left} calls left today): "
                     "quantities go first, then prices, then content")
    return Issue(sku=sku, severity=Severity.WARNING, code="budget_deferred",
                 message=f"{kind} change deferred to the next run: {reason}", source=CHANNEL)
