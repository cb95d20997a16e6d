"""Helpers for mapping tests: a mapper from inline TOML text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from feedsync.mapping.engine import ChannelMapper
from feedsync.registry import channel_schema

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BASE_FIELDS = """
[fields]
id = "sku"
title = "title"
description = { from = "description", transforms = ["strip_html"] }
link = "link"
image_link = "image"
availability = { rule = "availability" }
price = { rule = "price" }
"""

MapperFactory = Callable[..., ChannelMapper]


@pytest.fixture
def make_mapper(tmp_path: Path) -> MapperFactory:
    """``make_mapper(text, channel="google")``: a ChannelMapper for inline mapping TOML."""
    counter = iter(range(1000))

    def build(text: str, channel: str = "google", **kwargs: object) -> ChannelMapper:
        path = tmp_path / f"{channel}-{next(counter)}.toml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        kwargs.setdefault("rates", {"EUR": Decimal("0.92")})
        return ChannelMapper(channel_schema(channel), path, **kwargs)  # type: ignore[arg-type]

    return build
