"""``[channels.<name>]`` of the file channel: its own keys (checked without importing the
adapter, as a built-in adapter's ``config.py`` is: feedsync.registry.channel_config)."""

from __future__ import annotations

from feedsync.adapter_config import AdapterConfig

__all__ = ["CONFIG", "FakeConfig"]


class FakeConfig(AdapterConfig):
    """``[channels.<name>]`` of the file channel (see the module docstring)."""

    orders_file: str = "orders.json"
    state_dir: str = "fake_state"
    page_size: int = 2
    fail_ack: bool = False
    reject_tracking_prefix: str | None = None
    pending_tracking_prefix: str | None = None  # answered PENDING: "temporary, try again"


CONFIG = FakeConfig
