"""The first-hour walkthrough (issue #17): the example workspace copied to a temporary folder,
its sample catalog imported, every command run as a merchant runs it (click runner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT


def run(root: Path, *args: str, input: str | None = None) -> Result:
    """``feedsync --workspace ROOT ARGS…`` with stdout and stderr kept apart."""
    return CliRunner().invoke(cli, ["--workspace", str(root), *args], input=input)


def one_json(result: Result) -> dict[str, Any]:
    """Stdout parsed as exactly one JSON object (fails the test otherwise)."""
    text = result.stdout.strip()
    data = json.loads(text)  # raises on a second object or trailing text
    assert isinstance(data, dict), text
    return data


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The repository's example workspace (feedsync.toml, mappings, samples) with its sample
    catalog imported, in a folder of its own."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO_ROOT / "feedsync.toml", root / "feedsync.toml")
    shutil.copytree(REPO_ROOT / "mappings", root / "mappings")
    shutil.copytree(REPO_ROOT / "samples", root / "samples")
    result = run(root, "catalog", "import", str(root / "samples" / "catalog.csv"))
    assert result.exit_code == 0, result.output
    return root


def append_config(root: Path, text: str) -> None:
    """Add TOML to the workspace's feedsync.toml."""
    path = root / "feedsync.toml"
    path.write_text(path.read_text() + "\n" + text)
