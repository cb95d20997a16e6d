"""Shipments → createReceiptShipment, idempotently.

createReceiptShipment (https://developers.etsy.com/documentation/reference#operation/
createReceiptShipment) "creates a Shop Receipt Shipment entry" and e-mails the buyer each time:
it is not idempotent. So each shipment is first checked against the receipt's ``shipments``
(getShopReceipt): a tracking code already there is done, whether an earlier run's answer was
lost or the merchant entered it on Etsy. Tracking is per receipt on Etsy: the lines of a
partial shipment cannot be named, the tracking code covers the receipt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import BudgetExhausted, ChannelError, CircuitOpen, ItemRejected
from feedsync.models import Issue, Severity, Shipment

CHANNEL = "etsy"


class ShipmentsApi(Protocol):
    """The calls shipping needs (adapters.etsy.client.EtsyClient implements them)."""

    def get_shop_receipt(self, receipt_id: str) -> dict[str, Any]:
        """getShopReceipt."""
        ...

    def create_receipt_shipment(self, receipt_id: str, form: list[tuple[str, str]]
                                ) -> dict[str, Any]:
        """createReceiptShipment."""
        ...


def shipment_form(shipment: Shipment, note_to_buyer: str | None = None) -> list[tuple[str, str]]:
    """The createReceiptShipment form body."""
    form = [("tracking_code", shipment.tracking_number.strip()),
            ("carrier_name", shipment.carrier.strip().lower())]
    if note_to_buyer:
        form.append(("note_to_buyer", note_to_buyer))
    return form


def already_shipped(receipt: Mapping[str, Any], tracking_code: str) -> bool:
    """True when the receipt already carries this tracking code."""
    wanted = tracking_code.strip().lower()
    return any(str(s.get("tracking_code") or "").strip().lower() == wanted
               for s in receipt.get("shipments") or [])


def _issue(order_id: str, code: str, message: str) -> Issue:
    return Issue(sku=order_id, severity=Severity.ERROR, code=code, message=message,
                 source=CHANNEL)


def push_shipments(api: ShipmentsApi, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
    """One outcome per shipment, in order (``sku`` holds the order id)."""
    results: list[ItemOutcome] = []
    for shipment in shipments:
        order_id = shipment.order_id
        if not shipment.tracking_number.strip() or not shipment.carrier.strip():
            results.append(ItemOutcome(order_id, ItemStatus.REJECTED, [_issue(
                order_id, "missing_tracking", "Etsy needs a carrier and a tracking code")]))
            continue
        try:
            receipt = api.get_shop_receipt(order_id)
            if already_shipped(receipt, shipment.tracking_number):
                results.append(ItemOutcome(order_id, ItemStatus.ACCEPTED))
                continue
            answer = api.create_receipt_shipment(order_id, shipment_form(shipment))
        except (CircuitOpen, BudgetExhausted):
            raise
        except ItemRejected as exc:
            results.append(ItemOutcome(order_id, ItemStatus.REJECTED,
                                       [_issue(order_id, "rejected", exc.message)]))
            continue
        except ChannelError as exc:
            results.append(ItemOutcome(order_id, ItemStatus.REJECTED,
                                       [_issue(order_id, "channel_error", exc.message)]))
            continue
        results.append(ItemOutcome(order_id, ItemStatus.ACCEPTED,
                                   remote_id=str(answer.get("receipt_id") or order_id)))
    return results
