"""Helpers shared by the sandbox and end-to-end tests: a sandbox-backed workspace, the CLI.

(A module rather than a conftest so test modules can import it.)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from feedsync.cli.main import cli
from feedsync.sandbox import RunningSandbox, running_sandbox
from feedsync.sandbox.workspace import write_sandbox_workspace
from tests.conftest import REPO_ROOT

SAMPLE_CATALOG = REPO_ROOT / "samples" / "catalog.csv"
# A variation family and a standalone product from samples/catalog.csv that every channel's
# rules accept: the quick catalog for tests that need listings, not the whole sample.
FAMILY = "HOOD-MER"
MUG = "MUG-STN-350"


def small_catalog(path: Path) -> list[str]:
    """Write the family and the mug from the sample catalog to ``path``; returns their SKUs."""
    with SAMPLE_CATALOG.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [r for r in reader if r["item_group_id"] == FAMILY or r["sku"] == MUG]
        fields = list(reader.fieldnames or [])
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return [r["sku"] for r in rows]


@dataclass
class Demo:
    """A running sandbox and a workspace whose channels point at it."""

    sandbox: RunningSandbox
    workspace: Path

    def feedsync(self, *args: str) -> Result:
        """Run the CLI in-process on the workspace."""
        return CliRunner().invoke(cli, ["--workspace", str(self.workspace), *args])

    def feedsync_json(self, *args: str) -> dict[str, Any]:
        """Run the CLI with --json and return its object."""
        result = self.feedsync("--json", *args)
        return json.loads(result.output.strip().splitlines()[-1])

    def subprocess(self, *args: str, env: dict[str, str] | None = None,
                   timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``python -m feedsync`` in a child process on the workspace."""
        return subprocess.run(
            [sys.executable, "-m", "feedsync", "--workspace", str(self.workspace), *args],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})}, check=False)

    def quantities(self, channel: str, skus: Sequence[str]) -> dict[str, int]:
        """What ``channel``'s sandbox shows buyers for ``skus``."""
        app = self.sandbox.app
        with app.store.transaction() as db:
            return app.markets[channel].quantities(app.exchange(channel, db), list(skus))

    def expect_violations(self, *fragments: str) -> None:
        """The requests a test sent on purpose against the contract: the oracle must have
        flagged exactly those (one violation per fragment, in order); then forget them."""
        found = self.sandbox.app.violations
        assert len(found) == len(fragments), found
        for violation, fragment in zip(found, fragments, strict=True):
            assert fragment in violation, (fragment, violation)
        found.clear()

    def clean(self) -> None:
        """Assert the sandbox saw no contract breach and had no bug."""
        assert self.sandbox.app.violations == [], self.sandbox.app.violations
        assert self.sandbox.app.internal_errors == [], self.sandbox.app.internal_errors


@contextmanager
def demo(tmp_path: Path, *, channels: Sequence[str] | None = None, oracle: Any = None,
         import_sample: bool = True, small: bool = False, **options: Any) -> Iterator[Demo]:
    """A sandbox on a free port and a workspace on it (the sample catalog imported, or with
    ``small`` only the family and mug of :func:`small_catalog`)."""
    observers = [oracle] if oracle is not None else []
    with running_sandbox(tmp_path / "sandbox.db", channels=list(channels or []) or None,
                         observers=observers, **options) as sandbox:
        workspace = tmp_path / "shop"
        workspace.mkdir()
        write_sandbox_workspace(workspace, app=sandbox.app)
        found = Demo(sandbox, workspace)
        if import_sample:
            catalog = SAMPLE_CATALOG
            if small:
                catalog = tmp_path / "small-catalog.csv"
                small_catalog(catalog)
            result = found.feedsync("catalog", "import", str(catalog))
            assert result.exit_code == 0, result.output
        yield found
