"""Etsy receipts → :class:`feedsync.models.Order` (pure), and pulling them page by page.

getShopReceipts (https://developers.etsy.com/documentation/reference#operation/getShopReceipts)
filters by ``min_last_modified`` / ``max_last_modified`` (unix seconds) and pages with
``limit`` (at most 100) and ``offset``. A plain offset walk over a set that changes while it is
read can skip a receipt (one updated during the pull leaves the window and everything after
it shifts one place), so the walk is anchored: sorted by ``updated`` ascending, each query
starts at the last ``updated_timestamp`` read, and the offset only steps over the receipts of
that same second already seen. The walk ends when a page reaches the answer's ``count`` (the
receipts matching that query). Re-reading a receipt is harmless (the core upserts).

Money (https://developers.etsy.com/documentation/reference#tag/ShopReceipt, ``Money``):
``amount`` / ``divisor`` in ``currency_code``, turned into an exact Decimal. Transactions become
order lines by SKU (``sku``; the listing id is kept as the channel item id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from feedsync.adapter import OrderPage
from feedsync.errors import ChannelError
from feedsync.models import Order, OrderLine, OrderStatus

CHANNEL = "etsy"
PAGE_LIMIT = 100  # getShopReceipts: limit maximum 100
# Receipts modified in the last seconds may still be changing: the window ends a little back.
SETTLE = timedelta(seconds=30)
MIN_TIMESTAMP = 946684800  # the parameters' documented minimum (2000-01-01)

# ShopReceipt.status → feedsync's lifecycle. "canceled" and "fully refunded" release the
# reservation; a partly refunded receipt still sold its units.
_PAID = {"paid", "completed", "partially refunded"}


def money(value: Any, *, receipt_id: str, field: str) -> tuple[Decimal, str] | None:
    """An Etsy Money object as (exact Decimal, currency); None when absent."""
    if not isinstance(value, Mapping) or value.get("amount") is None:
        return None
    try:
        amount = Decimal(int(value["amount"]))
        divisor = int(value.get("divisor") or 1)
    except (TypeError, ValueError):
        raise ChannelError(f"Etsy receipt {receipt_id}: {field} {value!r} is not an Etsy Money "
                           "value", channel=CHANNEL) from None
    if divisor <= 0:
        raise ChannelError(f"Etsy receipt {receipt_id}: {field} divisor {divisor}",
                           channel=CHANNEL)
    currency = str(value.get("currency_code") or "")
    if len(currency) != 3:
        raise ChannelError(f"Etsy receipt {receipt_id}: {field} has no ISO 4217 currency",
                           channel=CHANNEL)
    return amount / Decimal(divisor), currency


def _time(receipt: Mapping[str, Any], names: tuple[str, ...], receipt_id: str) -> datetime:
    for name in names:
        value = receipt.get(name)
        if isinstance(value, int) and value > 0:
            return datetime.fromtimestamp(value, UTC)
    raise ChannelError(f"Etsy receipt {receipt_id}: no {names[0]}", channel=CHANNEL)


def status_of(receipt: Mapping[str, Any]) -> OrderStatus:
    """The normalised status of a receipt (its ``status`` and ``is_shipped``)."""
    raw = str(receipt.get("status") or "").lower()
    if raw == "canceled":
        return OrderStatus.CANCELLED
    if raw == "fully refunded":
        return OrderStatus.REFUNDED
    if raw in ("open", "payment processing") and not receipt.get("is_paid"):
        return OrderStatus.PENDING
    if receipt.get("is_shipped") or raw == "completed":
        return OrderStatus.SHIPPED
    lines = receipt.get("transactions") or []
    if any(t.get("shipped_timestamp") for t in lines):
        return OrderStatus.PARTIALLY_SHIPPED
    if raw in _PAID or receipt.get("is_paid"):
        return OrderStatus.UNSHIPPED
    raise ChannelError(f"Etsy receipt {receipt.get('receipt_id')}: unknown status {raw!r}",
                       channel=CHANNEL)


def parse_line(transaction: Mapping[str, Any], receipt_id: str, shipped: bool) -> OrderLine:
    """One transaction as an order line (by SKU)."""
    line_id = transaction.get("transaction_id")
    if line_id is None:
        raise ChannelError(f"Etsy receipt {receipt_id}: a transaction has no transaction_id",
                           channel=CHANNEL)
    quantity = int(transaction.get("quantity") or 0)
    price = money(transaction.get("price"), receipt_id=receipt_id,
                  field=f"transaction {line_id} price")
    listing = transaction.get("listing_id")
    return OrderLine(
        line_id=str(line_id),
        sku=(transaction.get("sku") or None),
        quantity=quantity,
        quantity_shipped=quantity if shipped or transaction.get("shipped_timestamp") else 0,
        unit_price=price[0] if price else None,
        currency=price[1] if price else None,
        title=transaction.get("title") or None,
        channel_item_id=str(listing) if listing is not None else None,
    )


def parse_receipt(receipt: Mapping[str, Any], *, account: str = "default") -> Order:
    """One ShopReceipt as an Order (pure)."""
    rid = receipt.get("receipt_id")
    if rid is None:
        raise ChannelError("Etsy receipt without receipt_id", channel=CHANNEL)
    receipt_id = str(rid)
    status = status_of(receipt)
    shipped = status is OrderStatus.SHIPPED
    lines = [parse_line(t, receipt_id, shipped) for t in receipt.get("transactions") or []]
    total = money(receipt.get("grandtotal"), receipt_id=receipt_id, field="grandtotal")
    return Order(
        channel=CHANNEL,
        account=account,
        order_id=receipt_id,
        status=status,
        created_at=_time(receipt, ("created_timestamp", "create_timestamp"), receipt_id),
        updated_at=_time(receipt, ("updated_timestamp", "update_timestamp", "created_timestamp"),
                         receipt_id),
        lines=lines,
        total=total[0] if total else None,
        currency=total[1] if total else next((ln.currency for ln in lines if ln.currency), None),
        fulfillment_channel="merchant",  # Etsy has no marketplace fulfilment
        raw=dict(receipt),
    )


class ReceiptsApi(Protocol):
    """The one call the puller needs (adapters.etsy.client.EtsyClient implements it)."""

    def get_shop_receipts(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET /v3/application/shops/{shop_id}/receipts with these query parameters."""
        ...


def receipts_params(since: int, before: int, offset: int) -> dict[str, Any]:
    """The getShopReceipts query of one page."""
    return {"min_last_modified": max(since, MIN_TIMESTAMP), "max_last_modified": before,
            "sort_on": "updated", "sort_order": "asc", "limit": PAGE_LIMIT, "offset": offset}


def _updated(receipt: Mapping[str, Any]) -> int:
    for name in ("updated_timestamp", "update_timestamp", "created_timestamp"):
        value = receipt.get(name)
        if isinstance(value, int):
            return value
    return 0


def pull_receipts(api: ReceiptsApi, since: datetime, *, now: Callable[[], datetime],
                  account: str = "default") -> Iterator[OrderPage]:
    """Receipts modified at or after ``since``, one OrderPage per getShopReceipts page."""
    before_dt = now() - SETTLE
    before = int(before_dt.timestamp())
    start = int(since.timestamp())
    if before <= start:
        return
    anchor, skip = start, 0
    while True:
        body = api.get_shop_receipts(receipts_params(anchor, before, skip))
        results = body.get("results")
        if not isinstance(results, list):
            raise ChannelError("Etsy getShopReceipts answered without 'results'",
                               channel=CHANNEL)
        orders = [parse_receipt(r, account=account) for r in results]
        count = body.get("count")
        last_page = not results or (skip + len(results) >= count if isinstance(count, int)
                                    else len(results) < PAGE_LIMIT)
        if last_page:
            yield OrderPage(orders=orders, cursor=before_dt)
            return
        last = _updated(results[-1])
        same = sum(1 for r in results if _updated(r) == last)
        # Next query: from the last second read, skipping the receipts of that second seen.
        skip = skip + same if last == anchor else same
        anchor = max(last, anchor)
        yield OrderPage(orders=orders, cursor=datetime.fromtimestamp(anchor, UTC))
