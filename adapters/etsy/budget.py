"""Spending a low daily budget by priority: quantities, then prices, then content.

Etsy counts every call against the app's daily budget (``adapters.etsy.limits``). When the
calls left today fall under ``content_reserve`` (default 1,000), listings are no longer created
or edited: what is left is kept for price and quantity changes; under ``price_reserve``
(default 200) only quantity changes (and withdrawals, which also stop sales) go out. A change
that does not fit is deferred with a note and planned again by the next run; it is never
dropped. A change of an existing listing that carries content and a quantity (or price) is
split: the part the budget allows goes now through the inventory, the rest is deferred. A
batch whose estimated calls exceed what is left is deferred whole rather than started and left
half-done.
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


def sendable_now(parts: Collection[str], open_classes: Collection[str]) -> frozenset[str]:
    """The price and quantity parts of a change its budget class keeps back but the budget
    still allows: they go alone through the inventory (a quantity that travels with a content
    edit must not wait for it — issue #13: quantities first, then prices, then content)."""
    return frozenset(parts) & frozenset(open_classes) & {PRICE, QUANTITY}


def split_note(sku: str, sent: Collection[str], kind: str, remaining: int | None) -> Issue:
    """The note of a change whose price/quantity part was sent while the rest waits."""
    note = deferral_note(sku, kind, remaining)
    done = " and ".join(p for p in (QUANTITY, PRICE) if p in sent)
    return Issue(sku=sku, severity=note.severity, code=note.code, source=note.source,
                 message=f"{done} sent now; the {note.message}")


def deferral_note(sku: str, kind: str, remaining: int | None, why: str = "") -> Issue:
    """The note a deferred SKU carries (shown by push and status)."""
    left = "no" if not remaining else f"only {remaining:,}"
    reason = why or (f"Etsy's daily request budget is low ({left} calls left today): "
                     "quantities go first, then prices, then content")
    return Issue(sku=sku, severity=Severity.WARNING, code="budget_deferred",
                 message=f"{kind} change deferred to the next run: {reason}", source=CHANNEL)
