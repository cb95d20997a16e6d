"""Fixtures of the eBay adapter tests: the official OAS contracts and the response fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ebay_specs(specs_dir: Path) -> Path:
    """specs/ebay (skips with the reason when the specs folder is absent)."""
    path = specs_dir / "ebay"
    if not (path / "sell_inventory_v1_oas3.json").is_file():
        pytest.skip(f"eBay OAS contracts not found in {path}")
    return path
