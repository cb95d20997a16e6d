"""The one table that decides what a channel's answer means.

Every response and every transport exception is classified here into an :class:`Action`; the
client then acts on it and nothing else makes that decision. Rules are matched in order, first
match wins. Adapters put their channel's rules in front of the defaults with
:meth:`ErrorTable.extend`, e.g. Meta reports throttling as HTTP 400 with error code 17
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting), which a rule maps to
``RATE_LIMITED``; Amazon's ``InvalidInput`` on a listing is ``FAIL_ITEM``.

A rule matches on status (one code, a range, or any), on the channel's error code (extracted
from the body by the table's ``code_of`` function) and optionally on a predicate over the
response, for throttling or item errors that only the body reveals.

A resolution also says whether the answer means the request was **not processed**
(:attr:`Resolution.unprocessed`), which makes re-sending safe even for a POST or PATCH that is
not idempotent. Every 429 Too Many Requests is (RFC 6585 §4: the server refused the request for
rate limiting and says when to make it again; Amazon SP-API: a throttled request is rejected
before any work, "you can retry throttled requests later" —
https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits). Other answers are
only when an adapter's rule says so (``Rule(..., unprocessed=True)``), for throttling the
channel documents, e.g. a 503 with Retry-After from its throttling front end. A plain 5xx or a
timeout is not: the server may have acted on the request before failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import requests

Predicate = Callable[[requests.Response], bool]
CodeExtractor = Callable[[requests.Response], "str | None"]


class Action(Enum):
    """What to do with an answer."""

    OK = "ok"                      # hand the response to the caller
    RETRY = "retry"                # transient: back off and try again
    RATE_LIMITED = "rate_limited"  # the channel throttled us: wait as told, then retry
    REFRESH_AUTH = "refresh_auth"  # get a new access token once, then retry once
    FAIL_CONFIG = "fail_config"    # needs a human (credentials, permissions): stop the channel
    FAIL_ITEM = "fail_item"        # this SKU's data is wrong: report it, carry on with others
    FAIL_SYSTEM = "fail_system"    # the request itself is wrong or the channel broke


@dataclass(frozen=True)
class Rule:
    """One row of the table: conditions → action (and an optional explanation for humans)."""

    action: Action
    status: int | tuple[int, int] | None = None  # exact, inclusive range, or any
    code: str | None = None  # the channel's error code, compared as a string
    when: Predicate | None = None
    reason: str = ""
    # The channel documents this answer as a refusal before processing (its throttling): safe to
    # re-send whatever the method. Set it only with the documentation's link in a comment.
    unprocessed: bool = False

    def matches(self, status: int, code: str | None, response: requests.Response | None) -> bool:
        """True if this rule applies to ``status``/``code``/``response``."""
        if isinstance(self.status, int) and status != self.status:
            return False
        if isinstance(self.status, tuple) and not self.status[0] <= status <= self.status[1]:
            return False
        if self.code is not None and self.code != code:
            return False
        if self.when is not None:
            return response is not None and _safe_predicate(self.when, response)
        return True


def _safe_predicate(predicate: Predicate, response: requests.Response) -> bool:
    # A predicate that chokes on an unexpected body must not turn into an unclassified crash.
    try:
        return bool(predicate(response))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return False


@dataclass(frozen=True)
class Resolution:
    """The outcome of classifying one answer."""

    action: Action
    status: int | None = None
    code: str | None = None
    reason: str = ""
    unprocessed: bool = False  # the request was refused unprocessed: re-sending is safe


# RFC 6585 §4. Whatever rule matched it, a 429 is a refusal before processing (module docstring).
TOO_MANY_REQUESTS = 429


def json_body(response: requests.Response) -> Any:
    """The response body as JSON, or None if it is not JSON."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def default_error_code(response: requests.Response) -> str | None:
    """Find the channel error code in the common JSON error shapes.

    ``{"errors": [{"code": ..}]}`` (Amazon SP-API, Walmart), ``{"errors": [{"errorId": ..}]}``
    (eBay), ``{"error": {"code": .., "status": ..}}`` (Google, Meta), ``{"error": "invalid_grant"}``
    (OAuth token endpoints), ``{"code": ..}``.
    """
    body = json_body(response)
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        for name in ("code", "errorId", "reason"):
            if errors[0].get(name) is not None:
                return str(errors[0][name])
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        for name in ("code", "status", "type"):
            if error.get(name) is not None:
                return str(error[name])
    if body.get("code") is not None:
        return str(body["code"])
    return None


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(Action.OK, status=(100, 399)),
    Rule(Action.REFRESH_AUTH, status=401, reason="the access token was refused"),
    Rule(Action.FAIL_CONFIG, status=403, reason="permission denied: check the app's roles/scopes"),
    Rule(Action.FAIL_CONFIG, status=407, reason="proxy authentication required"),
    Rule(Action.RETRY, status=408, reason="request timeout"),
    Rule(Action.RATE_LIMITED, status=429, reason="too many requests"),
    # 400/409/422 usually mean "the data we sent is wrong"; when the request is not about one
    # SKU the client reports them as FAIL_SYSTEM (see HttpClient.request's ``item``).
    Rule(Action.FAIL_ITEM, status=400, reason="the channel rejected the data"),
    Rule(Action.FAIL_ITEM, status=409, reason="conflict with the channel's current state"),
    Rule(Action.FAIL_ITEM, status=422, reason="the channel rejected the data"),
    Rule(Action.FAIL_SYSTEM, status=(501, 501), reason="not implemented by the channel"),
    Rule(Action.RETRY, status=(500, 599), reason="server error"),
    Rule(Action.FAIL_SYSTEM, reason="unexpected answer"),
)

# Transport failures. A timeout or a dropped connection is transient; a malformed URL is ours.
_EXCEPTION_RULES: tuple[tuple[type[BaseException], Action], ...] = (
    (requests.exceptions.InvalidURL, Action.FAIL_CONFIG),
    (requests.exceptions.InvalidSchema, Action.FAIL_CONFIG),
    (requests.exceptions.MissingSchema, Action.FAIL_CONFIG),
    (requests.exceptions.InvalidHeader, Action.FAIL_SYSTEM),
    (requests.exceptions.ConnectionError, Action.RETRY),
    (requests.exceptions.Timeout, Action.RETRY),
    (requests.exceptions.ChunkedEncodingError, Action.RETRY),
    (requests.exceptions.ContentDecodingError, Action.RETRY),
)


@dataclass(frozen=True)
class ErrorTable:
    """Ordered rules from (status, channel error code) to an :class:`Action`."""

    rules: tuple[Rule, ...] = DEFAULT_RULES
    code_of: CodeExtractor = field(default=default_error_code)

    def extend(self, rules: Iterable[Rule], *, code_of: CodeExtractor | None = None
               ) -> ErrorTable:
        """A new table with ``rules`` checked before these (adapters add their channel's codes)."""
        return ErrorTable(rules=(*tuple(rules), *self.rules), code_of=code_of or self.code_of)

    def classify(self, response: requests.Response) -> Resolution:
        """Classify a response (every status, including 2xx: some channels report errors in
        a 200 body and say so through a rule's predicate)."""
        status = response.status_code
        code = self.code_of(response) if status >= 400 else None
        for rule in self.rules:
            if rule.matches(status, code, response):
                if rule.action is not Action.OK and code is None:
                    code = self.code_of(response)
                return Resolution(rule.action, status, code, rule.reason,
                                  unprocessed=rule.unprocessed or status == TOO_MANY_REQUESTS)
        return Resolution(Action.FAIL_SYSTEM, status, code, "no rule matched",
                          unprocessed=status == TOO_MANY_REQUESTS)

    @staticmethod
    def classify_exception(exc: BaseException) -> Resolution:
        """Classify a transport exception raised by requests."""
        for kind, action in _EXCEPTION_RULES:
            if isinstance(exc, kind):
                return Resolution(action, None, None, type(exc).__name__)
        return Resolution(Action.FAIL_SYSTEM, None, None, type(exc).__name__)


def rules_for_codes(action: Action, codes: Sequence[str | int], *, status: int | None = None,
                    reason: str = "") -> list[Rule]:
    """Shorthand for adapters: one rule per channel error code, all with the same action."""
    return [Rule(action, status=status, code=str(c), reason=reason) for c in codes]
