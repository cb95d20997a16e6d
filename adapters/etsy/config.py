"""Etsy channel settings (``[channels.etsy]`` in feedsync.toml) and its secrets.

Secrets never live in feedsync.toml: the app's keystring (``FEEDSYNC_ETSY__KEYSTRING``), its
shared secret (``FEEDSYNC_ETSY__SHARED_SECRET``) and the shop owner's refresh token
(``FEEDSYNC_ETSY__REFRESH_TOKEN``, obtained once with ``feedsync auth etsy``) come from the
environment or ``[etsy]`` in the git-ignored secrets.toml.

Endpoints: https://developers.etsy.com/documentation/essentials/requests (base URL
``https://api.etsy.com/v3/application``) and
https://developers.etsy.com/documentation/essentials/authentication (token URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from feedsync.adapter_config import ApiConfig
from feedsync.errors import ConfigError

TOKEN_URL = "https://api.etsy.com/v3/public/oauth/token"
AUTHORIZE_URL = "https://www.etsy.com/oauth/connect"
# Scopes feedsync needs: listings (read, write, delete), receipts (read, update = tracking),
# shop (read: policies, sections). https://developers.etsy.com/documentation/essentials/authentication#scopes
DEFAULT_SCOPES: tuple[str, ...] = ("listings_r", "listings_w", "listings_d",
                                   "transactions_r", "transactions_w", "shops_r")

WhoMade = Literal["i_did", "someone_else", "collective"]
WhenMade = Literal["made_to_order", "2020_2025", "2010_2019", "2006_2009", "before_2006",
                   "2000_2005", "1990s", "1980s", "1970s", "1960s", "1950s", "1940s", "1930s",
                   "1920s", "1910s", "1900s", "1800s", "1700s", "before_1700"]
SECRET_KEYS: tuple[str, ...] = ("keystring", "refresh_token")


class EtsyConfig(ApiConfig):
    """Keys of ``[channels.etsy]``; unknown keys are errors. ``base_url`` (from ApiConfig)
    points the adapter at a loopback server; Etsy has no sandbox environment."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "api": ("shop_id", "shipping_profile_id")}

    delivery: str = "api"  # Etsy has no feed files: listings are pushed through the API
    shop_id: int | None = Field(default=None, ge=1,
                                description="your numeric Etsy shop id (`feedsync auth etsy` "
                                            "prints it)")
    # Defaults for createDraftListing; a record's own value wins (mapping / attributes).
    taxonomy_id: int | None = Field(default=None, ge=1)
    shipping_profile_id: int | None = Field(
        default=None, ge=1, description="the shipping profile new listings use (Etsy: required "
                                        "for physical listings)")
    return_policy_id: int | None = Field(default=None, ge=1)
    shop_section_id: int | None = Field(default=None, ge=1)
    who_made: WhoMade = "i_did"
    when_made: WhenMade = "made_to_order"
    is_supply: bool = False
    # What a delete does: "inactive" withdraws the listing (it can be re-activated and keeps
    # its history), "delete" removes it (deleteListing; needs the listings_d scope).
    delete_mode: Literal["inactive", "delete"] = "inactive"
    # Etsy property ids for the family's variation axes; unlisted axes use Etsy's two custom
    # properties 513 and 514 (https://developers.etsy.com/documentation/tutorials/listings#
    # variations): standard ids (e.g. 200 "Primary color") need Etsy's value ids.
    property_ids: dict[str, int] = Field(default_factory=dict)
    # Images are downloaded from their URL once and uploaded as files; larger ones are refused
    # (Etsy's listing-image guide recommends at most ~1 MB-ish JPEGs; 20 MB is far beyond any
    # sane product photo and keeps one bad URL from filling memory).
    image_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Fetch images through this prefix instead of their own host (``<prefix>/<host>/<path>``):
    # the sandbox serves placeholder images there so a workspace can be tried offline.
    image_base_url: str | None = None
    # Daily-budget priorities (adapters/etsy/budget.py): below ``content_reserve`` calls left
    # today only prices and quantities go out, below ``price_reserve`` only quantities.
    content_reserve: int = Field(default=1000, ge=0)
    price_reserve: int = Field(default=200, ge=0)
    token_url: str = TOKEN_URL
    authorize_url: str = AUTHORIZE_URL
    redirect_uri: str = "http://localhost:3003/oauth/redirect"
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES))

    @field_validator("token_url", "authorize_url", "redirect_uri", "image_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("property_ids")
    @classmethod
    def _property_ids(cls, value: dict[str, int]) -> dict[str, int]:
        for axis, pid in value.items():
            if pid < 1:
                raise ValueError(f"property_ids.{axis}: {pid} is not an Etsy property id")
        return {axis.lower(): pid for axis, pid in value.items()}

    def image_url(self, url: str) -> str:
        """Where to download ``url`` from (through ``image_base_url`` when set)."""
        if not self.image_base_url:
            return url
        parts = urlsplit(url)
        return f"{self.image_base_url}/{parts.netloc}{parts.path}"

    def require_shop(self) -> int:
        """The shop id, or ConfigError naming the key."""
        if self.shop_id is None:
            raise ConfigError("Etsy is not fully configured", [
                "channels.etsy.shop_id: required (your numeric shop id; `feedsync auth etsy` "
                "prints it)"])
        return self.shop_id


@dataclass(frozen=True)
class EtsyCredentials:
    """The app's keystring (OAuth client id), its shared secret, the shop's refresh token."""

    keystring: SecretStr
    refresh_token: SecretStr
    shared_secret: SecretStr | None = None

    def api_key(self) -> str:
        """The ``x-api-key`` value: ``keystring:shared_secret`` when the shared secret is
        configured (Etsy's current format), else the keystring alone."""
        key = self.keystring.get_secret_value()
        if self.shared_secret is not None and self.shared_secret.get_secret_value():
            return f"{key}:{self.shared_secret.get_secret_value()}"
        return key


def load_credentials(secrets: Mapping[str, SecretStr]) -> EtsyCredentials:
    """Pick Etsy's secrets out of the channel's secrets; name every missing one."""
    missing = [key for key in SECRET_KEYS if not secrets.get(key)]
    if missing:
        names = ", ".join(f"FEEDSYNC_ETSY__{key.upper()}" for key in missing)
        hint = " (run `feedsync auth etsy` to get a refresh token)" if (
            "refresh_token" in missing) else ""
        raise ConfigError(f"Etsy credentials missing: set {names} (or [etsy] "
                          f"{', '.join(missing)} in secrets.toml){hint}")
    return EtsyCredentials(keystring=secrets["keystring"],
                           refresh_token=secrets["refresh_token"],
                           shared_secret=secrets.get("shared_secret"))


# What feedsync.registry.channel_config reads to check [channels.etsy] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = EtsyConfig
