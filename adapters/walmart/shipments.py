"""Shipping updates: POST /v3/orders/{purchaseOrderId}/shipping, one order line status per line.

Body: ``OrderShipment`` (us-mp-orders.json; the shippingUpdates request example): per line its
``lineNumber``, ``sellerOrderId`` and one ``orderLineStatus`` Shipped with the quantity and the
``trackingInfo`` (shipDateTime in epoch ms, carrierName.carrier from Walmart's list, methodCode,
trackingNumber). A carrier outside Walmart's list needs ``otherCarrier`` *and* a tracking URL
(CarrierNameType: "When otherCarrier is used, trackingUrl must also be provided"); feedsync's
shipment files carry no URL, so such a shipment is refused with the list of known carriers.

Idempotent by reading back: before posting, the order is read (GET /v3/orders/{id}); lines
already Shipped with the same tracking number are not posted again, and a shipment whose every
line is already shipped that way is confirmed without a call. A shipment whose answer was lost
is therefore resolved by the next attempt's read, never sent twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import CircuitOpen, FeedsyncError, TransientError
from feedsync.models import Issue, Severity, Shipment, ShipmentLine

SOURCE = "walmart"
# CarrierNameType.carrier enum (us-mp-orders.json), matched ignoring case and spaces.
CARRIERS = ("UPS", "USPS", "FedEx", "Airborne", "OnTrac", "DHL Ecommerce - US", "LS", "UDS",
            "UPSMI", "FDX", "PILOT", "ESTES", "SAIA", "FDS Express", "Seko Worldwide",
            "HIT Delivery", "FEDEXSP", "RL Carriers", "Metropolitan Warehouse & Delivery",
            "China Post", "YunExpress", "Yellow Freight Sys", "AIT Worldwide Logistics",
            "Chukou1", "Sendle", "Landmark Global", "Sunyou", "Yanwen", "4PX", "GLS",
            "OSM Worldwide", "FIRST MILE", "AM Trucking", "CEVA", "India Post", "SF Express",
            "CNE", "TForce Freight", "AxleHire", "LSO", "Royal Mail", "ABF Freight System",
            "WanB", "Roadrunner Freight", "Meyer Distribution", "AAA Cooper", "Canada Post",
            "Southeastern Freight Lines", "Japan Post", "Correos de Mexico", "XPO Logistics",
            "JD Logistics", "YDH", "JCEX", "Flyt", "Deutsche Post")
_ALIASES = {"fed ex": "FedEx", "dhl": "DHL Ecommerce - US", "dhl ecommerce": "DHL Ecommerce - US",
            "lasership": "LS", "fedex smartpost": "FEDEXSP", "ups mail innovations": "UPSMI"}
_CARRIER_KEYS = {c.lower().replace(" ", ""): c for c in CARRIERS} | {
    k.replace(" ", ""): v for k, v in _ALIASES.items()}
# TrackingInfoType.methodCode enum.
METHODS = ("Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value")
_METHOD_KEYS = {m.lower(): m for m in METHODS} | {"one day": "OneDay", "next day": "OneDay",
                                                  "white glove": "WhiteGlove",
                                                  "expedited": "Express", "ground": "Standard"}
SELLER_ORDER_ID_MAX = 30  # ShippingLineType.sellerOrderId: "limit of 30 characters"


class ShippingApi(Protocol):
    """The calls shipping needs (``client.WalmartClient`` implements them)."""

    def get_order(self, purchase_order_id: str) -> dict[str, Any]:
        """GET /v3/orders/{purchaseOrderId} → the order record."""
        ...

    def ship_order_lines(self, purchase_order_id: str, body: Mapping[str, Any]
                         ) -> dict[str, Any]:
        """POST /v3/orders/{purchaseOrderId}/shipping."""
        ...


def carrier_name(carrier: str) -> str | None:
    """Walmart's spelling of a carrier, or None when Walmart does not list it."""
    return _CARRIER_KEYS.get(carrier.strip().lower().replace(" ", ""))


def method_code(method: str | None) -> str | None:
    """Walmart's methodCode for a ship method word, or None."""
    return _METHOD_KEYS.get(method.strip().lower()) if method else None


def _ms(when: datetime | None) -> int:
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def shipping_body(shipment: Shipment, lines: Sequence[ShipmentLine], *, carrier: str,
                  method: str) -> dict[str, Any]:
    """The OrderShipment body for ``lines`` of one shipment."""
    seller_order_id = shipment.order_id[:SELLER_ORDER_ID_MAX]
    tracking = {"shipDateTime": _ms(shipment.shipped_at), "carrierName": {"carrier": carrier},
                "methodCode": method, "trackingNumber": shipment.tracking_number}
    return {"orderShipment": {"orderLines": {"orderLine": [{
        "lineNumber": line.line_id,
        "sellerOrderId": seller_order_id,
        "orderLineStatuses": {"orderLineStatus": [{
            "status": "Shipped",
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(line.quantity)},
            "trackingInfo": dict(tracking),
        }]},
    } for line in lines]}}}


def shipped_with(order: Mapping[str, Any], tracking_number: str) -> dict[str, int]:
    """Line number → units already Shipped/Delivered under ``tracking_number``."""
    found: dict[str, int] = {}
    for line in (order.get("orderLines") or {}).get("orderLine") or []:
        for status in (line.get("orderLineStatuses") or {}).get("orderLineStatus") or []:
            info = status.get("trackingInfo") or {}
            if status.get("status") in ("Shipped", "Delivered") and \
                    str(info.get("trackingNumber") or "") == tracking_number:
                amount = str((status.get("statusQuantity") or {}).get("amount") or "0")
                number = str(line.get("lineNumber"))
                found[number] = found.get(number, 0) + (int(amount) if amount.isdigit() else 0)
    return found


def _outcome(shipment: Shipment, status: ItemStatus, code: str = "", message: str = "",
             severity: Severity = Severity.ERROR) -> ItemOutcome:
    issues = [Issue(sku=shipment.order_id, severity=severity, code=code, message=message,
                    source=SOURCE)] if code else []
    return ItemOutcome(sku=shipment.order_id, status=status, issues=issues,
                       remote_id=shipment.tracking_number if status is ItemStatus.ACCEPTED
                       else None)


def ship_one(api: ShippingApi, shipment: Shipment) -> ItemOutcome:
    """Confirm one shipment (see the module docstring); never raises for one order's data."""
    if shipment.fulfillment_channel == "marketplace":
        return _outcome(shipment, ItemStatus.REJECTED, "wfs_order",
                        "Walmart Fulfillment Services ships this order; nothing to confirm")
    if not shipment.lines:
        return _outcome(shipment, ItemStatus.REJECTED, "no_lines", "a shipment needs lines")
    carrier = carrier_name(shipment.carrier)
    if carrier is None:
        return _outcome(shipment, ItemStatus.REJECTED, "unknown_carrier",
                        f"carrier {shipment.carrier!r} is not in Walmart's list (a carrier "
                        "outside it needs a tracking URL); use one of: " + ", ".join(CARRIERS))
    order = api.get_order(shipment.order_id)
    done = shipped_with(order, shipment.tracking_number)
    todo = [line for line in shipment.lines if done.get(line.line_id, 0) < line.quantity]
    if not todo:
        return _outcome(shipment, ItemStatus.ACCEPTED)  # already shipped: a repeat, no call
    method = method_code(shipment.ship_method) or method_code(
        str((order.get("shippingInfo") or {}).get("methodCode") or "")) or "Standard"
    api.ship_order_lines(shipment.order_id,
                         shipping_body(shipment, todo, carrier=carrier, method=method))
    return _outcome(shipment, ItemStatus.ACCEPTED)


def push_shipments(api: ShippingApi, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
    """One outcome per shipment, in order (``sku`` holds the purchase order id)."""
    results: list[ItemOutcome] = []
    for shipment in shipments:
        try:
            results.append(ship_one(api, shipment))
        except CircuitOpen:
            raise
        except TransientError as exc:  # tried again on the next run (read back first)
            results.append(_outcome(shipment, ItemStatus.PENDING, "transient", exc.message,
                                    Severity.WARNING))
        except FeedsyncError as exc:
            results.append(_outcome(shipment, ItemStatus.REJECTED, type(exc).__name__,
                                    exc.message))
    return results
