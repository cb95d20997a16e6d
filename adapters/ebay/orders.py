"""Fulfillment API orders: parse ``getOrders`` payloads (pure) and pull them page by page.

https://developer.ebay.com/api-docs/sell/fulfillment/resources/order/methods/getOrders:
``filter=lastmodifieddate:[from..to]`` (ISO 8601 UTC with milliseconds), ``limit`` up to 200 and
``offset`` paging. The window's upper bound is fixed when the pull starts, so the last page's
cursor is that bound: every update before it has been read. eBay does not document the order
of results, so earlier pages carry the window's start as their cursor (re-reading an order is
harmless: the core upserts idempotently on channel, account and order id).

Status: a cancelled order (``cancelStatus.cancelState`` CANCELED) is cancelled whatever its
fulfilment says, so its reservation is released; a fully refunded one is refunded; otherwise
``orderFulfillmentStatus`` NOT_STARTED / IN_PROGRESS / FULFILLED → unshipped / partially shipped
/ shipped, and a payment still PENDING keeps the order pending
(https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:OrderFulfillmentStatus,
types/sel:CancelStateEnum, types/sel:OrderPaymentStatusEnum).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from feedsync.adapters.ebay.limits import ORDERS_PAGE_LIMIT

from feedsync.adapter import OrderPage
from feedsync.errors import ChannelError
from feedsync.models import Order, OrderLine, OrderStatus
from feedsync.orders.privacy import minimise

log = logging.getLogger(__name__)

CHANNEL = "ebay"
FULFILMENT = {"NOT_STARTED": OrderStatus.UNSHIPPED,
              "IN_PROGRESS": OrderStatus.PARTIALLY_SHIPPED,
              "FULFILLED": OrderStatus.SHIPPED}


def parse_time(value: Any, *, order_id: str, field: str) -> datetime:
    """An eBay timestamp (``2026-01-15T12:00:00.000Z``) as an aware UTC datetime."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ChannelError(f"eBay order {order_id}: {field} {value!r} is not ISO 8601",
                           channel=CHANNEL) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def format_time(value: datetime) -> str:
    """A datetime as eBay's filter format: UTC with milliseconds and ``Z``."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{value.astimezone(UTC).microsecond // 1000:03d}Z"


def _amount(money: Any, *, order_id: str, field: str) -> tuple[Decimal, str] | None:
    if not isinstance(money, Mapping) or money.get("value") in (None, ""):
        return None
    try:
        amount = Decimal(str(money["value"]))
    except InvalidOperation:
        raise ChannelError(f"eBay order {order_id}: {field}.value {money['value']!r} is not a "
                           "decimal", channel=CHANNEL) from None
    currency = str(money.get("currency") or "")
    if len(currency) != 3:
        raise ChannelError(f"eBay order {order_id}: {field} has no ISO 4217 currency",
                           channel=CHANNEL)
    return amount, currency


def status_of(payload: Mapping[str, Any]) -> OrderStatus:
    """feedsync's status for one eBay order (see the module docstring)."""
    order_id = str(payload.get("orderId"))
    if (payload.get("cancelStatus") or {}).get("cancelState") == "CANCELED":
        return OrderStatus.CANCELLED
    if payload.get("orderPaymentStatus") == "FULLY_REFUNDED":
        return OrderStatus.REFUNDED
    raw = payload.get("orderFulfillmentStatus")
    status = FULFILMENT.get(str(raw))
    if status is None:
        raise ChannelError(f"eBay order {order_id}: unknown orderFulfillmentStatus {raw!r}",
                           channel=CHANNEL)
    if status is OrderStatus.UNSHIPPED and payload.get("orderPaymentStatus") == "PENDING":
        return OrderStatus.PENDING
    return status


def parse_line(item: Mapping[str, Any], order_id: str) -> OrderLine:
    """One ``LineItem``: SKU (None for a listing made without one), quantities, unit price."""
    line_id = str(item.get("lineItemId") or "")
    if not line_id or item.get("quantity") is None:
        raise ChannelError(f"eBay order {order_id}: a line item lacks lineItemId or quantity",
                           channel=CHANNEL)
    count = int(item["quantity"])
    cost = _amount(item.get("lineItemCost"), order_id=order_id,
                   field=f"lineItems[{line_id}].lineItemCost")
    unit = _unit_price(cost[0], count, order_id, line_id) if cost and count else None
    shipped = count if item.get("lineItemFulfillmentStatus") == "FULFILLED" else 0
    return OrderLine(line_id=line_id, sku=item.get("sku") or None, quantity=count,
                     quantity_shipped=shipped, unit_price=unit,
                     currency=cost[1] if cost else None, title=item.get("title"),
                     channel_item_id=item.get("legacyItemId"))


def _unit_price(cost: Decimal, count: int, order_id: str, line_id: str) -> Decimal:
    """``lineItemCost`` ÷ quantity, not rounded. eBay defines lineItemCost as the unit price ×
    quantity (https://developer.ebay.com/api-docs/sell/fulfillment/types/sel:LineItem), so the
    quotient is exact and unit_price × quantity gives the line cost back in any currency
    (rounding to 0.01 lost cents and gave yen decimals). A cost that does not divide
    contradicts that definition: the quotient is kept to 28 digits and the line is logged."""
    unit = cost / count
    if unit * count != cost:
        log.warning("eBay order %s line %s: lineItemCost %s does not divide by quantity %d; "
                    "unit price kept as %s", order_id, line_id, cost, count, unit)
    return unit


def parse_order(payload: Mapping[str, Any], *, account: str = "default",
                keep_personal_data: bool = False) -> Order:
    """One Fulfillment API ``Order`` as a feedsync order (personal data removed by default)."""
    order_id = str(payload.get("orderId") or "")
    if not order_id:
        raise ChannelError("eBay order without orderId in the response", channel=CHANNEL)
    created = parse_time(payload.get("creationDate"), order_id=order_id, field="creationDate")
    updated = parse_time(payload.get("lastModifiedDate") or payload.get("creationDate"),
                         order_id=order_id, field="lastModifiedDate")
    lines = [parse_line(item, order_id) for item in payload.get("lineItems") or []]
    total = _amount((payload.get("pricingSummary") or {}).get("total"), order_id=order_id,
                    field="pricingSummary.total")
    fee = _amount(payload.get("totalMarketplaceFee"), order_id=order_id,
                  field="totalMarketplaceFee")
    return Order(channel=CHANNEL, account=account, order_id=order_id,
                 status=status_of(payload), created_at=created, updated_at=updated,
                 lines=lines, total=total[0] if total else None,
                 currency=total[1] if total else next(
                     (ln.currency for ln in lines if ln.currency), None),
                 fulfillment_channel="merchant", fees=fee[0] if fee else None,
                 raw=minimise(dict(payload), keep_personal_data))


def parse_page(body: Any, *, account: str = "default", keep_personal_data: bool = False
               ) -> tuple[list[Order], int | None]:
    """An ``OrderSearchPagedCollection``: its orders and the next offset (None on the last)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("orders", []), list):
        raise ChannelError("eBay getOrders answer has no 'orders' list", channel=CHANNEL)
    orders = [parse_order(o, account=account, keep_personal_data=keep_personal_data)
              for o in body.get("orders") or []]
    offset, limit = int(body.get("offset") or 0), int(body.get("limit") or ORDERS_PAGE_LIMIT)
    total = body.get("total")
    more = bool(body.get("next")) or (isinstance(total, int) and offset + limit < total)
    return orders, (offset + limit if more and orders else None)


class OrdersApi(Protocol):
    """The one call the puller needs (``EbayClient`` implements it)."""

    def get_orders(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET /sell/fulfillment/v1/order with these query parameters."""
        ...


def order_params(since: datetime, until: datetime, offset: int) -> dict[str, Any]:
    """getOrders query parameters for orders modified in [since, until]."""
    return {"filter": f"lastmodifieddate:[{format_time(since)}..{format_time(until)}]",
            "limit": ORDERS_PAGE_LIMIT, "offset": offset}


def pull_orders(api: OrdersApi, since: datetime, *, now: Callable[[], datetime],
                account: str = "default", keep_personal_data: bool = False
                ) -> Iterator[OrderPage]:
    """Orders modified since ``since``, one page per getOrders call (see the module docstring)."""
    until = now()
    offset: int | None = 0
    while offset is not None:
        body = api.get_orders(order_params(since, until, offset))
        orders, offset = parse_page(body, account=account,
                                    keep_personal_data=keep_personal_data)
        yield OrderPage(orders=orders, cursor=until if offset is None else since)
