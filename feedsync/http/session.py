"""The session factory: one correctly configured ``requests.Session`` per channel client.

Defaults every adapter inherits: connect/read timeouts, a User-Agent naming feedsync and its
version, a connection pool sized for a few threads, and a base URL chosen per environment
(``production``, the marketplace's own ``sandbox``, or an explicit local URL for tests and the
loopback emulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from feedsync import __version__
from feedsync.errors import ConfigError

USER_AGENT = f"feedsync/{__version__} (+python-requests)"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection and for each read (not the whole response)."""

    connect: float = 10.0
    read: float = 60.0

    def as_tuple(self) -> tuple[float, float]:
        """The ``timeout=`` value requests expects."""
        return (self.connect, self.read)


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class BaseUrls:
    """A channel's API roots, as documented by the marketplace."""

    production: str
    sandbox: str | None = None

    def for_environment(self, environment: str) -> str:
        """The root for ``environment``: "production", "sandbox", or an http(s) URL override."""
        if environment == "production":
            return self.production
        if environment == "sandbox":
            if not self.sandbox:
                raise ConfigError("this channel has no sandbox environment; use 'production' "
                                  "or a local URL")
            return self.sandbox
        parts = urlsplit(environment)
        if parts.scheme in ("http", "https") and parts.netloc:
            return environment
        raise ConfigError(f"environment must be 'production', 'sandbox' or an http(s) URL, "
                          f"got {environment!r}")


def build_session(*, user_agent: str = USER_AGENT, pool_size: int = 8,
                  headers: dict[str, str] | None = None) -> requests.Session:
    """A new session with feedsync's User-Agent and pool settings.

    Retries are *not* configured on the adapter: urllib3's retry knows nothing about channel
    error codes, budgets or idempotency; feedsync.http.retry does that above the session.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    if headers:
        session.headers.update(headers)
    return session


def join_url(base_url: str, path: str) -> str:
    """``base_url`` + ``path``; an absolute ``path`` is returned unchanged.

    Unlike bare :func:`urljoin`, a base with a path prefix keeps it ("/v1" + "items" →
    "/v1/items", and "/v1" + "/items" → "/v1/items").
    """
    if urlsplit(path).scheme:
        return path
    if not base_url.endswith("/"):
        base_url += "/"
    return urljoin(base_url, path.lstrip("/"))


def same_origin(a: str, b: str) -> bool:
    """True if two URLs share scheme, host and port (credentials may go to both)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)
