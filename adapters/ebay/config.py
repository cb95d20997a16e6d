"""eBay channel settings (``[channels.ebay]`` in feedsync.toml) and its secrets.

Secrets never live in feedsync.toml: the application's client id and client secret and the
seller's refresh token come from ``FEEDSYNC_EBAY__CLIENT_ID``, ``FEEDSYNC_EBAY__CLIENT_SECRET``
and ``FEEDSYNC_EBAY__REFRESH_TOKEN`` (or ``[ebay]`` in the git-ignored secrets.toml).

Hosts: production ``https://api.ebay.com``, sandbox ``https://api.sandbox.ebay.com``
(https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html for the token
endpoint of each); ``base_url`` replaces both for a loopback double or the feedsync sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from feedsync.adapter_config import ApiConfig
from feedsync.errors import ConfigError

Environment = Literal["production", "sandbox"]

HOSTS: dict[str, str] = {
    "production": "https://api.ebay.com",
    "sandbox": "https://api.sandbox.ebay.com",
}
TOKEN_PATH = "/identity/v1/oauth2/token"
# The OAuth scopes feedsync needs, one per API it calls
# (https://developer.ebay.com/api-docs/static/oauth-scopes.html).
SCOPES: tuple[str, ...] = (
    "https://api.ebay.com/oauth/api_scope/sell.inventory",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    "https://api.ebay.com/oauth/api_scope/sell.account",
)
SECRET_KEYS: tuple[str, ...] = ("client_id", "client_secret", "refresh_token")
# Marketplaces use imperial units for package weight and size; the others metric
# (Weight.unit / Dimension.unit in sell_inventory_v1_oas3.json).
IMPERIAL_MARKETPLACES = frozenset({"EBAY_US", "EBAY_MOTORS"})


class EbayConfig(ApiConfig):
    """Keys of ``[channels.ebay]``; unknown keys are errors."""

    # An enabled API channel cannot publish without these (checked when feedsync.toml loads).
    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {"api": (
        "merchant_location_key", "fulfillment_policy_id", "payment_policy_id",
        "return_policy_id")}
    environment: Environment = "production"  # or "sandbox"; base_url overrides both
    # MarketplaceEnum (https://developer.ebay.com/api-docs/sell/inventory/types/ba:MarketplaceIdEnum)
    marketplace_id: str = Field(default="EBAY_US", pattern=r"^EBAY_[A-Z_]+$")
    # The Content-Language header of Inventory API writes: the language the values are in
    # (https://developer.ebay.com/api-docs/sell/static/inventory/inventory-api-headers.html).
    content_language: str = Field(default="en-US", pattern=r"^[a-z]{2}-[A-Z]{2}$")
    merchant_location_key: str = Field(default="", max_length=36, description=(
        "an inventory location of the seller (Seller Hub, or the Inventory API's locations)"))
    fulfillment_policy_id: str = Field(default="", description="business policy id (Seller "
                                                               "Hub → Business policies)")
    payment_policy_id: str = Field(default="", description="business policy id")
    return_policy_id: str = Field(default="", description="business policy id")
    token_url: str | None = Field(default=None, description="override of the token endpoint")
    # Deletes withdraw the offer (the listing ends, the inventory item stays for a relist);
    # true also deletes the inventory item (and with it every offer of the SKU).
    delete_inventory_item: bool = False
    # Values one aspect may carry. eBay's site threshold is ItemSpecificDetails.MaxValuesPerName
    # (GeteBayDetails); a category may allow only one (getItemAspectsForCategory cardinality).
    max_aspect_values: int = Field(default=30, ge=1, le=100)

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @property
    def endpoint(self) -> str:
        """The API host: the override, else production or sandbox."""
        return self.base_url or HOSTS[str(self.environment)]

    @property
    def oauth_token_url(self) -> str:
        """Where refresh tokens are exchanged (same host as the API unless overridden)."""
        return self.token_url or f"{self.endpoint}{TOKEN_PATH}"

    @property
    def imperial(self) -> bool:
        """True when the marketplace measures packages in pounds and inches."""
        return self.marketplace_id in IMPERIAL_MARKETPLACES

    def require_account(self) -> None:
        """Raise ConfigError naming each key a publish needs that is not set."""
        missing = [key for key in ("merchant_location_key", "fulfillment_policy_id",
                                   "payment_policy_id", "return_policy_id")
                   if not getattr(self, key)]
        if missing:
            keys = ", ".join(f"channels.ebay.{key}" for key in missing)
            raise ConfigError(f"eBay is not fully configured: set {keys}", [
                f"channels.ebay.{key}: required to publish offers (Seller Hub → business "
                "policies / inventory locations, or the Account API)" for key in missing])


@dataclass(frozen=True)
class EbayCredentials:
    """The application's keyset and the seller's refresh token."""

    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr


def secret_variable(key: str) -> str:
    """The environment variable that holds one eBay secret."""
    return f"FEEDSYNC_EBAY__{key.upper()}"


def load_credentials(secrets: Mapping[str, SecretStr]) -> EbayCredentials:
    """Pick the eBay secrets out of the channel's secrets; name every missing one."""
    missing = [key for key in SECRET_KEYS if not secrets.get(key)]
    if missing:
        names = ", ".join(secret_variable(key) for key in missing)
        raise ConfigError(f"eBay credentials missing: set {names} (or [ebay] "
                          f"{', '.join(missing)} in secrets.toml)")
    return EbayCredentials(client_id=secrets["client_id"],
                           client_secret=secrets["client_secret"],
                           refresh_token=secrets["refresh_token"])


# What feedsync.registry.channel_config reads to check [channels.ebay] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = EbayConfig
