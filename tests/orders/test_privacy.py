"""Personal data minimisation of stored raw payloads."""

from __future__ import annotations

import json
from pathlib import Path

from feedsync.orders.privacy import REMOVED, minimise


def test_amazon_order_example_keeps_no_buyer_data(specs_dir: Path) -> None:
    example = json.loads(
        (specs_dir / "amazon" / "examples" / "orders2026.getOrder.200.json").read_text())
    order = example["order"]
    personal = [order["buyer"]["buyerName"], order["buyer"]["buyerEmail"],
                order["recipient"]["deliveryAddress"]["addressLine1"],
                order["recipient"]["deliveryAddress"]["phone"],
                order["recipient"]["deliveryAddress"]["postalCode"]]
    kept = minimise(example)
    text = json.dumps(kept)
    for value in personal:
        assert value not in text
    assert kept["order"]["recipient"]["deliveryAddress"]["countryCode"] == "GB"
    assert kept["order"]["orderId"] == order["orderId"]
    assert kept["order"]["orderItems"][0]["product"]["sellerSku"] == \
        order["orderItems"][0]["product"]["sellerSku"]
    assert kept["order"]["proceeds"] == order["proceeds"]
    gift = kept["order"]["orderItems"][0]["fulfillment"]["packing"]["giftOption"]
    assert gift["giftMessage"] == REMOVED
    assert minimise(example, keep_personal_data=True) == example


def test_ebay_and_walmart_shapes() -> None:
    ebay = {"buyer": {"username": "ann_1", "taxAddress": {"postalCode": "95125",
                                                          "countryCode": "US"}},
            "fulfillmentStartInstructions": [{"shippingStep": {"shipTo": {
                "fullName": "Ann Example", "primaryPhone": {"phoneNumber": "555"},
                "email": "ann@example.com", "contactAddress": {"addressLine1": "1 Main",
                                                               "countryCode": "US"}}}}],
            "lineItems": [{"sku": "A", "quantity": 1}]}
    walmart = {"customerEmailId": "x@relay.walmart.com",
               "shippingInfo": {"phone": "555", "postalAddress": {"name": "Ann",
                                                                   "country": "USA"}}}
    text = json.dumps([minimise(ebay), minimise(walmart)])
    for value in ("ann_1", "95125", "Ann Example", "555", "ann@example.com", "1 Main",
                  "x@relay.walmart.com", '"Ann"'):
        assert value not in text
    assert minimise(ebay)["lineItems"] == [{"sku": "A", "quantity": 1}]
    assert minimise(walmart)["shippingInfo"]["postalAddress"]["country"] == "USA"


def test_empty_values_stay_empty() -> None:
    assert minimise({"buyerEmail": "", "buyer": {"buyerName": None}}) == {
        "buyerEmail": "", "buyer": {"buyerName": None}}
