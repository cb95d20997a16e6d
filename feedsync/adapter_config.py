"""The base classes of an adapter's ``Config`` (its keys under ``[channels.<name>]``).

Apart from :mod:`feedsync.adapter` so that an adapter package's ``config.py`` — which
:mod:`feedsync.config_channels` imports to check feedsync.toml before every command — does not
pull in the HTTP stack and the adapter kit (issue #19). :mod:`feedsync.adapter` re-exports both.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AdapterConfig", "ApiConfig"]


class AdapterConfig(BaseModel):
    """Base for an adapter's ``Config``: unknown keys are errors, named by the config loader."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    delivery: str = "file"
    mapping: str | None = None
    account: str = "default"
    adapter: str | None = None
    # [channels.<name>.guardrails] belongs to the sync engine (feedsync.sync.guardrails).
    guardrails: dict[str, Any] = Field(default_factory=dict)


class ApiConfig(AdapterConfig):
    """Base for the ``Config`` of a channel with an HTTP API: where the API is.

    ``environment`` picks one of the roots the adapter declares (``HttpApi.base_urls``); an
    http(s) URL there, or ``base_url``, points the adapter elsewhere (the sandbox, a loopback
    test server). ``base_url`` wins over ``environment``.
    """

    environment: str = Field(default="production",
                             description="'production', 'sandbox' or an http(s) URL")
    base_url: str | None = Field(default=None, description="override of the API root")

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value
