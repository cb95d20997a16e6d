"""The feedsync exception tree and secret redaction.

Every error feedsync raises on purpose derives from :class:`FeedsyncError` and carries the exit
code the CLI turns it into (the CLI is the only place that maps errors to exit codes)::

    FeedsyncError (1)
    ├── UsageError (2)                a command was called wrongly
    ├── InputError (1)                a file the merchant gave us is bad (rows listed)
    ├── ConfigError (4)               feedsync.toml / a mapping file / a secret is wrong
    │   └── AuthError (4)             the channel refused our credentials: a human must act
    ├── GuardrailError (5)            a plan would delist/zero/reprice too much
    ├── ValidationFailed (6)          `feedsync validate` found errors
    ├── TransientError (75)           try again later (network, 5xx, rate limit exhausted)
    │   ├── LockBusy (75)             another run holds the workspace lock
    │   ├── BudgetExhausted (75)      a rate limit / daily budget is used up: deferred to next run
    │   └── OutcomeUnknown (75)       a create-like call may have been processed; its answer
    │                                 was lost: resolved by reading back (feedsync/sync/readback)
    └── ChannelError (1)              a marketplace said no
        ├── ItemRejected (1)          one SKU's data is wrong (reported per SKU)
        │   └── RenderError (1)       an adapter cannot render one SKU's record (render_failed)
        ├── CircuitOpen (4)           the channel is switched off for this run after auth failed
        └── PaginationLoop (1)        a channel returned the same page token twice

Messages pass through :func:`redact` when they are built, so a secret never reaches a log line,
a report or a traceback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (README "Exit codes")."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3
    NEEDS_HUMAN = 4
    GUARDRAIL = 5
    VALIDATION = 6
    TEMPFAIL = 75


class FeedsyncError(Exception):
    """Base of every error feedsync raises deliberately."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        """The (already redacted) human message."""
        return str(self)


class UsageError(FeedsyncError):
    """A command was called with arguments that cannot work."""

    exit_code = ExitCode.USAGE


class InputError(FeedsyncError):
    """An input file is invalid; ``problems`` lists each one (file:line, column, value, reason)."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = [redact(p) for p in problems]
        super().__init__(message)


class ConfigError(FeedsyncError):
    """Configuration is invalid or incomplete; ``problems`` names each file and key."""

    exit_code = ExitCode.NEEDS_HUMAN

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = [redact(p) for p in problems]
        super().__init__(message)


class AuthError(ConfigError):
    """A channel rejected our credentials or permissions; retrying will not help."""


class GuardrailError(FeedsyncError):
    """A plan breaks a configured guardrail and was refused (use --force to override)."""

    exit_code = ExitCode.GUARDRAIL


class ValidationFailed(FeedsyncError):
    """Validation found at least one error-severity issue."""

    exit_code = ExitCode.VALIDATION


class TransientError(FeedsyncError):
    """A temporary condition; the same command may succeed later."""

    exit_code = ExitCode.TEMPFAIL


class LockBusy(TransientError):
    """Another feedsync run holds this workspace's lock."""


class BudgetExhausted(TransientError):
    """A channel's rate limit or daily budget is used up; the work is deferred to the next run.

    ``deferral`` is the :class:`feedsync.http.Deferral` recorded for the run report.
    """

    def __init__(self, message: str, *, deferral: object | None = None) -> None:
        self.deferral = deferral
        super().__init__(message)


class OutcomeUnknown(TransientError):
    """A non-idempotent request may have been processed, but its answer was lost (a dropped
    connection or timeout after sending, a 5xx): the core reads back what the channel did
    before sending anything again, never guesses (:mod:`feedsync.sync.readback`)."""


class ChannelError(FeedsyncError):
    """A marketplace refused a request."""

    def __init__(self, message: str, *, channel: str = "", status: int | None = None) -> None:
        self.channel = channel
        self.status = status
        super().__init__(message)


class ItemRejected(ChannelError):
    """The channel rejected one SKU's data; other SKUs are unaffected."""

    def __init__(self, message: str, *, channel: str = "", sku: str = "") -> None:
        self.sku = sku
        super().__init__(message, channel=channel)


class RenderError(ItemRejected):
    """An adapter cannot turn one SKU's record into the channel's payload (bad data, not a bug).

    The only exception ``render_item`` may raise for a data problem: the core reports it for
    that SKU as ``render_failed`` and sends the others. Any other exception from rendering is
    an adapter bug and stops the channel loudly. ``field`` names the record field at fault.
    """

    def __init__(self, message: str, *, channel: str = "", sku: str = "",
                 field: str | None = None) -> None:
        self.field = field
        super().__init__(message, channel=channel, sku=sku)


class CircuitOpen(ChannelError):
    """The channel is switched off for the rest of this run after an auth failure.

    ``repeat`` is False on the error that opened the circuit and True on every later refusal,
    so a run report can show the cause once rather than once per SKU.
    """

    exit_code = ExitCode.NEEDS_HUMAN

    def __init__(self, message: str, *, channel: str = "", status: int | None = None,
                 repeat: bool = False) -> None:
        self.repeat = repeat
        super().__init__(message, channel=channel, status=status)


class PaginationLoop(ChannelError):
    """A channel handed back a page token or link it had already given: stop, don't loop."""


# --- redaction ------------------------------------------------------------------------------

_known_secrets: set[str] = set()
_known_lock = threading.Lock()

# Shapes of credentials that can appear in text we did not load ourselves (headers echoed in an
# error body, a token in a redirect URL, a presigned S3 URL in an Amazon feed document …).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer xxx / Basic xxx, and x-amz-access-token / x-api-key style headers.
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic)?\s*[^\s'\",}]+"),
     r"\1\2 [REDACTED]"),
    (re.compile(r"(?i)((?:x-amz-access-token|x-api-key|wm_sec\.access_token|api[_-]?key)"
                r"['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"), r"\1[REDACTED]"),
    # OAuth fields in JSON, form bodies and query strings (plus Meta's appsecret_proof and
    # Walmart's WM_SEC.AUTH_SIGNATURE, which are as good as the secret for a while).
    (re.compile(r"(?i)((?:access_token|refresh_token|client_secret|id_token|assertion|"
                r"password|secret|token|appsecret_proof|auth_signature|signature)"
                r"['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"), r"\1[REDACTED]"),
    # Credentials outside a header line: "Bearer xxx", "Basic base64", AWS SigV4 parts.
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9\-._~+/|]{8,}=*"), r"\1 [REDACTED]"),
    (re.compile(r"\b(Basic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2}"),
     r"\1 [REDACTED]"),
    (re.compile(r"\b(Credential|Signature)=[^\s,&'\"]+"), r"\1=[REDACTED]"),
    # Signed URL query strings (S3 presigned, Google signed URLs): drop the whole query.
    (re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*(?:X-Amz-|Signature=|signature=|sig=|"
                r"X-Goog-)[^\s'\"]*"), r"\1?[REDACTED]"),
    # "Atza|..." LWA tokens and JWT-looking strings anywhere.
    (re.compile(r"Atz[a-z]\|[A-Za-z0-9\-_|=+/.]+"), "[REDACTED]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "[REDACTED]"),
    # Meta (Facebook) access tokens start with "EAA" and are long.
    (re.compile(r"\bEAA[A-Za-z0-9]{30,}"), "[REDACTED]"),
]


def register_secret(value: str | None) -> None:
    """Remember a secret value so :func:`redact` removes it wherever it appears."""
    if value and len(value) >= 4:
        with _known_lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and credential-shaped substring removed."""
    if not text:
        return text
    with _known_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
