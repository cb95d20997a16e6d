"""Access tokens the emulated token endpoints issue and the protected routes check.

Tokens live in the state file with their expiry in sandbox time, so they expire on the
marketplace's schedule (an LWA token after 3600 s, …) and survive a restart; a revoked token
(fault injection, ``revoke_all``) is refused like an expired one.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """One issued access token."""

    token: str
    subject: str
    scope: str | None
    expires_in: int


class TokenCheck:
    """Why a token was refused (``None`` = accepted), for the module's 401 shape."""

    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Tokens:
    """Issue, check and revoke one channel's tokens inside the current transaction."""

    def __init__(self, db: sqlite3.Connection, channel: str, now: float) -> None:
        self.db = db
        self.channel = channel
        self.now = now

    def issue(self, subject: str, ttl_s: int, *, prefix: str = "sbx", scope: str | None = None
              ) -> Token:
        """A new random token for ``subject`` valid ``ttl_s`` seconds of sandbox time."""
        token = f"{prefix}{secrets.token_urlsafe(24)}"
        self.db.execute(
            "INSERT INTO sandbox_tokens (token, channel, subject, scope, issued_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (token, self.channel, subject, scope, self.now, self.now + ttl_s))
        return Token(token, subject, scope, ttl_s)

    def register(self, token: str, subject: str, ttl_s: int, *, scope: str | None = None
                 ) -> None:
        """Make a token the account already holds valid (a never-rotated system-user token);
        keeps it as is when it exists."""
        self.db.execute(
            "INSERT OR IGNORE INTO sandbox_tokens (token, channel, subject, scope, issued_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token, self.channel, subject, scope, self.now, self.now + ttl_s))

    def check(self, token: str | None) -> tuple[str | None, str | None]:
        """(subject, None) when valid, else (None, reason from :class:`TokenCheck`)."""
        if not token:
            return None, TokenCheck.MISSING
        row = self.db.execute(
            "SELECT subject, expires_at, revoked FROM sandbox_tokens "
            "WHERE token = ? AND channel = ?", (token, self.channel)).fetchone()
        if row is None:
            return None, TokenCheck.UNKNOWN
        if row["revoked"]:
            return None, TokenCheck.REVOKED
        if row["expires_at"] <= self.now:
            return None, TokenCheck.EXPIRED
        return str(row["subject"]), None

    def revoke(self, token: str) -> None:
        """Revoke one token (the next request with it gets the marketplace's 401)."""
        self.db.execute("UPDATE sandbox_tokens SET revoked = 1 WHERE token = ? AND channel = ?",
                        (token, self.channel))

    def revoke_all(self) -> int:
        """Revoke every token of this channel (a password change, an app de-authorised)."""
        cursor = self.db.execute(
            "UPDATE sandbox_tokens SET revoked = 1 WHERE channel = ? AND revoked = 0",
            (self.channel,))
        return cursor.rowcount
