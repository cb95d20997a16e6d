"""Domain models shared by the catalog, the mapping engine, the sync engine and the adapters.

These are plain slotted dataclasses rather than pydantic models: importers and feed builders
handle millions of them per run, and every value has already been parsed and checked by the code
that creates it (importers validate rows; the catalog only stores validated products).
Money is always :class:`~decimal.Decimal` with an ISO 4217 currency, never float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ProductStatus(StrEnum):
    """Lifecycle of a product in the store."""

    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


# Variant attributes that get their own catalog column (every channel has a field for them);
# any other option name a store uses lands in ``Product.attributes``.
VARIANT_COLUMNS: tuple[str, ...] = ("color", "size", "material", "pattern", "gender", "age_group")


@dataclass(slots=True)
class Product:
    """One sellable SKU. Variants of a family share ``item_group_id``."""

    sku: str
    title: str
    price: Decimal
    currency: str
    item_group_id: str | None = None
    description: str = ""
    brand: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    condition: str = "new"
    category: str = ""  # the store's category path, "Apparel > Shirts > T-Shirts"
    product_type: str = ""
    sale_price: Decimal | None = None
    sale_start: datetime | None = None
    sale_end: datetime | None = None
    weight: Decimal | None = None
    weight_unit: str | None = None  # g, kg, lb, oz
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    dimension_unit: str | None = None  # mm, cm, m, in
    link: str | None = None
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: ProductStatus = ProductStatus.ACTIVE
    color: str | None = None
    size: str | None = None
    material: str | None = None
    pattern: str | None = None
    gender: str | None = None
    age_group: str | None = None
    variant_axes: list[str] = field(default_factory=list)  # e.g. ["color", "size"]
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class InventoryLevel:
    """Stock of one SKU at one location; available = on_hand - reserved."""

    sku: str
    location: str
    on_hand: int
    reserved: int = 0


class Severity(StrEnum):
    """How bad a validation issue is: errors keep a SKU from being sent."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(slots=True)
class Issue:
    """One problem with one SKU for one channel (ours or the channel's own)."""

    sku: str
    severity: Severity
    code: str
    message: str
    field: str | None = None
    rule: str | None = None  # the mapping rule that produced the value, for explainability
    source: str = "feedsync"  # "feedsync" or the channel name when the channel reported it


class OrderStatus(StrEnum):
    """Normalised order lifecycle across channels."""

    PENDING = "pending"
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(slots=True)
class OrderLine:
    """One line of a channel order."""

    line_id: str
    sku: str | None
    quantity: int
    quantity_shipped: int = 0
    unit_price: Decimal | None = None
    currency: str | None = None
    title: str | None = None
    channel_item_id: str | None = None


@dataclass(slots=True)
class Order:
    """An order as pulled from a channel, normalised. ``raw`` keeps the payload for audit."""

    channel: str
    account: str
    order_id: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    lines: list[OrderLine] = field(default_factory=list)
    total: Decimal | None = None
    currency: str | None = None
    fulfillment_channel: str | None = None  # e.g. "merchant" or "marketplace" (FBA, WFS)
    fees: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ShipmentLine:
    """How many units of one order line left in a shipment."""

    line_id: str
    quantity: int
    sku: str | None = None


@dataclass(slots=True)
class Shipment:
    """A shipment of (part of) one order, confirmed on the channel that owns the order.

    ``Adapter.push_shipments`` takes these and returns one ``ItemOutcome`` per shipment, in the
    same order, whose ``sku`` field holds the shipment's ``order_id``.
    """

    channel: str
    account: str
    order_id: str
    carrier: str
    tracking_number: str
    lines: list[ShipmentLine] = field(default_factory=list)
    shipped_at: datetime | None = None
    ship_method: str | None = None
    fulfillment_channel: str | None = None  # of the order: only "merchant" orders ship here
