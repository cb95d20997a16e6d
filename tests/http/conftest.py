"""HTTP layer test fixtures: a fake clock, mocked HTTP, a client factory, a workspace DB."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlite_utils

from feedsync.db import open_database
from feedsync.http import FakeClock, HttpClient, SqliteStateStore

BASE = "https://api.example.test"


@pytest.fixture
def clock() -> FakeClock:
    """A clock that never really sleeps."""
    return FakeClock()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Mocked HTTP; every registered response must be used unless a test says otherwise."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    """A workspace database file (created 0600 by open_database)."""
    database = open_database(tmp_path / "feedsync.db")
    yield database
    database.close()


@pytest.fixture
def sqlite_store(db: sqlite_utils.Database) -> SqliteStateStore:
    """The SQLite state store on the workspace database."""
    return SqliteStateStore(db)


MakeClient = Callable[..., HttpClient]


@pytest.fixture
def make_client(clock: FakeClock) -> MakeClient:
    """Build a client for channel "acme" against BASE with the fake clock and a seeded RNG."""

    def factory(**overrides: Any) -> HttpClient:
        options: dict[str, Any] = {"base_url": BASE, "clock": clock, "rng": random.Random(7)}
        options.update(overrides)
        channel = options.pop("channel", "acme")
        return HttpClient(channel, **options)

    return factory
