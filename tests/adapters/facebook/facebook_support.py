"""Constants shared by the Meta adapter tests (a unique module name: every test folder has a
``conftest`` module, so tests import from here, never from ``conftest``)."""

from __future__ import annotations

GRAPH = "https://graph.facebook.com/v26.0/1234567890"
TOKEN = "EAAB-system-user-token-for-tests"
