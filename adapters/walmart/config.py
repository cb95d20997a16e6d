"""Walmart channel settings (``[channels.walmart]`` in feedsync.toml) and its secrets.

Secrets never live in feedsync.toml: the API client id and client secret (Seller Center →
Settings → API Key Management) come from ``FEEDSYNC_WALMART__CLIENT_ID`` and
``FEEDSYNC_WALMART__CLIENT_SECRET`` (or ``[walmart]`` in the git-ignored secrets.toml).

Hosts (https://developer.walmart.com/us-marketplace/docs/api-integration-usage): production
``https://marketplace.walmartapis.com``, sandbox ``https://sandbox.walmartapis.com``; ``base_url``
overrides both (the loopback sandbox, tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from feedsync.adapter_config import ApiConfig
from feedsync.errors import ConfigError

ShipNodeType = Literal["SellerFulfilled", "WFSFulfilled", "3PLFulfilled"]

HOSTS: dict[str, str] = {
    "production": "https://marketplace.walmartapis.com",
    "sandbox": "https://sandbox.walmartapis.com",
}
SECRET_KEYS: tuple[str, ...] = ("client_id", "client_secret")

# The MP_ITEM spec version whose JSON shape this adapter writes: ``MPItemFeedHeader`` (
# sellingChannel, processMode, subset, locale, version) and ``MPItem[]`` of ``Orderable`` and
# ``Visible.<category>`` — the "V4.8 MP_ITEM" example of the Bulk Item Setup API
# (../shared/specs/walmart/us-mp-items.json, itemBulkUploads). Spec 5.x keys Visible by product
# type and changes the header; it is a different document, not a version string, so only 4.x
# versions are accepted here.
DEFAULT_ITEM_SPEC_VERSION = "4.8"
# MultiNode bulk inventory update (feedType=MP_INVENTORY) is spec 1.5, JSON only
# (https://developer.walmart.com/us-marketplace/docs/bulk-inventory-update-feed).
DEFAULT_INVENTORY_SPEC_VERSION = "1.5"
# Bulk price update, JSON (price.priceBulkUploads.request.json1 example: PriceHeader 1.7).
DEFAULT_PRICE_SPEC_VERSION = "1.7"
# RETIRE_ITEM feed (items.itemBulkUploads.request.RETIRE_ITEM example: RetireItemHeader 1.0).
DEFAULT_RETIRE_SPEC_VERSION = "1.0"


def _seller_fulfilled() -> list[ShipNodeType]:
    return ["SellerFulfilled"]


class WalmartConfig(ApiConfig):
    """Keys of ``[channels.walmart]`` (``environment``: production or sandbox, ``base_url``: an
    override, from :class:`ApiConfig`); unknown keys are errors."""

    # Quantities go to a ship node; an enabled API channel cannot work without one.
    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {"api": ("ship_node",)}

    # WM_SVC.NAME, sent with every call: "Walmart Service Name" in every operation's headers.
    service_name: str = Field(default="Walmart Marketplace", min_length=1, max_length=100)
    # WM_CONSUMER.CHANNEL.TYPE: only for solution providers that received one at onboarding.
    consumer_channel_type: str | None = None
    # The ship node (fulfilment centre id, Seller Center → Settings → Shipping) inventory goes
    # to; MP_INVENTORY feeds require one per SKU.
    ship_node: str | None = Field(default=None, pattern=r"^[0-9A-Za-z_-]{1,64}$",
                                  description="your ship node (fulfilment centre) id, Seller "
                                              "Center → Settings → Shipping")
    item_spec_version: str = Field(default=DEFAULT_ITEM_SPEC_VERSION, pattern=r"^4\.\d{1,2}$")
    inventory_spec_version: str = Field(default=DEFAULT_INVENTORY_SPEC_VERSION,
                                        pattern=r"^1\.\d{1,2}$")
    price_spec_version: str = Field(default=DEFAULT_PRICE_SPEC_VERSION,
                                    pattern=r"^1\.\d{1,2}(\.\d{1,2})?$")
    retire_spec_version: str = Field(default=DEFAULT_RETIRE_SPEC_VERSION,
                                     pattern=r"^1\.\d{1,2}$")
    locale: str = Field(default="en", pattern=r"^[a-z]{2}$")
    # MPItemFeedHeader.subCategory (e.g. "home_other", "clothing_other"): optional; one value
    # for the whole feed, so only set it when every SKU is in that sub-category.
    sub_category: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,64}$")
    # Quantity-only batches of at most this many SKUs use PUT /v3/inventory (one call each,
    # applied at once) instead of an MP_INVENTORY feed (one of a few feeds an hour, processed
    # within about 30 minutes): an order taken elsewhere reaches Walmart in the same run.
    inventory_api_max_items: int = Field(default=20, ge=0, le=200)
    # Feed-status detail page size (GET /v3/feeds/{feedId}: limit "cannot be more than 50").
    feed_status_page_size: int = Field(default=50, ge=1, le=50)
    # Orders of these ship-node types are pulled (SellerFulfilled is Walmart's default;
    # WFSFulfilled orders are Walmart's to ship and are stored as fulfilled by the marketplace).
    order_ship_node_types: list[ShipNodeType] = Field(default_factory=_seller_fulfilled,
                                                      min_length=1)

    def require_ship_node(self) -> str:
        """The configured ship node, or a ConfigError naming the key."""
        if not self.ship_node:
            raise ConfigError(
                "Walmart inventory needs a ship node",
                ["channels.walmart.ship_node: required to send quantities (your fulfilment "
                 "centre id, Seller Center → Settings → Shipping & Fulfilment)"])
        return self.ship_node


@dataclass(frozen=True)
class WalmartCredentials:
    """The API key pair of the seller's (or solution provider's) app."""

    client_id: SecretStr
    client_secret: SecretStr


def load_credentials(secrets: Mapping[str, SecretStr]) -> WalmartCredentials:
    """Pick the client id and secret out of the channel's secrets; name every missing one."""
    missing = [key for key in SECRET_KEYS if not secrets.get(key)]
    if missing:
        names = ", ".join(f"FEEDSYNC_WALMART__{key.upper()}" for key in missing)
        raise ConfigError(
            f"Walmart credentials missing: set {names} (or [walmart] {', '.join(missing)} in "
            "secrets.toml)")
    return WalmartCredentials(client_id=secrets["client_id"],
                              client_secret=secrets["client_secret"])


# What feedsync.registry.channel_config reads to check [channels.walmart] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = WalmartConfig
