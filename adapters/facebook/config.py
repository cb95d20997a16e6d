"""``[channels.facebook]``: the Meta catalog settings (``delivery = "api"``) and their checks."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from feedsync.adapter_config import ApiConfig

__all__ = ["FacebookConfig"]


class FacebookConfig(ApiConfig):
    """``[channels.facebook]``: common keys plus what ``delivery = "api"`` needs
    (``environment``/``base_url``: see ApiConfig)."""

    # Checked for an enabled channel before any command runs (feedsync.config_channels).
    REQUIRED_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {"api": ("catalog_id",)}
    catalog_id: str = Field(default="", description="the product catalog id (digits)")
    graph_version: str = Field(default="v26.0", pattern=r"^v\d+\.\d+$")

    @field_validator("catalog_id")
    @classmethod
    def _digits(cls, value: str) -> str:
        if value and not value.isdigit():
            raise ValueError("catalog_id must be the numeric product catalog id")
        return value


# What feedsync.registry.channel_config reads to check [channels.facebook] without importing the
# adapter (issue #19); it is the adapter's Config.
CONFIG = FacebookConfig
