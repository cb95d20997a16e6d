"""Shipments → Fulfillment API ``createShippingFulfillment``, never twice for one package.

https://developer.ebay.com/api-docs/sell/fulfillment/resources/order/shipping_fulfillment/methods/createShippingFulfillment
takes ``ShippingFulfillmentDetails`` (line items with quantities, shippedDate, carrier code,
tracking number) and answers 201 with the new fulfillment's URI in ``Location``. A POST is not
idempotent, and a response can be lost: before creating, the order's fulfillments are read
back (getShippingFulfillments) and a package whose tracking number eBay already holds is
reported as done with eBay's fulfillment id, so an order is never fulfilled twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import CircuitOpen, FeedsyncError, TransientError
from feedsync.models import Issue, Severity, Shipment

# Carrier names → eBay's ShippingCarrierCodeType spelling
# (https://developer.ebay.com/devzone/xml/docs/reference/ebay/types/ShippingCarrierCodeType.html);
# any other carrier is sent as written.
CARRIER_CODES = {
    "usps": "USPS", "ups": "UPS", "fedex": "FedEx", "dhl": "DHL",
    "royal mail": "RoyalMail", "parcelforce": "Parcelforce", "canada post": "CanadaPost",
    "australia post": "AustraliaPost", "deutsche post": "DeutschePost", "hermes": "Hermes",
    "evri": "Hermes", "dpd": "DPD", "gls": "GLS", "ontrac": "OnTrac", "tnt": "TNT",
    "colissimo": "Colissimo", "chronopost": "Chronopost", "la poste": "LaPoste",
    "poste italiane": "PosteItaliane", "correos": "Correos", "postnl": "PostNL",
}


class FulfillmentApi(Protocol):
    """The two calls shipping needs (``EbayClient`` implements them)."""

    def get_shipping_fulfillments(self, order_id: str) -> dict[str, Any]:
        """GET /order/{orderId}/shipping_fulfillment."""
        ...

    def create_shipping_fulfillment(self, order_id: str, body: Mapping[str, Any]) -> str | None:
        """POST /order/{orderId}/shipping_fulfillment → the new fulfillment id."""
        ...


def carrier_code(carrier: str) -> str:
    """eBay's code for a carrier name (``fedex`` → ``FedEx``); unknown names as written."""
    return CARRIER_CODES.get(carrier.strip().lower(), carrier.strip())


def fulfillment_body(shipment: Shipment) -> dict[str, Any]:
    """The ``ShippingFulfillmentDetails`` of one shipment."""
    shipped = shipment.shipped_at or datetime.now(UTC)
    shipped = (shipped if shipped.tzinfo else shipped.replace(tzinfo=UTC)).astimezone(UTC)
    return {
        "lineItems": [{"lineItemId": line.line_id, "quantity": line.quantity}
                      for line in shipment.lines],
        "shippedDate": shipped.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "shippingCarrierCode": carrier_code(shipment.carrier),
        "trackingNumber": shipment.tracking_number,
    }


def existing_fulfillment(body: Any, tracking_number: str) -> str | None:
    """The id of a fulfillment in a ``ShippingFulfillmentPagedCollection`` with this tracking
    number (compared without spaces and case), if eBay already has one."""
    wanted = tracking_number.replace(" ", "").upper()
    for item in (body or {}).get("fulfillments") or []:
        number = str(item.get("shipmentTrackingNumber") or "").replace(" ", "").upper()
        if number and number == wanted:
            return str(item.get("fulfillmentId") or number)
    return None


def _rejected(shipment: Shipment, code: str, message: str) -> ItemOutcome:
    return ItemOutcome(sku=shipment.order_id, status=ItemStatus.REJECTED, issues=[Issue(
        sku=shipment.order_id, severity=Severity.ERROR, code=code, message=message,
        source="ebay")])


def push_shipments(api: FulfillmentApi, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
    """One outcome per shipment, in order (``sku`` holds the order id)."""
    results: list[ItemOutcome] = []
    for shipment in shipments:
        if not shipment.lines:
            results.append(_rejected(shipment, "no_lines", "a shipment needs order lines"))
            continue
        try:
            known = existing_fulfillment(api.get_shipping_fulfillments(shipment.order_id),
                                         shipment.tracking_number)
            if known is None:
                known = api.create_shipping_fulfillment(shipment.order_id,
                                                        fulfillment_body(shipment))
        except CircuitOpen:
            raise
        except TransientError as exc:  # unknown outcome: the next run reads back first
            results.append(ItemOutcome(sku=shipment.order_id, status=ItemStatus.PENDING,
                                       issues=[Issue(sku=shipment.order_id,
                                                     severity=Severity.WARNING,
                                                     code="transient", message=exc.message,
                                                     source="ebay")]))
            continue
        except FeedsyncError as exc:
            results.append(_rejected(shipment, type(exc).__name__, exc.message))
            continue
        results.append(ItemOutcome(sku=shipment.order_id, status=ItemStatus.ACCEPTED,
                                   remote_id=known))
    return results
