"""What a marketplace module's handlers receive and return: requests, responses, errors.

Handlers never touch sockets: they get a parsed :class:`Request` and return a :class:`Response`
(or raise :class:`SandboxError`, which the module's ``render_error`` turns into that
marketplace's documented error shape).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


class SandboxError(Exception):
    """A refusal the emulated marketplace answers with (rendered by the module's error shape).

    ``code`` is the marketplace's own error code (``InvalidInput``, ``INVALID_ARGUMENT``, …),
    ``details`` anything extra the shape carries (a field path, a SKU, an error subcode).
    """

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class Headers:
    """Case-insensitive request/response headers (HTTP header names are case-insensitive)."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in (items or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def get(self, name: str, default: str | None = None) -> str | None:
        """The header's value, or ``default`` when absent."""
        item = self._items.get(name.lower())
        return item[1] if item else default

    def items(self) -> list[tuple[str, str]]:
        """(name, value) pairs with their original spelling."""
        return list(self._items.values())


@dataclass
class Request:
    """One parsed HTTP request, as a marketplace module sees it.

    ``path`` is relative to the module's mount point (``/feeds/2021-06-30/feeds`` for
    ``http://127.0.0.1:PORT/amazon/feeds/2021-06-30/feeds``); ``params`` holds the route's
    ``{placeholders}``; ``query`` keeps repeated keys as lists.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    principal: str | None = None  # the token's subject once authenticated

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is the marketplace's 400, not a crash."""
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SandboxError(400, "InvalidInput", f"request body is not valid JSON: {exc}"
                               ) from None

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (token endpoints), first values."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise SandboxError(400, "invalid_request", "form body is not UTF-8") from None
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}

    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer …`` header, if any."""
        value = self.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass
class Response:
    """What a handler answers. Build with :meth:`json`, :meth:`raw` or :meth:`empty`."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
             ) -> Response:
        """A JSON response (``Content-Type: application/json``)."""
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(payload, separators=(",", ":")).encode(), merged)

    @classmethod
    def raw(cls, body: bytes, content_type: str, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
        """Bytes as they are (a feed document, a gzip report)."""
        return cls(status, body, {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> Response:
        """No body (a 204, or a 200 the marketplace documents as empty)."""
        return cls(status, b"", dict(headers or {}))
