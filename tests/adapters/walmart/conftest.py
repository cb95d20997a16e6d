"""Fixtures for the Walmart adapter tests: the official contracts under specs/walmart."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def walmart_specs(specs_dir: Path) -> Path:
    """specs/walmart (the tests using it skip with the reason when the specs are absent)."""
    return specs_dir / "walmart"
