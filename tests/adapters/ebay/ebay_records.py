"""Sample eBay records (the fields the shipped mapping produces for the sample catalog)."""

from __future__ import annotations

from typing import Any

from feedsync.adapters.ebay.render import RenderContext

from feedsync.mapping.record import FieldValue, MappedRecord

CTX = RenderContext(marketplace_id="EBAY_US", content_language="en-US",
                    merchant_location_key="WH-1", fulfillment_policy_id="6000001",
                    payment_policy_id="6000002", return_policy_id="6000003")
SETTINGS: dict[str, Any] = {"merchant_location_key": "WH-1", "fulfillment_policy_id": "6000001",
                            "payment_policy_id": "6000002", "return_policy_id": "6000003"}


def simple(sku: str = "MUG-01", **changes: FieldValue) -> dict[str, FieldValue]:
    """A single-SKU listing (no family)."""
    fields: dict[str, FieldValue] = {
        "sku": sku, "title": "Stoneware Mug 350 ml", "description": "<p>Glazed stoneware.</p>",
        "condition": "NEW", "brand": "Northwind Home", "mpn": "NH-MUG-350",
        "upc": ["614141100705"],
        "image_urls": ["https://cdn.example.com/img/mug/main.jpg",
                       "https://cdn.example.com/img/mug/side.jpg"],
        "aspect_brand": "Northwind Home", "aspect_type": "Mugs",
        "aspect_color": ["Blue"], "aspect_material": ["Stoneware"],
        "category_id": "20657",
        "package_weight": "0.9", "package_weight_unit": "POUND",
        "package_length": "5", "package_width": "4", "package_height": "4.5",
        "package_dimension_unit": "INCH",
        "price": "18.00", "currency": "USD", "quantity": "12",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v not in (None, "")}


def variant(sku: str, color: str, size: str, **changes: FieldValue) -> dict[str, FieldValue]:
    """A variant of the TEE-ORG family."""
    fields = simple(sku, title=f"Organic Cotton T-Shirt {color} {size}", mpn=f"NW-{sku}",
                    aspect_brand="Northwind Apparel", aspect_type="T-Shirts",
                    aspect_color=[color], aspect_size=size, aspect_material=["Organic cotton"],
                    category_id="15687", inventory_item_group_key="TEE-ORG",
                    varies_by=["Color", "Size"], price="28.00", quantity="5")
    fields.update(changes)
    return fields


def record(fields: dict[str, FieldValue]) -> MappedRecord:
    """A sendable MappedRecord of ``fields``."""
    return MappedRecord(sku=str(fields["sku"]), channel="ebay", fields=dict(fields))
