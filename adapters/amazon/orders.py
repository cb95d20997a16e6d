"""Orders API v2026-01-01: parse ``searchOrders`` / ``getOrder`` payloads, and pull pages.

Parsing is pure (payload → :class:`feedsync.models.Order`). Pulling walks ``searchOrders``
(https://developer-docs.amazon.com/sp-api/reference/searchorders) with ``lastUpdatedAfter`` and
a fixed ``lastUpdatedBefore``, passing ``paginationToken`` with every other parameter unchanged
as the model requires. v0 (getOrders) is deprecated and not used.

Cursor safety: Amazon does not document the order of results within a search, so a page's
largest ``lastUpdatedTime`` is not a safe resume point (a later page may hold older updates).
Every page but the last therefore carries the search's ``since`` as its cursor; the last page
carries the search's upper bound (``lastUpdatedBefore``), before which every update has been
read. Re-reading an order is harmless: the core upserts idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from feedsync.adapter import OrderPage
from feedsync.clock import iso_z, parse_iso
from feedsync.errors import ChannelError
from feedsync.models import Order, OrderLine, OrderStatus

CHANNEL = "amazon"
MAX_RESULTS_PER_PAGE = 100
# lastUpdatedBefore must be at least two minutes before the request (searchOrders parameters).
SETTLE = timedelta(minutes=2, seconds=5)
TOKEN_TTL = timedelta(hours=24)  # SearchOrdersResponse.pagination: tokens expire after 24 h

# FulfillmentStatus → feedsync's lifecycle. UNFULFILLABLE (Amazon-fulfilled orders placed off
# Amazon that cannot be fulfilled) will never ship: treated as cancelled so no stock is held.
STATUS_MAP: dict[str, OrderStatus] = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.CANCELLED,
}
FULFILLED_BY = {"MERCHANT": "merchant", "AMAZON": "marketplace"}
# Personal data the Orders API returns with includedData BUYER / RECIPIENT.
PERSONAL_KEYS = ("buyer", "recipient")


def parse_time(value: str, *, order_id: str, field: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime."""
    try:
        return parse_iso(value)
    except (AttributeError, ValueError):
        raise ChannelError(f"Amazon order {order_id}: {field} {value!r} is not ISO 8601",
                           channel=CHANNEL) from None


def format_time(value: datetime) -> str:
    """A datetime as the ISO 8601 UTC text Amazon's query parameters take."""
    return iso_z(value)


def _money(money: Any, *, order_id: str, field: str) -> tuple[Decimal, str] | None:
    if not isinstance(money, Mapping) or "amount" not in money:
        return None
    try:
        amount = Decimal(str(money["amount"]))
    except InvalidOperation:
        raise ChannelError(f"Amazon order {order_id}: {field} amount {money['amount']!r} is "
                           "not a decimal", channel=CHANNEL) from None
    currency = str(money.get("currencyCode") or "")
    if len(currency) != 3:
        raise ChannelError(f"Amazon order {order_id}: {field} has no ISO 4217 currency",
                           channel=CHANNEL)
    return amount, currency


def _require(payload: Mapping[str, Any], key: str, order_id: str) -> Any:
    if key not in payload or payload[key] is None:
        raise ChannelError(f"Amazon order {order_id}: required field {key!r} is missing",
                           channel=CHANNEL)
    return payload[key]


def parse_line(item: Mapping[str, Any], order_id: str) -> OrderLine:
    """One ``OrderItem`` as an order line (seller SKU, quantities, unit price)."""
    line_id = str(_require(item, "orderItemId", order_id))
    quantity = _require(item, "quantityOrdered", order_id)
    product = item.get("product") or {}
    price = _money((product.get("price") or {}).get("unitPrice"), order_id=order_id,
                   field=f"orderItems[{line_id}].product.price.unitPrice")
    fulfillment = item.get("fulfillment") or {}
    return OrderLine(
        line_id=line_id,
        sku=product.get("sellerSku"),
        quantity=int(quantity),
        quantity_shipped=int(fulfillment.get("quantityFulfilled") or 0),
        unit_price=price[0] if price else None,
        currency=price[1] if price else None,
        title=product.get("title"),
        channel_item_id=product.get("asin"),
    )


def parse_order(payload: Mapping[str, Any], *, account: str = "default",
                keep_personal_data: bool = False) -> Order:
    """One ``Order`` of the 2026-01-01 model as a feedsync order.

    Without ``keep_personal_data`` the buyer and recipient blocks are dropped from ``raw``.
    """
    order_id = str(payload.get("orderId") or "")
    if not order_id:
        raise ChannelError("Amazon order without orderId in the response", channel=CHANNEL)
    created = parse_time(_require(payload, "createdTime", order_id), order_id=order_id,
                         field="createdTime")
    updated = parse_time(_require(payload, "lastUpdatedTime", order_id), order_id=order_id,
                         field="lastUpdatedTime")
    fulfillment = payload.get("fulfillment") or {}
    raw_status = fulfillment.get("fulfillmentStatus")
    if raw_status is None:
        raise ChannelError(f"Amazon order {order_id}: no fulfillment.fulfillmentStatus (request "
                           "includedData=FULFILLMENT)", channel=CHANNEL)
    status = STATUS_MAP.get(raw_status)
    if status is None:
        raise ChannelError(f"Amazon order {order_id}: unknown fulfillmentStatus {raw_status!r}",
                           channel=CHANNEL)
    lines = [parse_line(item, order_id) for item in _require(payload, "orderItems", order_id)]
    total = _money((payload.get("proceeds") or {}).get("grandTotal"), order_id=order_id,
                   field="proceeds.grandTotal")
    currency = total[1] if total else next((ln.currency for ln in lines if ln.currency), None)
    raw = dict(payload)
    if not keep_personal_data:
        for key in PERSONAL_KEYS:
            raw.pop(key, None)
    return Order(
        channel=CHANNEL,
        account=account,
        order_id=order_id,
        status=status,
        created_at=created,
        updated_at=updated,
        lines=lines,
        total=total[0] if total else None,
        currency=currency,
        fulfillment_channel=FULFILLED_BY.get(str(fulfillment.get("fulfilledBy") or "")),
        raw=raw,
    )


def parse_search_response(body: Mapping[str, Any], *, account: str = "default",
                          keep_personal_data: bool = False) -> tuple[list[Order], str | None]:
    """A ``SearchOrdersResponse``: its orders and the next page's token (None on the last)."""
    if "orders" not in body:
        raise ChannelError("Amazon searchOrders response has no 'orders'", channel=CHANNEL)
    orders = [parse_order(o, account=account, keep_personal_data=keep_personal_data)
              for o in body["orders"]]
    token = (body.get("pagination") or {}).get("nextToken") or None
    return orders, token


class OrdersApi(Protocol):
    """The one call the puller needs (adapters.amazon.client.AmazonClient implements it)."""

    def search_orders(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET /orders/2026-01-01/orders with these query parameters."""
        ...


def search_params(since: datetime, before: datetime, *, fulfilled_by: list[str],
                  included_data: list[str], marketplace_ids: list[str]) -> dict[str, Any]:
    """The searchOrders query for updates in [since, before]; arrays are comma-separated."""
    params: dict[str, Any] = {
        "lastUpdatedAfter": format_time(since),
        "lastUpdatedBefore": format_time(before),
        "maxResultsPerPage": MAX_RESULTS_PER_PAGE,
    }
    if marketplace_ids:
        params["marketplaceIds"] = ",".join(marketplace_ids)
    if fulfilled_by:
        params["fulfilledBy"] = ",".join(fulfilled_by)
    if included_data:
        params["includedData"] = ",".join(included_data)
    return params


def pull_orders(api: OrdersApi, since: datetime, *, now: Callable[[], datetime],
                account: str = "default", fulfilled_by: list[str] | None = None,
                included_data: list[str] | None = None, marketplace_ids: list[str] | None = None,
                keep_personal_data: bool = False) -> Iterator[OrderPage]:
    """Orders updated at or after ``since``, one :class:`OrderPage` per searchOrders page.

    A pagination token older than 24 hours (a long throttle wait, a slow consumer) is not
    used: the search restarts from ``since`` with a new upper bound.
    """
    included = list(included_data or ["FULFILLMENT", "PROCEEDS"])
    if "FULFILLMENT" not in included:
        included.append("FULFILLMENT")  # the order status lives there
    while True:
        before = now() - SETTLE
        if before <= since:
            return  # nothing can be asked yet: the window must end 2 minutes in the past
        params = search_params(since, before, fulfilled_by=list(fulfilled_by or []),
                               included_data=included, marketplace_ids=list(marketplace_ids or []))
        token: str | None = None
        token_at = now()
        restarted = False
        while True:
            query = dict(params)
            if token is not None:
                if now() - token_at >= TOKEN_TTL:
                    restarted = True
                    break
                query["paginationToken"] = token
            body = api.search_orders(query)
            orders, token = parse_search_response(body, account=account,
                                                  keep_personal_data=keep_personal_data)
            token_at = now()
            if token is None:
                upper = body.get("lastUpdatedBefore")
                cursor = (parse_time(upper, order_id="-", field="lastUpdatedBefore")
                          if isinstance(upper, str) else before)
                yield OrderPage(orders=orders, cursor=cursor)
                return
            yield OrderPage(orders=orders, cursor=since)
        if not restarted:
            return
