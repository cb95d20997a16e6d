"""Amazon channel settings (``[channels.amazon]`` in feedsync.toml) and its secrets.

Secrets never live in feedsync.toml: the Login with Amazon client id, client secret and refresh
token come from ``FEEDSYNC_AMAZON__CLIENT_ID``, ``FEEDSYNC_AMAZON__CLIENT_SECRET`` and
``FEEDSYNC_AMAZON__REFRESH_TOKEN`` (or ``[amazon]`` in the git-ignored secrets.toml).

Endpoints: https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints and the static sandbox
https://developer-docs.amazon.com/sp-api/docs/the-selling-partner-api-sandbox
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from feedsync.adapter_config import ApiConfig
from feedsync.errors import ConfigError

Region = Literal["NA", "EU", "FE"]
Environment = Literal["production", "sandbox"]

ENDPOINTS: dict[str, str] = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}
SANDBOX_ENDPOINTS: dict[str, str] = {
    "NA": "https://sandbox.sellingpartnerapi-na.amazon.com",
    "EU": "https://sandbox.sellingpartnerapi-eu.amazon.com",
    "FE": "https://sandbox.sellingpartnerapi-fe.amazon.com",
}
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"

FulfilledBy = Literal["MERCHANT", "AMAZON"]


def _both_fulfilment() -> list[FulfilledBy]:
    return ["MERCHANT", "AMAZON"]


SECRET_KEYS: tuple[str, ...] = ("client_id", "client_secret", "refresh_token")


class AmazonConfig(ApiConfig):
    """Keys of ``[channels.amazon]``; unknown keys are errors (``base_url``: see ApiConfig)."""

    # Checked for an enabled channel before any command runs (feedsync.config_channels):
    # every listing and feed message names the seller and its marketplaces.
    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {"*": ("seller_id", "marketplace_ids")}
    region: Region = "NA"
    environment: Environment = "production"
    seller_id: str = Field(default="", description="Merchant token (Seller Central → Account)")
    marketplace_ids: list[str] = Field(default_factory=list, max_length=25,
                                       description="e.g. ATVPDKIKX0DER (amazon.com)")
    # The marketplace whose values the mapping produces (the first one by default): every
    # attribute value carries it (https://developer-docs.amazon.com/sp-api/docs/
    # listings-items-api-v2021-08-01-use-case-guide).
    marketplace_id: str | None = None
    language_tag: str = Field(default="en_US", pattern=r"^[a-z]{2}_[A-Z]{2}$")
    issue_locale: str | None = Field(default=None, pattern=r"^[a-z]{2}_[A-Z]{2}$")
    lwa_token_url: str = LWA_TOKEN_URL
    fulfillment_channel_code: str = "DEFAULT"  # merchant-fulfilled stock
    # Price/quantity-only batches up to this many SKUs go through patchListingsItem instead of
    # a feed (see adapters/amazon/adapter.py and docs/channels/amazon.md for why).
    patch_api_max_items: int = Field(default=20, ge=0, le=200)
    feed_poll_seconds: float = Field(default=60.0, gt=0)
    order_included_data: list[str] = Field(default_factory=lambda: ["FULFILLMENT", "PROCEEDS"])
    orders_fulfilled_by: list[FulfilledBy] = Field(default_factory=_both_fulfilment)

    @field_validator("marketplace_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for mid in value:
            if not mid or not mid.isalnum():
                raise ValueError(f"{mid!r} is not an Amazon marketplace id")
        return value

    @property
    def endpoint(self) -> str:
        """The SP-API base URL: the override, else the region's production or sandbox host."""
        if self.base_url:
            return self.base_url
        table = SANDBOX_ENDPOINTS if self.environment == "sandbox" else ENDPOINTS
        return table[self.region]

    @property
    def primary_marketplace(self) -> str:
        """The marketplace id attribute values are tagged with."""
        if self.marketplace_id:
            return self.marketplace_id
        return self.marketplace_ids[0] if self.marketplace_ids else ""

    def require_account(self) -> None:
        """Raise ConfigError naming each missing key needed to call Amazon."""
        problems = []
        if not self.seller_id:
            problems.append("channels.amazon.seller_id: required (your merchant token)")
        if not self.marketplace_ids:
            problems.append("channels.amazon.marketplace_ids: at least one marketplace id")
        if problems:
            raise ConfigError("Amazon is not fully configured", problems)


@dataclass(frozen=True)
class LwaCredentials:
    """Login with Amazon application credentials and the seller's refresh token."""

    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr


def load_credentials(secrets: Mapping[str, SecretStr]) -> LwaCredentials:
    """Pick the LWA secrets out of the channel's secrets; name every missing one."""
    missing = [key for key in SECRET_KEYS if not secrets.get(key)]
    if missing:
        names = ", ".join(f"FEEDSYNC_AMAZON__{key.upper()}" for key in missing)
        raise ConfigError(
            f"Amazon credentials missing: set {names} (or [amazon] {', '.join(missing)} "
            "in secrets.toml)"
        )
    return LwaCredentials(
        client_id=secrets["client_id"],
        client_secret=secrets["client_secret"],
        refresh_token=secrets["refresh_token"],
    )


# What feedsync.registry.channel_config reads to check [channels.amazon] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = AmazonConfig
