"""``[channels.google]``: the Merchant API settings (``delivery = "api"``) and their checks."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, model_validator

from feedsync.adapter_config import ApiConfig
from feedsync.errors import ConfigError

from .render import Target

__all__ = ["GoogleConfig"]


class GoogleConfig(ApiConfig):
    """``[channels.google]``: file feed keys are common; these are for ``delivery = "api"``."""

    # Checked for an enabled channel before any command runs (feedsync.config_channels).
    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "api": ("merchant_id", "data_source", "feed_label")}
    merchant_id: str = Field(default="", description="Merchant Center account id (digits)")
    data_source: str = Field(default="", description="API data source id, or its full name "
                             "accounts/{account}/dataSources/{datasource}")
    content_language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    # "The maximum allowed characters are 20, and the supported characters are A-Z, 0-9,
    # hyphen, and underscore" (ProductInput.feedLabel).
    feed_label: str = Field(default="", pattern=r"^[A-Z0-9_-]{0,20}$")
    settle_seconds: float = Field(default=300.0, ge=0,
                                  description="wait after an insert before reading its status")
    status_timeout_hours: float = Field(default=48.0, gt=0,
                                        description="give up waiting for Google to process")
    status_get_threshold: int = Field(default=100, ge=0, description="products.get lookups "
                                      "per run before one products.list walk answers the rest")

    @model_validator(mode="after")
    def _data_source_name(self) -> GoogleConfig:
        if self.data_source and not re.fullmatch(
                r"(accounts/[^/]+/dataSources/)?\d+", self.data_source):
            raise ValueError("data_source must be a data source id or "
                             "accounts/{account}/dataSources/{id}")
        if self.merchant_id and not self.merchant_id.isdigit():
            raise ValueError("merchant_id must be the numeric Merchant Center account id")
        return self

    def target(self) -> Target:
        """Where API pushes go; ConfigError names every missing key."""
        problems = [f"channels.google.{key}: required for delivery = 'api'"
                    for key in ("merchant_id", "data_source", "feed_label")
                    if not getattr(self, key)]
        if problems:
            missing = ", ".join(p.split(":")[0] for p in problems)
            raise ConfigError(f"Google Merchant API is not fully configured: set {missing} "
                              f"in feedsync.toml", problems)
        source = self.data_source
        if "/" not in source:
            source = f"accounts/{self.merchant_id}/dataSources/{source}"
        return Target(self.merchant_id, source, self.content_language, self.feed_label)


# What feedsync.registry.channel_config reads to check [channels.google] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = GoogleConfig
