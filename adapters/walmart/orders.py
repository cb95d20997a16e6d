"""Walmart purchase orders: parsing (pure) and pulling with ``nextCursor`` paging.

GET /v3/orders (getAllOrders, ../shared/specs/walmart/us-mp-orders.json) with
``lastModifiedStartDate`` / ``lastModifiedEndDate`` and ``limit`` ≤ 200. The answer is
``{"list": {"meta": {"totalCount", "limit", "nextCursor"}, "elements": {"order": [...]}}}``;
``nextCursor`` is a whole query string (``?limit=…&hasMoreElements=true&soIndex=…&poIndex=…``)
that is appended to /v3/orders as it is for the next page.

Walmart orders have no status of their own: each line carries ``orderLineStatuses`` with a
quantity per status (Created, Acknowledged, Shipped, Delivered, Cancelled, Refund;
https://developer.walmart.com/us-marketplace/docs/order-management-api-overview). A line's
quantity for feedsync is what was ordered minus what was cancelled, so a cancelled line (or the
cancelled part of one) releases its reservation; shipped is Shipped + Delivered (+ Refund, which
only follows a shipment). Dates are epoch milliseconds.

Cursor safety: Walmart does not document the order of results, so every page but the last
carries the search's start as its cursor and the last page carries the search's end
(``lastModifiedEndDate``), before which every change has been read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from feedsync.adapter import OrderPage
from feedsync.errors import ChannelError
from feedsync.models import Order, OrderLine, OrderStatus

CHANNEL = "walmart"
# Walmart documents no indexing delay for lastModified searches, so the window ends now; a change
# Walmart indexes late is still read by the next pull, which re-reads the core's lookback
# (orders.lookback_minutes, 30 by default) before its cursor.
SETTLE = timedelta(0)
SHIPPED_STATES = ("Shipped", "Delivered", "Refund")
FULFILLED_BY = {"SellerFulfilled": "merchant", "3PLFulfilled": "merchant",
                "WFSFulfilled": "marketplace"}


def _fail(order_id: str, message: str) -> ChannelError:
    return ChannelError(f"Walmart order {order_id}: {message}", channel=CHANNEL)


def epoch_ms(value: Any, *, order_id: str, field: str) -> datetime:
    """An epoch-milliseconds timestamp (or an ISO 8601 text) as an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(order_id, f"{field} {value!r} is not a date") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    raise _fail(order_id, f"{field} is missing or not a date")


def format_time(value: datetime) -> str:
    """A datetime as the ISO 8601 UTC text Walmart's date parameters take."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(value: Any, *, order_id: str, field: str) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(order_id, f"{field} {value!r} is not a number") from None
    if number != number.to_integral_value() or number < 0:
        raise _fail(order_id, f"{field} {value!r} is not a whole quantity")
    return int(number)


def _money(charge: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    money = charge.get("chargeAmount") or {}
    amount = money.get("amount", money.get("currencyAmount"))
    currency = money.get("currency", money.get("currencyUnit"))
    if amount is None or not currency:
        return None
    return Decimal(str(amount)), str(currency)


def _list(container: Any, key: str) -> list[Any]:
    found = container.get(key) if isinstance(container, Mapping) else None
    return found if isinstance(found, list) else []


def line_quantities(line: Mapping[str, Any], order_id: str) -> tuple[int, int, int, set[str]]:
    """(ordered, cancelled, shipped, statuses) of one order line."""
    number = str(line.get("lineNumber") or "?")
    ordered = _amount((line.get("orderLineQuantity") or {}).get("amount"), order_id=order_id,
                      field=f"line {number} orderLineQuantity.amount")
    cancelled = shipped = 0
    statuses: set[str] = set()
    for entry in _list(line.get("orderLineStatuses"), "orderLineStatus"):
        status = str(entry.get("status") or "")
        quantity = _amount((entry.get("statusQuantity") or {}).get("amount"),
                           order_id=order_id, field=f"line {number} statusQuantity.amount")
        statuses.add(status)
        if status == "Cancelled":
            cancelled += quantity
        elif status in SHIPPED_STATES:
            shipped += quantity
    return ordered, min(cancelled, ordered), shipped, statuses


def parse_line(line: Mapping[str, Any], order_id: str) -> tuple[OrderLine, set[str], int]:
    """One order line (its quantity net of cancellations), its statuses, its statusDate."""
    number = line.get("lineNumber")
    if number in (None, ""):
        raise _fail(order_id, "an order line without lineNumber")
    ordered, cancelled, shipped, statuses = line_quantities(line, order_id)
    quantity = ordered - cancelled
    item = line.get("item") or {}
    unit_price: Decimal | None = None
    currency: str | None = None
    for charge in _list(line.get("charges"), "charge"):
        if charge.get("chargeType") == "PRODUCT" and (money := _money(charge)) is not None:
            # chargeAmount is the line's product charge; the unit price is per unit ordered.
            unit_price = (money[0] / ordered) if ordered else money[0]
            currency = money[1]
            break
    status_date = line.get("statusDate")
    return (OrderLine(line_id=str(number), sku=item.get("sku"), quantity=quantity,
                      quantity_shipped=min(shipped, quantity), unit_price=unit_price,
                      currency=currency, title=item.get("productName")),
            statuses, status_date if isinstance(status_date, int) else 0)


def order_status(lines: list[OrderLine], statuses: set[str]) -> OrderStatus:
    """The order's status from its lines (Walmart keeps statuses per line only)."""
    open_lines = [line for line in lines if line.quantity > 0]
    if not open_lines:
        return OrderStatus.CANCELLED
    if statuses & {"Refund"} and not statuses & {"Created", "Acknowledged", "Shipped",
                                                 "Delivered"}:
        return OrderStatus.REFUNDED
    shipped = sum(line.quantity_shipped for line in open_lines)
    if shipped >= sum(line.quantity for line in open_lines):
        return OrderStatus.SHIPPED
    if shipped > 0:
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.UNSHIPPED


def parse_order(payload: Mapping[str, Any], *, account: str = "default") -> Order:
    """One purchase order (``GetOrderResponseRecord``) as a feedsync order.

    Personal data (customer e-mail, shipping address, phone) stays in ``raw``; the order store
    minimises it before storing (feedsync/orders/privacy.py) unless the workspace keeps it.
    """
    order_id = str(payload.get("purchaseOrderId") or "")
    if not order_id:
        raise ChannelError("Walmart order without purchaseOrderId in the response",
                           channel=CHANNEL)
    created = epoch_ms(payload.get("orderDate"), order_id=order_id, field="orderDate")
    raw_lines = _list(payload.get("orderLines"), "orderLine")
    if not raw_lines:
        raise _fail(order_id, "no orderLines.orderLine")
    lines: list[OrderLine] = []
    statuses: set[str] = set()
    latest = int(created.timestamp() * 1000)
    for raw in raw_lines:
        line, line_statuses, status_date = parse_line(raw, order_id)
        lines.append(line)
        statuses |= line_statuses
        latest = max(latest, status_date)
    total = (payload.get("orderSummary") or {}).get("totalAmount") or {}
    amount = total.get("currencyAmount")
    currency = total.get("currencyUnit") or next((ln.currency for ln in lines if ln.currency),
                                                None)
    # shipNode is an object; the getAllReleasedOrders example has [] there (tolerated).
    node = payload.get("shipNode")
    node_type = str((node.get("type") if isinstance(node, Mapping) else None)
                    or "SellerFulfilled")
    return Order(
        channel=CHANNEL, account=account, order_id=order_id,
        status=order_status(lines, statuses), created_at=created,
        updated_at=datetime.fromtimestamp(latest / 1000.0, tz=UTC), lines=lines,
        total=Decimal(str(amount)) if amount is not None else None, currency=currency,
        fulfillment_channel=FULFILLED_BY.get(node_type, "merchant"), raw=dict(payload),
    )


def parse_order_list(body: Any, *, account: str = "default") -> tuple[list[Order], str | None]:
    """A getAllOrders answer (``PurchaseOrderTypeV3``): its orders and the next cursor."""
    if not isinstance(body, Mapping) or not isinstance(body.get("list"), Mapping):
        raise ChannelError("Walmart getAllOrders answer has no 'list'", channel=CHANNEL)
    listing = body["list"]
    orders = [parse_order(o, account=account)
              for o in _list(listing.get("elements"), "order")]
    cursor = (listing.get("meta") or {}).get("nextCursor") or None
    return orders, cursor


class OrdersApi(Protocol):
    """The call the puller needs (``client.WalmartClient`` implements it)."""

    def get_orders(self, params: Mapping[str, str] | None, cursor: str | None = None
                   ) -> dict[str, Any]:
        """GET /v3/orders with these parameters, or with a ``nextCursor`` query string."""
        ...


def search_params(since: datetime, until: datetime, ship_node_type: str) -> dict[str, str]:
    """The getAllOrders query for orders modified in [since, until]. Walmart's dates have whole
    seconds: the start is rounded down and the end up, so the window never shrinks."""
    end = until if until.microsecond == 0 else until.replace(microsecond=0) + timedelta(
        seconds=1)
    return {"lastModifiedStartDate": format_time(since),
            "lastModifiedEndDate": format_time(end), "limit": "200",
            "shipNodeType": ship_node_type}


def pull_orders(api: OrdersApi, since: datetime, *, now: Callable[[], datetime],
                account: str = "default",
                ship_node_types: tuple[str, ...] = ("SellerFulfilled",)) -> Iterator[OrderPage]:
    """Orders modified at or after ``since``, one :class:`OrderPage` per page (see the module
    docstring for the cursor each page carries)."""
    until = now() - SETTLE
    if until <= since:
        return  # a clock behind the cursor: nothing to ask
    for position, node_type in enumerate(ship_node_types):
        last_type = position == len(ship_node_types) - 1
        body = api.get_orders(search_params(since, until, node_type))
        while True:
            orders, cursor = parse_order_list(body, account=account)
            done = cursor is None
            yield OrderPage(orders=orders, cursor=until if done and last_type else since)
            if done:
                break
            body = api.get_orders(None, cursor)
