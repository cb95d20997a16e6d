"""Fixtures for the Meta catalog adapter: specs oracle, a fake clock, a configured adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from facebook_oracle import MetaSpecs
from facebook_support import TOKEN
from feedsync.adapters.facebook.adapter import FacebookAdapter, FacebookConfig
from pydantic import SecretStr

from feedsync.adapter import AdapterContext
from feedsync.config import Settings, Workspace
from feedsync.db import open_database
from feedsync.http import FakeClock


@pytest.fixture(scope="session")
def meta_specs(specs_dir: Path) -> MetaSpecs:
    """Meta's Graph API specs (skips when the specs folder is absent)."""
    return MetaSpecs(specs_dir)


@pytest.fixture
def clock() -> FakeClock:
    """The HTTP layer's clock: sleeps are instant and recorded."""
    return FakeClock(start=1_800_000_000.0)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Every request must be answered by a registered response."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_adapter(tmp_path: Path, clock: FakeClock) -> Callable[..., FacebookAdapter]:
    """Build a configured adapter; keyword arguments override config keys (``secrets=`` too)."""
    db = open_database(tmp_path / "feedsync.db")

    def build(secrets: dict[str, SecretStr] | None = None, **overrides: Any
              ) -> FacebookAdapter:
        values: dict[str, Any] = {"enabled": True, "delivery": "api",
                                  "catalog_id": "1234567890"}
        values.update(overrides)
        context = AdapterContext(
            workspace=Workspace(root=tmp_path, settings=Settings()),
            settings=FacebookConfig.model_validate(values),
            secrets={"access_token": SecretStr(TOKEN)} if secrets is None else secrets,
            db=db, clock=clock)
        return FacebookAdapter(context)

    return build
