"""The public names of feedsync.http are pinned: adding or removing one is a decision."""

from __future__ import annotations

import feedsync.http as http

EXPECTED = {
    "ANY_OPERATION", "DEFAULT_HINT_HOOKS", "DEFAULT_RULES", "IDEMPOTENT_METHODS", "NO_RETRY",
    "USER_AGENT", "Action", "ApiKeyAuth", "AuthChain", "BaseUrls", "CircuitBreaker",
    "ClientCredentialsAuth", "Clock", "CursorPaginator", "Deferral", "ErrorTable", "FakeClock",
    "HintHook", "HttpAuth", "HttpClient", "JsonLinkPaginator", "LinkHeaderPaginator",
    "MemoryStateStore",
    "OAuth2GrantAuth", "OAuth2RefreshTokenAuth", "OffsetPaginator", "OperationLimit",
    "PageRequest", "Paginator",
    "RateHint", "RedactingFilter", "Resolution", "RetryPolicy", "RollingBudget", "Rule",
    "SqliteStateStore", "StateStore", "StaticBearerAuth", "SystemClock", "Timeouts",
    "TokenBucket", "TokenPaginator", "build_session",
    "default_error_code", "dig", "json_body", "never_sent", "parse_retry_after",
    "rate_header_hint", "ratelimit_reset_hint", "retry_after_hint", "rules_for_codes",
    "safe_headers", "safe_url",
}


def test_all_is_pinned() -> None:
    assert set(http.__all__) == EXPECTED
    assert http.__all__ == sorted(http.__all__, key=lambda n: (not n.isupper(), n))


def test_every_public_name_exists_and_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "http.md").read_text()
    for name in http.__all__:
        obj = getattr(http, name)
        assert obj is not None
        assert f"`{name}" in doc, f"{name} is not mentioned in docs/http.md"
