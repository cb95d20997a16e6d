"""Fixtures for the Etsy adapter tests: the official OpenAPI contract under specs/etsy."""

from __future__ import annotations

from pathlib import Path

import pytest
from etsy_oracle import EtsyOracle, load_spec


@pytest.fixture(scope="session")
def oracle(specs_dir: Path) -> EtsyOracle:
    """Validators built from specs/etsy/etsy-openapi-v3-2025-02-16.json (skips without it)."""
    return EtsyOracle(load_spec(str(specs_dir)))
