"""Making URLs, headers and bodies safe to log, and a logging filter as a last line of defence.

The HTTP layer logs only what passed through these functions; :class:`RedactingFilter` can be
attached to any handler (the CLI attaches it to its own) so that even a third-party log line
passes through :func:`feedsync.errors.redact` before it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedsync.errors import redact, register_secret

# Header names whose values are credentials (compared lower-case), and name fragments that
# mark a header as sensitive even if we have never heard of it.
SENSITIVE_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-amz-access-token",
    "x-amz-security-token", "x-api-key", "wm_sec.access_token", "wm_sec.auth_signature",
    "x-ebay-c-signature", "x-goog-api-key",
})
_SENSITIVE_FRAGMENTS = ("token", "secret", "password", "signature", "auth", "api-key", "apikey",
                        "credential", "session")
_SENSITIVE_PARAMS = ("token", "secret", "password", "signature", "sig", "key", "credential",
                     "code", "assertion", "appsecret_proof", "x-amz-", "x-goog-")

# Response headers that identify a request to the channel's support desk: logged verbatim.
REQUEST_ID_HEADERS = ("x-amzn-RequestId", "x-amz-rid", "x-request-id", "x-fb-trace-id",
                      "x-fb-request-id", "WM_QOS.CORRELATION_ID", "x-ebay-c-request-id",
                      "rlogid", "x-goog-request-id", "x-etsy-request-uuid", "x-correlation-id")

MASK = "[REDACTED]"


def is_sensitive_header(name: str) -> bool:
    """True if a header's value must never be logged."""
    lower = name.lower()
    return lower in SENSITIVE_HEADERS or any(f in lower for f in _SENSITIVE_FRAGMENTS)


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values masked and the rest redacted."""
    return {k: (MASK if is_sensitive_header(k) else redact(str(v))) for k, v in headers.items()}


def safe_url(url: str) -> str:
    """``url`` with credential-like query values masked (a signed URL loses its whole query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        lowered = [k.lower() for k, _ in pairs]
        if any(k.startswith(("x-amz-", "x-goog-")) or k in ("signature", "sig") for k in lowered):
            query = MASK  # a presigned URL: every parameter is part of the signature
        else:
            query = urlencode(
                [(k, MASK if any(s in k.lower() for s in _SENSITIVE_PARAMS) else v)
                 for k, v in pairs], safe="[]")
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


_SIGNING_PARAMS = ("x-amz-signature", "x-amz-credential", "x-amz-security-token",
                   "x-goog-signature", "x-goog-credential", "signature", "sig")


def register_url_secrets(url: str) -> None:
    """Register the signing values of a presigned URL, so an error body echoing them is
    redacted too (S3 answers ``SignatureDoesNotMatch`` with the signature in the body)."""
    try:
        pairs = parse_qsl(urlsplit(url).query, keep_blank_values=False)
    except ValueError:
        return
    for key, value in pairs:
        if key.lower() in _SIGNING_PARAMS:
            register_secret(value)


def body_excerpt(text: str, limit: int = 300) -> str:
    """The start of a response body for an error message: one line, redacted, bounded."""
    flat = " ".join(text.split())
    flat = redact(flat)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def request_ids(headers: Mapping[str, str]) -> dict[str, str]:
    """The request-id headers present in a response (for support tickets)."""
    found = {}
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            found[name] = redact(value)
    return found


def install_redaction(names: tuple[str, ...] = ("urllib3.connectionpool",)) -> None:
    """Attach a :class:`RedactingFilter` to loggers that print URLs we do not format ourselves.

    urllib3 logs every request line (path and query string: a presigned URL's signature, an
    ``access_token`` parameter) at DEBUG. Idempotent.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every record's final message (and drops its args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
