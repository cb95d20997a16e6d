"""Fixtures of the sandbox tests: the spec oracle (skips when ../shared/specs is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.oracle import SpecOracle


@pytest.fixture(scope="session")
def oracle(specs_dir: Path) -> SpecOracle:
    """Validates every request the sandbox receives against the official contracts."""
    return SpecOracle(specs_dir)
