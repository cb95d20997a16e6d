"""patchListingsItem fast path, orders and shipments over mocked HTTP, checked against Swagger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from amazon_fixtures import BASE, MARKETPLACE, SELLER, add_token, example, make_adapter
from amazon_swagger import body_validator, check_query
from feedsync.adapters.amazon.config import AmazonConfig, load_credentials
from pydantic import SecretStr, ValidationError

from feedsync.adapter import Action, Batch, ItemStatus, PlannedChange, SubmissionState
from feedsync.errors import ConfigError
from feedsync.mapping.record import MappedRecord
from feedsync.models import Shipment, ShipmentLine

LISTINGS = f"{BASE}/listings/2021-08-01/items/{SELLER}"


def _price_change(sku: str) -> PlannedChange:
    record = MappedRecord(sku=sku, channel="amazon", fields={
        "sku": sku, "product_type": "SHIRT", "currency": "USD", "our_price": "9.50",
        "quantity": "4"})
    return PlannedChange(sku, Action.PRICE_QUANTITY, record,
                         changed_parts=frozenset({"price", "quantity"}))


@responses.activate
def test_a_few_price_changes_use_patch_listings_item(swagger, amazon_specs) -> None:  # type: ignore[no-untyped-def]
    model = swagger("listingsItems_2021-08-01.json")
    adapter, _ = make_adapter()
    add_token(responses.mock)
    accepted = example(amazon_specs, "listingsItems.patchListingsItem.200.json")
    responses.add(responses.PATCH, f"{LISTINGS}/P-1", json=dict(accepted, sku="P-1"))
    responses.add(responses.PATCH, f"{LISTINGS}/P-2", json={
        "sku": "P-2", "status": "INVALID", "submissionId": "x", "issues": [{
            "code": "8541", "message": "price too low", "severity": "ERROR",
            "attributeNames": ["purchasable_offer"], "categories": ["INVALID_PRICE"]}]})
    responses.add(responses.PATCH, f"{LISTINGS}/P-3", status=400,
                  json={"errors": [{"code": "InvalidInput", "message": "bad sku"}]})
    items = [adapter.render_item(_price_change(s)) for s in ("P-1", "P-2", "P-3")]
    assert {adapter.batch_key(i) for i in items} == {"price_quantity"}
    submission = adapter.submit(Batch("amazon", items))
    assert submission.state is SubmissionState.DONE and submission.handle is None
    assert [o.status for o in submission.outcomes] == [ItemStatus.ACCEPTED,
                                                       ItemStatus.REJECTED, ItemStatus.REJECTED]
    assert submission.outcomes[1].issues[0].field == "purchasable_offer"
    assert "bad sku" in submission.outcomes[2].issues[0].message
    for call in [c for c in responses.calls if c.request.method == "PATCH"]:
        check_query(model, "patchListingsItem", call.request.url)
        body = json.loads(call.request.body)
        assert not list(body_validator(model, "ListingsItemPatchRequest").iter_errors(body))
        assert [p["path"] for p in body["patches"]] == ["/attributes/purchasable_offer",
                                                        "/attributes/fulfillment_availability"]


@responses.activate
def test_many_price_changes_go_as_one_feed() -> None:
    adapter, _ = make_adapter(patch_api_max_items=2)
    add_token(responses.mock)
    responses.add(responses.POST, f"{BASE}/feeds/2021-06-30/documents", status=201,
                  json={"feedDocumentId": "d", "url": "https://s3.example.com/up?X-Amz-Signature=1"})
    responses.add(responses.PUT, "https://s3.example.com/up")
    responses.add(responses.POST, f"{BASE}/feeds/2021-06-30/feeds", status=202,
                  json={"feedId": "77"})
    items = [adapter.render_item(_price_change(f"P-{i}")) for i in range(3)]
    submission = adapter.submit(Batch("amazon", items))
    assert submission.handle == "77" and submission.state is SubmissionState.PENDING
    uploaded = json.loads(responses.calls[2].request.body)
    assert {m["operationType"] for m in uploaded["messages"]} == {"PATCH"}


@responses.activate
def test_pull_orders_pages_through_search_orders(swagger, amazon_specs) -> None:  # type: ignore[no-untyped-def]
    model = swagger("orders_2026-01-01.json")
    adapter, _ = make_adapter()
    add_token(responses.mock)
    first = example(amazon_specs, "orders2026.searchOrders.200.json")
    last = example(amazon_specs, "orders2026.searchOrders.200.sandbox-static-1.json")
    responses.add(responses.GET, f"{BASE}/orders/2026-01-01/orders", json=first)
    responses.add(responses.GET, f"{BASE}/orders/2026-01-01/orders", json=last)
    since = datetime(2026, 11, 20, tzinfo=UTC)
    pages = list(adapter.pull_orders(since))
    assert [o.order_id for p in pages for o in p.orders] == [
        "123-4567890-1234567", "202-7654321-1098765"]
    assert pages[0].cursor == since and pages[1].cursor > since
    queries = [check_query(model, "searchOrders", c.request.url) for c in responses.calls
               if "/orders/" in c.request.url]
    assert queries[1]["paginationToken"] == first["pagination"]["nextToken"]
    assert {k: v for k, v in queries[1].items() if k != "paginationToken"} == queries[0]
    assert queries[0]["fulfilledBy"] == "MERCHANT,AMAZON"
    assert pages[0].orders[0].total == Decimal("154.99")


@responses.activate
def test_get_order(swagger, amazon_specs) -> None:  # type: ignore[no-untyped-def]
    adapter, _ = make_adapter()
    add_token(responses.mock)
    body = example(amazon_specs, "orders2026.getOrder.200.json")
    order_id = body["order"]["orderId"]
    responses.add(responses.GET, f"{BASE}/orders/2026-01-01/orders/{order_id}", json=body)
    order = adapter.get_order(order_id)
    assert order.order_id == order_id and order.currency == "GBP"
    check_query(swagger("orders_2026-01-01.json"), "getOrder", responses.calls[1].request.url)


@responses.activate
def test_push_shipments_confirms_merchant_orders(swagger) -> None:  # type: ignore[no-untyped-def]
    model = swagger("ordersV0.json")
    adapter, _ = make_adapter()
    add_token(responses.mock)
    responses.add(responses.POST,
                  f"{BASE}/orders/v0/orders/123-4567890-1234567/shipmentConfirmation", status=204)
    shipments = [
        Shipment("amazon", "default", "123-4567890-1234567", "ups", "1Z999",
                 [ShipmentLine("12345678901234", 2)], shipped_at=datetime(2026, 11, 24, 9,
                                                                          tzinfo=UTC)),
        Shipment("amazon", "default", "250-1", "Local Courier", "LC-1",
                 [ShipmentLine("1", 1)], fulfillment_channel="marketplace"),
    ]
    results = adapter.push_shipments(shipments)
    assert [r.status for r in results] == [ItemStatus.ACCEPTED, ItemStatus.REJECTED]
    assert results[1].sku == "250-1"
    body = json.loads(responses.calls[1].request.body)
    assert not list(body_validator(model, "ConfirmShipmentRequest").iter_errors(body))
    assert body["marketplaceId"] == MARKETPLACE
    assert body["packageDetail"]["carrierCode"] == "UPS"
    assert body["packageDetail"]["shipDate"] == "2026-11-24T09:00:00Z"


def test_unknown_carrier_is_sent_as_other_with_its_name(swagger) -> None:  # type: ignore[no-untyped-def]
    from feedsync.adapters.amazon.shipments import confirm_shipment_body

    body = confirm_shipment_body(Shipment("amazon", "default", "1", "Local Courier", "LC-1",
                                          [ShipmentLine("9", 1)]), MARKETPLACE)
    assert body["packageDetail"]["carrierCode"] == "Other"
    assert body["packageDetail"]["carrierName"] == "Local Courier"
    assert not list(body_validator(swagger("ordersV0.json"), "ConfirmShipmentRequest")
                    .iter_errors(body))


@pytest.mark.parametrize(("region", "environment", "expected"), [
    ("NA", "production", "https://sellingpartnerapi-na.amazon.com"),
    ("EU", "production", "https://sellingpartnerapi-eu.amazon.com"),
    ("FE", "sandbox", "https://sandbox.sellingpartnerapi-fe.amazon.com"),
])
def test_endpoints(region: str, environment: str, expected: str) -> None:
    config = AmazonConfig(region=region, environment=environment)  # type: ignore[arg-type]
    assert config.endpoint == expected
    assert AmazonConfig(region=region, base_url="http://127.0.0.1:8080/").endpoint == (  # type: ignore[arg-type]
        "http://127.0.0.1:8080")


def test_config_errors_name_keys_and_environment_variables() -> None:
    with pytest.raises(ValidationError):
        AmazonConfig(region="US")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AmazonConfig(selller_id="typo")  # type: ignore[call-arg]
    with pytest.raises(ConfigError) as info:
        AmazonConfig().require_account()
    assert any("seller_id" in p for p in info.value.problems)
    with pytest.raises(ConfigError, match="FEEDSYNC_AMAZON__CLIENT_SECRET"):
        load_credentials({"client_id": SecretStr("a"), "refresh_token": SecretStr("b")})
