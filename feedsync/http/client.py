"""HttpClient: the one object an adapter talks to its marketplace through.

``client.request(method, path, operation=...)`` runs, in order: the circuit breaker (fail fast
if this channel account already failed auth in this run), the throttle (token buckets and daily
budgets of the operation), auth (fresh token), the send with debug logging of a redacted
request line and the channel's request ids, the hints in the response headers (Retry-After,
rate-limit resets, learned rates), and finally the error table, whose action decides everything
else. Retries wrap the whole sequence with their own state per call.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from feedsync.errors import (
    AuthError,
    BudgetExhausted,
    ChannelError,
    CircuitOpen,
    ItemRejected,
    OutcomeUnknown,
    PaginationLoop,
    TransientError,
)
from feedsync.http.actions import Action, ErrorTable, Resolution
from feedsync.http.auth import AuthContext, HttpAuth
from feedsync.http.breaker import CircuitBreaker
from feedsync.http.clock import Clock, SystemClock
from feedsync.http.hints import DEFAULT_HINT_HOOKS, HintHook, RateHint, combine
from feedsync.http.limits import ANY_OPERATION, OperationLimit, index_limits
from feedsync.http.logsafe import (
    body_excerpt,
    install_redaction,
    register_url_secrets,
    request_ids,
    safe_headers,
    safe_url,
)
from feedsync.http.paginate import PageRequest, Paginator
from feedsync.http.retry import RetriesExhausted, RetryPolicy, RetryRequested, call_with_retries
from feedsync.http.session import DEFAULT_TIMEOUTS, Timeouts, build_session, join_url, same_origin
from feedsync.http.store import MemoryStateStore, StateStore
from feedsync.http.throttle import Deferral, DeferralLog, RollingBudget, Throttle

log = logging.getLogger("feedsync.http")

# RFC 9110 §9.2.2: repeating these has the same effect as sending them once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def never_sent(exc: BaseException) -> bool:
    """True if the request provably never left this machine, so even a POST may be re-sent.

    Only two cases qualify: a connect timeout, and a connection error whose cause is urllib3's
    ``NewConnectionError`` (DNS failure, connection refused): no TCP connection existed. A reset
    on a reused keep-alive connection does *not* qualify: the server may have read the request.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        pending: list[object] = [exc]
        seen: set[int] = set()
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, NewConnectionError):
                return True
            if isinstance(item, BaseException):
                pending.extend(item.args)
                pending.extend(x for x in (item.__cause__, item.__context__) if x is not None)
                reason = getattr(item, "reason", None)
                if reason is not None:
                    pending.append(reason)
    return False


class HttpClient:
    """A channel account's HTTP access: retries, throttling, auth, breaker, redaction.

    One instance per (channel, account) and run. ``state_store`` should be a
    :class:`~feedsync.http.store.SqliteStateStore` on the workspace database in real runs (bucket
    levels, daily budgets and rotated refresh tokens persist across runs); the default is
    in-memory.
    """

    def __init__(self, channel: str, *, base_url: str, account: str = "default",
                 auth: HttpAuth | None = None, limits: Iterable[OperationLimit] = (),
                 error_table: ErrorTable | None = None, state_store: StateStore | None = None,
                 clock: Clock | None = None, retry: RetryPolicy | None = None,
                 session: requests.Session | None = None, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 hint_hooks: Iterable[HintHook] = DEFAULT_HINT_HOOKS,
                 max_throttle_wait: float | None = 900.0, rng: random.Random | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.channel = channel
        self.account = account
        self.base_url = base_url
        self.auth = auth
        self.error_table = error_table or ErrorTable()
        self.store: StateStore = state_store if state_store is not None else MemoryStateStore()
        self.clock: Clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.session = session or build_session(headers=headers)
        self.timeouts = timeouts
        self.hint_hooks = tuple(hint_hooks)
        self.rng = rng or random.Random()
        self.limits = index_limits(list(limits))
        self.breaker = CircuitBreaker(channel, account)
        install_redaction()
        self._deferrals = DeferralLog()
        self.throttle = Throttle(channel, account, self.limits, self.store, self.clock,
                                 self._deferrals, max_throttle_wait)
        if auth is not None:
            auth.bind(AuthContext(self.session, self.clock, self.store, channel, account,
                                  timeouts.as_tuple()))
        for operation in self.limits:
            budget = self.throttle.budget(operation) or self.throttle.budget(
                operation, per_key=True)
            if budget is not None:
                budget.prune()
                break

    # --- what the sync engine uses ----------------------------------------------------------

    @property
    def label(self) -> str:
        """"channel[account]" for messages."""
        return f"{self.channel}[{self.account}]"

    def key_budget(self, operation: str) -> RollingBudget:
        """The per-key daily budget of ``operation`` (e.g. Google's two updates per product a day).

        ``budget.try_consume(sku)`` returns False (and records a :class:`Deferral`) when the key
        has used its allowance; ``try_consume_many(skus)`` does a whole batch in one transaction.
        """
        budget = self.throttle.budget(operation, per_key=True)
        if budget is None:
            raise KeyError(
                f"{self.label}: operation {operation!r} declares no per_key_daily_budget")
        return budget

    def budget_remaining(self, operation: str) -> int | None:
        """Calls of ``operation`` left in its daily budget(s) now; None if unlimited."""
        remaining = [b.remaining(b.scope.operation) for b in (
            self.throttle.budget(operation), self.throttle.budget("*")) if b is not None]
        return min(remaining) if remaining else None

    def deferred(self) -> list[Deferral]:
        """Everything deferred to the next run so far (for the run report)."""
        return self._deferrals.items()

    # --- requests ---------------------------------------------------------------------------

    def get(self, path: str, *, operation: str, **kwargs: Any) -> requests.Response:
        """``request("GET", ...)``."""
        return self.request("GET", path, operation=operation, **kwargs)

    def post(self, path: str, *, operation: str, **kwargs: Any) -> requests.Response:
        """``request("POST", ...)``: a 429 is retried; a 5xx or a timeout only with
        ``idempotent=True``."""
        return self.request("POST", path, operation=operation, **kwargs)

    def request(self, method: str, path: str, *, operation: str, idempotent: bool | None = None,
                item: str | None = None, ok_statuses: Iterable[int] = (),
                retry: RetryPolicy | None = None, **kwargs: Any) -> requests.Response:
        """Send one logical request and return its response, or raise the classified error.

        ``operation`` names the throttled operation (as in the adapter's limits). ``idempotent``
        defaults by method (GET/PUT/DELETE yes, POST/PATCH no); pass True for a POST the API
        makes safe to repeat. A 429 (or an answer an adapter rule marks ``unprocessed``) is
        retried whatever the method: the channel refused the request without processing it.
        ``item`` is the SKU a FAIL_ITEM answer is reported against. ``ok_statuses`` are
        returned instead of raised (e.g. 404 on a lookup). Other keyword arguments go to
        ``requests`` (params, json, data, headers, timeout …).

        Raises CircuitOpen (auth/config failure, or the channel already stopped this run),
        ItemRejected, ChannelError, BudgetExhausted (deferred to the next run) or
        TransientError (retries exhausted).
        """
        method = method.upper()
        label = f"{self.label} {operation}"
        self.breaker.check()
        url = join_url(self.base_url, path)
        register_url_secrets(url)
        authenticated = same_origin(url, self.base_url)
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        ok = frozenset(ok_statuses)
        kwargs.setdefault("timeout", self.timeouts.as_tuple())
        # Credentials must not follow a redirect to another host (requests strips only
        # "Authorization", not x-amz-access-token & co.), so API calls do not follow redirects.
        kwargs.setdefault("allow_redirects", not authenticated)

        def attempt(number: int) -> requests.Response:
            return self._attempt(method, url, operation, label, authenticated, safe, item, ok,
                                 kwargs)

        policy = retry or self.retry
        try:
            return call_with_retries(attempt, policy=policy, clock=self.clock, rng=self.rng,
                                     label=label)
        except RetriesExhausted as exc:
            raise self._exhausted(label, operation, policy, exc) from None

    def _attempt(self, method: str, url: str, operation: str, label: str, authenticated: bool,
                 safe: bool, item: str | None, ok: frozenset[int], kwargs: dict[str, Any]
                 ) -> requests.Response:
        send_keys = ("timeout", "allow_redirects", "stream", "verify", "cert", "proxies")
        send_kwargs = {k: kwargs[k] for k in send_keys if k in kwargs}
        request_kwargs = {k: v for k, v in kwargs.items() if k not in send_keys}
        refreshed = False
        while True:  # at most twice: once more after refreshing the token on a 401
            self.breaker.check()  # another thread may have stopped the channel meanwhile
            self.throttle.acquire(operation)
            prepared = self._prepare(method, url, label, authenticated, request_kwargs)
            log.debug("%s: %s %s headers=%s", label, method, safe_url(prepared.url or url),
                      safe_headers(prepared.headers))
            try:
                response = self.session.send(prepared, **send_kwargs)
            except requests.exceptions.RequestException as exc:
                resolution = ErrorTable.classify_exception(exc)
                if resolution.action is Action.RETRY and (safe or never_sent(exc)):
                    raise RetryRequested(resolution, error=exc) from exc
                raise self._failure(label, resolution, None, item, error=exc) from None
            hint = self._apply_hints(response, operation)
            ids = request_ids(response.headers)
            log.debug("%s: HTTP %d in %.0f ms%s", label, response.status_code,
                      response.elapsed.total_seconds() * 1000,
                      f" ids={ids}" if ids else "")
            if response.status_code in ok:
                return response
            resolution = self.error_table.classify(response)
            action = resolution.action
            if action is Action.OK:
                return response
            if not authenticated and action in (Action.REFRESH_AUTH, Action.FAIL_CONFIG):
                # A presigned URL on another host (an S3 feed document) that says 401/403 has
                # expired or is wrong; our channel credentials were not involved.
                raise ChannelError(self._describe(label, resolution, response),
                                   channel=self.channel, status=response.status_code)
            if action is Action.REFRESH_AUTH:
                # A 401 was refused before processing, so re-sending is safe even for a POST.
                if refreshed or self.auth is None or not self.auth.can_refresh:
                    why = "after a token refresh" if refreshed else "and it cannot be refreshed"
                    raise self._trip(label, resolution, response,
                                     f"the channel refused the access token {why}")
                try:
                    self.auth.refresh(prepared)
                except AuthError as exc:
                    raise self._trip(label, resolution, response, exc.message) from None
                refreshed = True
                continue
            if action in (Action.RETRY, Action.RATE_LIMITED):
                if action is Action.RATE_LIMITED and hint.block_until is None:
                    self.throttle.block_until(self._scope(operation), self.clock.time(),
                                              tokens_then=0.0)
                # A non-idempotent request is re-sent only when the answer says it was refused
                # unprocessed (any 429; throttling an adapter's rule documents): a 5xx may
                # come after the server acted on it.
                if safe or resolution.unprocessed:
                    raise RetryRequested(resolution, wait=hint.retry_after, response=response)
            raise self._failure(label, resolution, response, item)

    def _prepare(self, method: str, url: str, label: str, authenticated: bool,
                 request_kwargs: dict[str, Any]) -> requests.PreparedRequest:
        auth = self.auth if authenticated else None
        request = requests.Request(method, url, auth=auth, **request_kwargs)
        try:
            return self.session.prepare_request(request)
        except AuthError as exc:  # the token endpoint refused our credentials
            raise self._trip(label, Resolution(Action.FAIL_CONFIG), None, exc.message) from None

    def _scope(self, operation: str) -> str:
        """The bucket a channel's "slow down" applies to: the operation's, else the account's."""
        return operation if operation in self.limits else ANY_OPERATION

    def _apply_hints(self, response: requests.Response, operation: str) -> RateHint:
        now = self.clock.time()
        found = [h for h in (hook(response, now) for hook in self.hint_hooks) if h is not None]
        hint = combine(found)
        scope = self._scope(operation)
        if hint.rate is not None:
            self.throttle.learn_rate(scope, hint.rate)
        if hint.block_until is not None:
            self.throttle.block_until(scope, hint.block_until)
        return hint

    # --- errors -----------------------------------------------------------------------------

    def _describe(self, label: str, resolution: Resolution, response: requests.Response | None,
                  error: BaseException | None = None) -> str:
        if response is None:
            what = f"{type(error).__name__ if error else resolution.reason}"
            detail = f": {error}" if error else ""
            return f"{label}: request failed ({what}){detail}"
        code = f" {resolution.code}" if resolution.code else ""
        reason = f" ({resolution.reason})" if resolution.reason else ""
        ids = request_ids(response.headers)
        text = body_excerpt(response.text) if response.content else ""
        body = f": {text}" if text else ""
        return f"{label}: HTTP {response.status_code}{code}{reason}{body}" + (
            f" [request ids {ids}]" if ids else "")

    def _trip(self, label: str, resolution: Resolution, response: requests.Response | None,
              why: str) -> CircuitOpen:
        message = self._describe(label, resolution, response)
        hint = "fix the credentials or the app's permissions and run again"
        status = response.status_code if response is not None else None
        return self.breaker.open(f"{message}: {why}; {hint}", status)

    def _failure(self, label: str, resolution: Resolution, response: requests.Response | None,
                 item: str | None, error: BaseException | None = None) -> Exception:
        message = self._describe(label, resolution, response, error)
        status = response.status_code if response is not None else None
        action = resolution.action
        if action is Action.FAIL_CONFIG:
            return self._trip(label, resolution, response, "the channel needs a human")
        if action in (Action.RETRY, Action.RATE_LIMITED):
            # Not sent again: the channel may have acted on it. The caller reads back.
            return OutcomeUnknown(f"{message}; not retried: the request is not idempotent and "
                                  f"the channel may have processed it (the adapter may mark it "
                                  f"idempotent=True if the API allows)")
        if action is Action.FAIL_ITEM and item is not None:
            return ItemRejected(message, channel=self.channel, sku=item)
        return ChannelError(message, channel=self.channel, status=status)

    def _exhausted(self, label: str, operation: str, policy: RetryPolicy,
                   exc: RetriesExhausted) -> TransientError:
        last = exc.last
        outcome = exc.outcome
        message = self._describe(label, last.resolution, last.response, last.error)
        if outcome.wanted_wait is not None and outcome.wanted_wait > policy.max_elapsed:
            # Waiting would not fit in any request's time budget: this is for the next run.
            reason = (f"the channel asked to wait {outcome.wanted_wait:.0f} s, beyond the "
                      f"{policy.max_elapsed:.0f} s one request may take")
            deferral = Deferral(self.channel, self.account, operation, reason,
                                retry_at=self.clock.time() + outcome.wanted_wait)
            self._deferrals.add(deferral)
            return BudgetExhausted(f"{message}; {reason}; deferred to the next run",
                                   deferral=deferral)
        return TransientError(f"{message}; gave up after {outcome.attempts} attempt(s) in "
                              f"{outcome.elapsed:.0f} s; try again later")

    # --- pagination -------------------------------------------------------------------------

    def paginate(self, method: str, path: str, paginator: Paginator, *, operation: str,
                 params: dict[str, Any] | None = None, max_pages: int | None = None,
                 **kwargs: Any) -> Iterator[requests.Response]:
        """Yield the response of each page, one request at a time (nothing accumulates).

        Raises PaginationLoop if the channel repeats a token or link, and ChannelError if a
        next link points to another host (credentials never follow it).
        """
        paginator.reset()
        page: PageRequest | None = paginator.first(PageRequest(path, dict(params or {})))
        count = 0
        while page is not None:
            url = join_url(self.base_url, page.url)
            if not same_origin(url, self.base_url):
                raise ChannelError(f"{self.label} {operation}: the next-page link leads to "
                                   f"another host ({safe_url(url)}); not following it",
                                   channel=self.channel)
            response = self.request(method, url, operation=operation, params=page.params,
                                    **kwargs)
            yield response
            count += 1
            if max_pages is not None and count >= max_pages:
                return
            try:
                page = paginator.next_request(PageRequest(url, page.params), response)
            except PaginationLoop as exc:
                raise PaginationLoop(f"{self.label} {operation}: {exc.message}",
                                     channel=self.channel) from None
