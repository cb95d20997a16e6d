"""Fixtures for the Google Merchant API adapter: a local service account, a clock, an adapter.

Nothing here touches the network: the RSA key is generated locally, and every HTTP exchange is
answered by ``responses``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from feedsync.adapters.google.adapter import GoogleAdapter, GoogleConfig
from google_oracle import load_discovery, validator
from google_support import TOKEN_URL
from jsonschema import Draft202012Validator
from pydantic import SecretStr

from feedsync.adapter import AdapterContext
from feedsync.config import Settings, Workspace
from feedsync.db import open_database
from feedsync.http import FakeClock


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """One locally generated key for the whole session (generation takes ~50 ms)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service_account(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """A service-account key file in Google's format, with the local key."""
    pem = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    info = {
        "type": "service_account", "project_id": "feedsync-test",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": pem,
        "client_email": "feedsync@feedsync-test.iam.gserviceaccount.com",
        "client_id": "108765432109876543210", "token_uri": TOKEN_URL,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


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
def make_adapter(tmp_path: Path, service_account: Path, clock: FakeClock
                 ) -> Callable[..., GoogleAdapter]:
    """Build a configured adapter; keyword arguments override config keys."""
    db = open_database(tmp_path / "feedsync.db")

    def build(**overrides: Any) -> GoogleAdapter:
        values: dict[str, Any] = {"enabled": True, "delivery": "api", "merchant_id": "123",
                                  "data_source": "456", "content_language": "en",
                                  "feed_label": "US", "settle_seconds": 300}
        values.update(overrides)
        config = GoogleConfig.model_validate(values)
        workspace = Workspace(root=tmp_path, settings=Settings())
        context = AdapterContext(
            workspace=workspace, settings=config,
            secrets={"service_account_file": SecretStr(str(service_account))}, db=db,
            clock=clock)
        return GoogleAdapter(context)

    return build


@pytest.fixture(scope="session")
def discovery(specs_dir: Path) -> dict[str, Any]:
    """The Merchant API products_v1 discovery document."""
    return load_discovery(specs_dir)


@pytest.fixture(scope="session")
def product_input_validator(discovery: dict[str, Any]) -> Draft202012Validator:
    """Validates ProductInput request bodies against the discovery document."""
    return validator(discovery, "ProductInput")
