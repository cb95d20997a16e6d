"""Meta render: records → items_batch requests, checked against Meta's Graph API specs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from facebook_oracle import FEED_TO_API, MetaSpecs
from feedsync.adapters.facebook import render
from feedsync.adapters.facebook.adapter import FacebookAdapter
from feedsync.adapters.facebook.limits import LIMITS, MAX_ITEMS, MAX_PAYLOAD_BYTES
from feedsync.adapters.facebook.render import ENUMS, batch_body, encode, item_data
from feedsync.adapters.facebook.schema import SCHEMA

from feedsync.adapter import Action, PlannedChange
from feedsync.errors import ItemRejected
from feedsync.mapping.record import MappedRecord
from feedsync.sync.batching import Batcher

Build = Callable[..., FacebookAdapter]

FULL: dict[str, Any] = {
    "id": "SKU-1", "title": "Tee", "description": "A fine tee.", "availability": "in stock",
    "condition": "new", "price": "19.99 USD", "link": "https://shop.example.com/sku-1",
    "image_link": "https://shop.example.com/i/1.jpg", "brand": "Acme",
    "google_product_category": "Apparel & Accessories > Clothing",
    "fb_product_category": "Clothing & Accessories > Clothing",
    "quantity_to_sell_on_facebook": "7", "sale_price": "14.99 USD",
    "sale_price_effective_date": "2026-11-01T00:00:00+00:00/2026-11-30T23:59:59+00:00",
    "item_group_id": "TEE", "gender": "unisex", "color": "Red", "size": "M",
    "age_group": "adult", "material": "cotton", "pattern": "plain", "gtin": "4006381333931",
    "mpn": "TEE-1", "product_type": "Apparel > Shirts",
    "additional_image_link": ["https://shop.example.com/i/2.jpg"],
    "custom_label_0": "summer",
}


def change(action: Action = Action.UPDATE, sku: str = "SKU-1", diff: dict[str, Any] | None = None,
           remote_id: str | None = None, **fields: Any) -> PlannedChange:
    record = None if action is Action.DELETE else MappedRecord(sku, "facebook",
                                                               {**FULL, "id": sku, **fields})
    return PlannedChange(sku, action, record, remote_id=remote_id, diff=diff or {})


def test_full_record_is_a_valid_upsert(make_adapter: Build, meta_specs: MetaSpecs) -> None:
    item = make_adapter().render_item(change(Action.CREATE))
    assert item.payload["method"] == "UPDATE"  # creates are upserts too
    data = item.payload["data"]
    assert data["id"] == "SKU-1" and data["price"] == "19.99 USD"
    assert data["quantity_to_sell_on_facebook"] == 7
    assert data["additional_image_link"] == ["https://shop.example.com/i/2.jpg"]
    assert meta_specs.problems(batch_body([item.payload])) == []
    assert item.size == len(encode(item.payload)) + 1


def test_oracle_catches_api_names_and_bad_values(meta_specs: MetaSpecs) -> None:
    body = batch_body([{"method": "UPSERT", "data": {"id": "x"}},
                       {"method": "UPDATE", "data": {"id": "x", "image_url_typo": "u",
                                                     "availability": "in_stock",
                                                     "inventory": "3"}}])
    body["unexpected"] = 1
    problems = " | ".join(meta_specs.problems(body))
    for expected in ("unexpected", "UPSERT", "image_url_typo", "in_stock", "inventory"):
        assert expected in problems


def test_every_schema_field_is_known_to_meta(meta_specs: MetaSpecs) -> None:
    for spec in SCHEMA.fields:
        for api in FEED_TO_API.get(spec.name, (spec.name,)):
            assert api in meta_specs.fields, f"{spec.name} → {api}"


def test_enumerations_match_metas_specs(meta_specs: MetaSpecs) -> None:
    for name, values in ENUMS.items():
        assert values == meta_specs.enum_for(name), name


def test_schema_enumerations_are_accepted() -> None:
    for spec in SCHEMA.fields:
        if spec.allowed and spec.name in ENUMS:
            assert spec.allowed <= ENUMS[spec.name], spec.name


def test_google_spellings_are_normalised() -> None:
    data = item_data("S", {"id": "S", "availability": "out_of_stock", "condition": "New"})
    assert data == {"id": "S", "availability": "out of stock", "condition": "new"}
    assert item_data("S", {"id": "S", "condition": "used_like_new"})["condition"] == (
        "used_like_new")


@pytest.mark.parametrize(("field", "value"), [
    ("availability", "sometimes"), ("price", "19.99"), ("price", "abc USD"),
    ("sale_price", "-1 USD"), ("quantity_to_sell_on_facebook", "many"),
    ("gender", ["male", "female"])])
def test_bad_values_reject_only_the_sku(field: str, value: Any) -> None:
    with pytest.raises(ItemRejected) as caught:
        item_data("SKU-9", {"id": "SKU-9", field: value})
    assert caught.value.sku == "SKU-9" and field in caught.value.message


def test_fields_that_disappeared_are_cleared(make_adapter: Build, meta_specs: MetaSpecs) -> None:
    planned = change(diff={"sale_price": ("14.99 USD", None), "title": ("Old", "Tee")},
                     sale_price="")
    data = make_adapter().render_item(planned).payload["data"]
    assert data["sale_price"] == "" and data["title"] == "Tee"
    assert meta_specs.problems(batch_body([{"method": "UPDATE", "data": data}])) == []


def test_price_quantity_change_sends_only_those_fields(make_adapter: Build) -> None:
    data = make_adapter().render_item(change(Action.PRICE_QUANTITY)).payload["data"]
    assert set(data) == {"id", "price", "sale_price", "sale_price_effective_date",
                         "availability", "quantity_to_sell_on_facebook"}


def test_delete_uses_the_retailer_id_it_was_sent_with(make_adapter: Build,
                                                      meta_specs: MetaSpecs) -> None:
    item = make_adapter().render_item(change(Action.DELETE, remote_id="RID-1"))
    assert item.payload == {"method": "DELETE", "data": {"id": "RID-1"}}
    assert meta_specs.problems(batch_body([item.payload])) == []


def test_render_is_deterministic_and_needs_no_token(make_adapter: Build) -> None:
    adapter = make_adapter(secrets={})
    first, second = adapter.render_item(change()), adapter.render_item(change())
    assert encode(first.payload) == encode(second.payload)
    assert adapter._client is None


def test_items_batch_limits_are_the_documented_ones(meta_specs: MetaSpecs) -> None:
    assert LIMITS.max_batch_items == MAX_ITEMS == 5000
    assert LIMITS.max_batch_bytes is not None
    assert LIMITS.max_batch_bytes + render.ENVELOPE_BYTES == MAX_PAYLOAD_BYTES <= 28 * 1024**2
    assert set(batch_body([])) <= set(meta_specs.params)


def test_batches_respect_both_item_and_byte_limits(make_adapter: Build) -> None:
    """Large descriptions fill the 28 MB before 5,000 items; every body stays under it."""
    adapter = make_adapter()
    batcher: Batcher[str] = Batcher("facebook", LIMITS)
    description = "d" * 9_999
    full = []
    for n in range(3_000):
        item = adapter.render_item(change(sku=f"SKU-{n}", description=description))
        full.extend(batcher.add(item, item.sku))
    full.extend(batcher.flush())
    sizes = [len(encode(batch_body([i.payload for i in o.batch.items]))) for o in full]
    assert sum(len(o.batch.items) for o in full) == 3_000
    assert all(size <= MAX_PAYLOAD_BYTES for size in sizes)
    assert max(len(o.batch.items) for o in full) < MAX_ITEMS  # bytes were the binding limit
    assert sizes[0] > MAX_PAYLOAD_BYTES - 20_000  # and the batch was filled to the limit
    small = Batcher("facebook", LIMITS)
    count = 0
    for n in range(5_001):
        count += sum(len(o.batch.items) for o in small.add(
            adapter.render_item(change(sku=f"S{n}", description="x")), "t"))
    assert count == 5_000  # the item limit closes a batch of small items


def test_body_bytes_are_the_sum_of_item_sizes_plus_envelope(make_adapter: Build) -> None:
    adapter = make_adapter()
    items = [adapter.render_item(change(sku=f"S{n}", title="Café ☕")) for n in range(3)]
    body = encode(batch_body([i.payload for i in items]))
    assert len(body) == render.ENVELOPE_BYTES + sum(i.size for i in items) - 1
    assert json.loads(body)["requests"][0]["data"]["title"] == "Café ☕"
