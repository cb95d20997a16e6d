"""Shared builders for the Amazon adapter's HTTP tests (responses-mocked, no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses
from feedsync.adapters.amazon.adapter import AmazonAdapter
from feedsync.adapters.amazon.config import ENDPOINTS, LWA_TOKEN_URL, AmazonConfig
from pydantic import SecretStr

from feedsync.adapter import AdapterContext
from feedsync.http import FakeClock

BASE = ENDPOINTS["NA"]
SELLER = "A1SELLERID"
MARKETPLACE = "ATVPDKIKX0DER"
PRESIGNED = ("https://tortuga-prod-na.s3-external-1.amazonaws.com/%2FNinetyDays/amzn1.tortuga"
             "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeefcafe")
REPORT_URL = ("https://tortuga-prod-na.s3-external-1.amazonaws.com/report.json.gz"
              "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=feedface0001")
SECRETS = {"client_id": SecretStr("amzn1.application-oa2-client.abc"),
           "client_secret": SecretStr("client-secret-value-123"),
           "refresh_token": SecretStr("Atzr|refresh-token-value-456")}
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_adapter(**overrides: Any) -> tuple[AmazonAdapter, FakeClock]:
    """An adapter with a fake HTTP clock and in-memory HTTP state."""
    clock = FakeClock(start=NOW)
    settings = AmazonConfig(enabled=True, delivery="api", seller_id=SELLER,
                            marketplace_ids=[MARKETPLACE], **overrides)
    # No database: the core keeps the HTTP state (buckets, tokens) in memory.
    context = AdapterContext(workspace=None, settings=settings, secrets=SECRETS,  # type: ignore[arg-type]
                             db=None, clock=clock)
    return AmazonAdapter(context), clock


def add_token(rsps: responses.RequestsMock, token: str = "Atza|access-1",
              expires_in: int = 3600) -> None:
    """One LWA token answer."""
    rsps.add(responses.POST, LWA_TOKEN_URL,
             json={"access_token": token, "token_type": "bearer", "expires_in": expires_in,
                   "refresh_token": "Atzr|refresh-token-value-456"})


def example(specs: Path, name: str) -> Any:
    """An official example's response body (sandbox cases are unwrapped)."""
    data = json.loads((specs / "examples" / name).read_text())
    return data["response"] if isinstance(data, dict) and "request" in data else data
