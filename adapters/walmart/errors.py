"""Walmart's error answers: the code in any of its JSON shapes, and the error table.

Errors come as ``{"errors": [GatewayError]}`` (the ``errors`` arrays of the schemas in
../shared/specs/walmart) or, from Walmart's gateway, as ``{"errors": {"error": [...]}}`` or
``{"error": [...]}``; the token endpoint answers OAuth's ``{"error": "invalid_client"}``.
"""

from __future__ import annotations

from typing import Any

import requests

from feedsync.http import Action, ErrorTable, Rule, json_body


def _first_error(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    for key in ("errors", "error"):
        found = body.get(key)
        if isinstance(found, dict):
            found = found.get("error")
        if isinstance(found, list) and found and isinstance(found[0], dict):
            return found[0]
    return None


def error_code(response: requests.Response) -> str | None:
    """Walmart's error code in any of its JSON error shapes (or the OAuth ``error``)."""
    body = json_body(response)
    first = _first_error(body)
    if first is not None and first.get("code") is not None:
        return str(first["code"])
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return None


def error_detail(body: Any) -> str:
    """A one-line description of a Walmart error body (code, field, description)."""
    first = _first_error(body)
    if first is None:
        return ""
    parts = [str(first.get(k)) for k in ("code", "field", "description", "info") if first.get(k)]
    return ": ".join(parts)


WALMART_RULES: tuple[Rule, ...] = (
    # A feed over the size cap: "your request will be denied, receiving a 413 – Payload Too
    # Large" (https://developer.walmart.com/us-marketplace/docs/rate-limiting).
    Rule(Action.FAIL_SYSTEM, status=413, reason="feed larger than Walmart accepts"),
    Rule(Action.FAIL_SYSTEM, status=404, reason="not found"),
    Rule(Action.FAIL_SYSTEM, status=415, reason="unsupported media type"),
)
ERROR_TABLE = ErrorTable().extend(WALMART_RULES, code_of=error_code)
