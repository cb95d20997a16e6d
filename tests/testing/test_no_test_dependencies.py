"""Nothing a merchant can import pulls in pytest, responses or jsonschema (the ``test`` extra):
every module of feedsync and its built-in adapters imports without them."""

from __future__ import annotations

import ast
import subprocess
import sys

# Walks every module under feedsync (built-in adapters included: they install as
# feedsync.adapters) except the test doubles' base, which is test-only by design.
SCRIPT = """
import importlib, pkgutil, sys
import feedsync
skipped = {"feedsync.testing.http_double"}
failed = []
for info in pkgutil.walk_packages(feedsync.__path__, "feedsync."):
    if info.name in skipped:
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as exc:
        failed.append(f"{info.name}: {exc}")
leaked = sorted(m for m in ("pytest", "responses", "jsonschema", "hypothesis")
                if m in sys.modules)
print(repr((leaked, failed)))
"""


def test_no_module_imports_a_test_dependency() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, timeout=120)
    leaked, failed = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert leaked == [], f"imported by non-test code: {leaked}"
    assert failed == [], failed
