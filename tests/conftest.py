"""Fixtures every test module can use: the specs folder, a fresh workspace, its catalog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.catalog import Catalog, open_catalog
from feedsync.models import Product

REPO_ROOT = Path(__file__).resolve().parent.parent
SPECS_ENV = "FEEDSYNC_SPECS_DIR"


def specs_root() -> Path:
    """Where the marketplaces' official contracts live ($FEEDSYNC_SPECS_DIR or ../shared/specs)."""
    return Path(os.environ.get(SPECS_ENV) or REPO_ROOT.parent / "shared" / "specs")


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    """The specs folder; tests that need it skip with the reason when it is absent."""
    root = specs_root()
    if not (root / "PROVENANCE.md").is_file():
        pytest.skip(f"marketplace specs not found at {root} (set {SPECS_ENV})")
    return root


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, runner: CliRunner) -> Path:
    """A new workspace made by `feedsync init`, with the shipped default mappings."""
    from feedsync.cli.main import cli

    root = tmp_path / "ws"
    result = runner.invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def catalog(workspace: Path) -> Iterator[Catalog]:
    """The (empty) catalog of the fresh workspace."""
    cat = open_catalog(workspace / "feedsync.db")
    yield cat
    cat.db.close()


def make_product(sku: str = "SKU-1", **overrides: object) -> Product:
    """A valid product with sensible defaults; override any field by keyword."""
    values: dict[str, object] = {
        "sku": sku,
        "title": f"Product {sku}",
        "price": Decimal("19.99"),
        "currency": "USD",
        "description": "A <b>fine</b> product.",
        "brand": "Acme",
        "gtin": "4006381333931",
        "category": "Apparel > Shirts",
        "link": f"https://shop.example.com/products/{sku.lower()}",
        "images": [f"https://shop.example.com/img/{sku.lower()}.jpg"],
    }
    values.update(overrides)
    return Product(**values)  # type: ignore[arg-type]
