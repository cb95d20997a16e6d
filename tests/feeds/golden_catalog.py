"""A small, fixed catalog that exercises what feed files must get right.

Variants with colour and size, a sale running at ``AS_OF``, HTML and characters XML and CSV
must escape (``&``, ``<``, quotes, commas, a line break, non-ASCII), several images (one URL with
a comma), an out-of-stock item, a SKU with errors (no link, no image: left out and counted) and
a draft (excluded by the shipped mappings' status filter).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from feedsync.catalog import Catalog
from feedsync.models import InventoryLevel, Product, ProductStatus

AS_OF = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

SENT = ["BAG-TOTE", "MUG-01", "TEE-BLK-M", "TEE-BLK-S", "TEE-WHT-M"]
LEFT_OUT = ["ZZ-NO-LINK"]  # errors
EXCLUDED = ["DRAFT-01"]


def _tee(sku: str, color: str, size: str, stock: int) -> tuple[Product, int]:
    slug = sku.lower()
    return Product(
        sku=sku, item_group_id="TEE", title=f"Organic Tee – {color}, {size}",
        description="<p>Soft <strong>organic</strong> cotton &amp; a relaxed fit.</p>"
                    "<ul><li>180 g/m²</li><li>Made in Portugal</li></ul>",
        price=Decimal("24.00"), currency="USD", brand="Example & Co", gtin="4006381333931",
        mpn="TEE-ORG", condition="new", category="Apparel > T-Shirts",
        link=f"https://shop.example.com/products/organic-tee?variant={slug}",
        images=[f"https://cdn.example.com/tee/{slug}.jpg",
                "https://cdn.example.com/tee/detail,back.jpg"],
        color=color, size=size, gender="unisex", age_group="adult", material="cotton",
        variant_axes=["color", "size"], weight=Decimal("0.180"), weight_unit="kg",
    ), stock


def products() -> list[tuple[Product, int]]:
    """(product, units on hand) for every SKU of the golden catalog."""
    return [
        _tee("TEE-BLK-S", "Black", "S", 12),
        _tee("TEE-BLK-M", "Black", "M", 0),  # out of stock
        _tee("TEE-WHT-M", "White", "M", 4),
        (Product(
            sku="MUG-01", title='Enamel Mug "Camp" 12 oz, blue',
            description="Line one.\nLine two < three & four — ünïcödé ✓",
            price=Decimal("18.50"), currency="USD", brand="Example Home", gtin="614141101689",
            condition="new", category="Home > Kitchen",
            link="https://shop.example.com/products/mug?ref=feed&utm=x",
            images=["https://cdn.example.com/mug/1.jpg", "https://cdn.example.com/mug/2.jpg",
                    "https://cdn.example.com/mug/3.jpg"],
            sale_price=Decimal("14.80"),
            sale_start=datetime(2026, 11, 10, tzinfo=UTC),
            sale_end=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        ), 30),
        (Product(
            sku="BAG-TOTE", title="Waxed Canvas Tote", description="Hand-stitched, 16 oz canvas.",
            price=Decimal("89"), currency="USD", brand="Example Store", mpn="TOTE-CNV",
            condition="new", category="Bags",
            link="https://shop.example.com/products/tote",
            images=["https://cdn.example.com/tote/main.jpg"],
        ), 2),
        (Product(
            sku="ZZ-NO-LINK", title="Mystery item", description="It has no page and no photo.",
            price=Decimal("5.00"), currency="USD", brand="Example Store", condition="new",
            category="Home",
        ), 3),
        (Product(
            sku="DRAFT-01", title="Not yet", description="Coming soon to the shop.",
            price=Decimal("10.00"), currency="USD", brand="Example Store",
            category="Home", link="https://shop.example.com/products/draft",
            images=["https://cdn.example.com/draft.jpg"], status=ProductStatus.DRAFT,
        ), 1),
    ]


def load(catalog: Catalog) -> None:
    """Put the golden catalog into ``catalog``."""
    rows = products()
    catalog.upsert_products(product for product, _ in rows)
    catalog.set_inventory(InventoryLevel(product.sku, "main", stock) for product, stock in rows)
