"""feedsync.http: the one way feedsync talks to a marketplace.

Adapters build one :class:`HttpClient` per channel account and call ``client.request(...)``;
retries, throttling, auth refresh, the circuit breaker, pagination and redaction come with it.
See docs/http.md for the design and examples. Everything importable from here is public API
(pinned by tests/http/test_public_api.py); submodules are implementation detail.
"""

from feedsync.http.actions import (
    DEFAULT_RULES,
    Action,
    ErrorTable,
    Resolution,
    Rule,
    default_error_code,
    json_body,
    rules_for_codes,
)
from feedsync.http.auth import (
    ApiKeyAuth,
    AuthChain,
    ClientCredentialsAuth,
    HttpAuth,
    OAuth2GrantAuth,
    OAuth2RefreshTokenAuth,
    StaticBearerAuth,
)
from feedsync.http.breaker import CircuitBreaker
from feedsync.http.client import IDEMPOTENT_METHODS, HttpClient, never_sent
from feedsync.http.clock import Clock, FakeClock, SystemClock
from feedsync.http.hints import (
    DEFAULT_HINT_HOOKS,
    HintHook,
    RateHint,
    parse_retry_after,
    rate_header_hint,
    ratelimit_reset_hint,
    retry_after_hint,
)
from feedsync.http.limits import ANY_OPERATION, OperationLimit
from feedsync.http.logsafe import RedactingFilter, safe_headers, safe_url
from feedsync.http.paginate import (
    CursorPaginator,
    JsonLinkPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageRequest,
    Paginator,
    TokenPaginator,
    dig,
)
from feedsync.http.retry import NO_RETRY, RetryPolicy
from feedsync.http.session import USER_AGENT, BaseUrls, Timeouts, build_session
from feedsync.http.store import MemoryStateStore, SqliteStateStore, StateStore
from feedsync.http.throttle import Deferral, RollingBudget, TokenBucket

__all__ = [
    "ANY_OPERATION",
    "DEFAULT_HINT_HOOKS",
    "DEFAULT_RULES",
    "IDEMPOTENT_METHODS",
    "NO_RETRY",
    "USER_AGENT",
    "Action",
    "ApiKeyAuth",
    "AuthChain",
    "BaseUrls",
    "CircuitBreaker",
    "ClientCredentialsAuth",
    "Clock",
    "CursorPaginator",
    "Deferral",
    "ErrorTable",
    "FakeClock",
    "HintHook",
    "HttpAuth",
    "HttpClient",
    "JsonLinkPaginator",
    "LinkHeaderPaginator",
    "MemoryStateStore",
    "OAuth2GrantAuth",
    "OAuth2RefreshTokenAuth",
    "OffsetPaginator",
    "OperationLimit",
    "PageRequest",
    "Paginator",
    "RateHint",
    "RedactingFilter",
    "Resolution",
    "RetryPolicy",
    "RollingBudget",
    "Rule",
    "SqliteStateStore",
    "StateStore",
    "StaticBearerAuth",
    "SystemClock",
    "Timeouts",
    "TokenBucket",
    "TokenPaginator",
    "build_session",
    "default_error_code",
    "dig",
    "json_body",
    "never_sent",
    "parse_retry_after",
    "rate_header_hint",
    "ratelimit_reset_hint",
    "retry_after_hint",
    "rules_for_codes",
    "safe_headers",
    "safe_url",
]
