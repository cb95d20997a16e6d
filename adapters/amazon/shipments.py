"""Shipment confirmation for merchant-fulfilled Amazon orders (Orders API v0 confirmShipment).

The Orders API v2026-01-01 model has no shipment operation, so confirmations use v0's
``POST /orders/v0/orders/{orderId}/shipmentConfirmation`` (ordersV0.json ConfirmShipmentRequest).
Amazon-fulfilled (FBA) orders are shipped by Amazon and are refused here, per shipment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from feedsync.adapters.amazon.client import AmazonClient

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.clock import iso_z, utc_now
from feedsync.errors import CircuitOpen, FeedsyncError, OutcomeUnknown, TransientError
from feedsync.models import Issue, Severity, Shipment
from feedsync.sync.readback import OUTCOME_UNKNOWN

# Carrier codes Amazon lists for confirmShipment (CarrierCode); anything else is sent as
# "Other" with the carrier's name (https://developer-docs.amazon.com/sp-api/docs/
# orders-api-v0-reference#confirmshipmentrequest).
CARRIER_CODES = {c.lower(): c for c in (
    "USPS", "UPS", "FedEx", "DHL", "DHL eCommerce", "OnTrac", "Amazon Shipping",
    "Royal Mail", "Parcelforce", "DPD", "Hermes", "Evri", "Yodel", "GLS", "Deutsche Post",
    "La Poste", "Colissimo", "Chronopost", "Correos", "PostNL", "Poste Italiane", "BRT",
    "Canada Post", "Purolator", "Australia Post", "Japan Post", "Yamato Transport",
    "Sagawa Express", "India Post", "Blue Dart",
)}


def package_reference_id(shipment: Shipment) -> str:
    """A positive number unique per package of an order, stable across retries."""
    digest = hashlib.sha256(f"{shipment.order_id}:{shipment.tracking_number}".encode())
    return str(int(digest.hexdigest()[:12], 16) % 999_999_999 + 1)


def confirm_shipment_body(shipment: Shipment, marketplace_id: str) -> dict[str, Any]:
    """The ConfirmShipmentRequest for one shipment."""
    code = CARRIER_CODES.get(shipment.carrier.strip().lower())
    shipped = shipment.shipped_at or utc_now()
    package: dict[str, Any] = {
        "packageReferenceId": package_reference_id(shipment),
        "carrierCode": code or "Other",
        "trackingNumber": shipment.tracking_number,
        "shipDate": iso_z(shipped),
        "orderItems": [{"orderItemId": line.line_id, "quantity": line.quantity}
                       for line in shipment.lines],
    }
    if code is None:
        package["carrierName"] = shipment.carrier
    if shipment.ship_method:
        package["shippingMethod"] = shipment.ship_method
    return {"marketplaceId": marketplace_id, "packageDetail": package}


def _rejected(shipment: Shipment, code: str, message: str) -> ItemOutcome:
    issue = Issue(sku=shipment.order_id, severity=Severity.ERROR, code=code, message=message,
                  source="amazon")
    return ItemOutcome(sku=shipment.order_id, status=ItemStatus.REJECTED, issues=[issue])


def confirm_shipments(client: AmazonClient, shipments: Sequence[Shipment],
                      marketplace_id: str) -> list[ItemOutcome]:
    """One outcome per shipment, in order (``sku`` holds the order id)."""
    results: list[ItemOutcome] = []
    for shipment in shipments:
        if shipment.fulfillment_channel == "marketplace":
            results.append(_rejected(shipment, "fba_order",
                                     "Amazon fulfils this order; nothing to confirm"))
            continue
        if not shipment.lines:
            results.append(_rejected(shipment, "no_lines", "a shipment needs order lines"))
            continue
        try:
            client.confirm_shipment(shipment.order_id,
                                    confirm_shipment_body(shipment, marketplace_id))
        except CircuitOpen:
            raise
        except OutcomeUnknown as exc:  # it may have arrived: read back before resending
            issue = Issue(sku=shipment.order_id, severity=Severity.WARNING,
                          code=OUTCOME_UNKNOWN, message=exc.message, source="amazon")
            results.append(ItemOutcome(sku=shipment.order_id, status=ItemStatus.PENDING,
                                       issues=[issue]))
            continue
        except TransientError as exc:  # try again on the next run
            issue = Issue(sku=shipment.order_id, severity=Severity.WARNING, code="transient",
                          message=exc.message, source="amazon")
            results.append(ItemOutcome(sku=shipment.order_id, status=ItemStatus.PENDING,
                                       issues=[issue]))
            continue
        except FeedsyncError as exc:
            results.append(_rejected(shipment, type(exc).__name__, exc.message))
            continue
        results.append(ItemOutcome(sku=shipment.order_id, status=ItemStatus.ACCEPTED,
                                   remote_id=package_reference_id(shipment)))
    return results
