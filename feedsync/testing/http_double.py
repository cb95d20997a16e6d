"""The base of a marketplace stand-in on ``responses``: what every channel double repeats.

Subclass :class:`HttpChannelDouble`, name the API roots it answers (``hosts``) and the token
endpoint (``token_url``), and implement :meth:`~HttpChannelDouble.answer` (one request → one
reply, in the channel's documented shapes) plus the three replies in the channel's own error
shapes: :meth:`~HttpChannelDouble.transient_reply`, :meth:`~HttpChannelDouble.auth_refused_reply`
and, when there is a token endpoint, :meth:`~HttpChannelDouble.token_reply`::

    class ShopDouble(HttpChannelDouble):
        hosts = ("https://api.shop.example",)
        token_url = "https://api.shop.example/oauth/token"

        def operation(self, request):            # names requests (for schemas and asserts)
            return "createItem" if request.method == "POST" else None

        def answer(self, request):
            if request.operation == "createItem":
                return self.json(201, {"id": request.json["sku"]})
            return self.json(404, {"error": "not found"})

        def transient_reply(self):
            return self.json(503, {"error": "unavailable"})

        def auth_refused_reply(self):
            return self.json(401, {"error": "invalid_token"})

The base gives the :class:`feedsync.testing.ChannelDouble` protocol the contract suite drives
(``reject``, ``fail_once_transiently``, ``refuse_auth``, ``request_count``), a ``clock`` the
adapter runs on (a :class:`~feedsync.clock.FakeClock`), the record of every request
(``captured``), and schema checks: ``schemas`` maps an operation name to the official JSON
Schema of its request body (a dict, or a ready ``jsonschema`` validator); every captured body of
that operation is validated, a violation is answered 400 and fails the test when the double
closes (:meth:`assert_valid`).

Test-only: it needs ``responses`` and ``jsonschema`` (the ``test`` extra).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests as requests_lib
import responses

from feedsync.clock import FakeClock

__all__ = ["Captured", "HttpChannelDouble", "Reply"]

Reply = tuple[int, dict[str, str], str | bytes]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class Captured:
    """One request the double received."""

    method: str
    url: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    operation: str | None = None
    violations: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty or not JSON)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _compile(schema: Any) -> Any:
    """A validator for ``schema`` (a dict), or ``schema`` itself if it already validates."""
    if hasattr(schema, "iter_errors"):
        return schema
    from jsonschema import Draft202012Validator, validators

    cls = validators.validator_for(schema, default=Draft202012Validator)
    return cls(schema)


class HttpChannelDouble:
    """A marketplace on ``responses`` (see the module docstring). Use as a context manager."""

    hosts: ClassVar[tuple[str, ...]] = ()
    token_url: ClassVar[str | None] = None
    start_time: ClassVar[float] = 1_800_000_000.0

    def __init__(self, *, schemas: Mapping[str, Any] | None = None,
                 clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock(start=self.start_time)
        self.rejected: set[str] = set()
        self.transient = 0
        self.auth_refused = False
        self.captured: list[Captured] = []
        self.schemas = {name: _compile(schema) for name, schema in (schemas or {}).items()}
        self._mock: responses.RequestsMock | None = None

    # --- the ChannelDouble protocol -------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter runs on ``self.clock`` (the suite hands it over)."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """From now on refuse these SKUs item by item (``answer`` reads ``self.rejected``)."""
        self.rejected.update(skus)

    def fail_once_transiently(self) -> None:
        """Answer the next API request (not the token endpoint) with ``transient_reply``."""
        self.transient += 1

    def refuse_auth(self) -> None:
        """From now on answer the token endpoint and every API request as unauthorised."""
        self.auth_refused = True

    @property
    def request_count(self) -> int:
        """Requests received, token endpoint included."""
        return len(self.captured)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request received, in order."""
        return [(c.method, c.path) for c in self.captured]

    def bodies(self, operation: str) -> list[Any]:
        """The JSON bodies of every request of ``operation``, in order."""
        return [c.json for c in self.captured if c.operation == operation]

    # --- what a subclass implements -------------------------------------------------------

    def operation(self, request: Captured) -> str | None:
        """The operation a request is (its name in the channel's docs), or None."""
        return None

    def answer(self, request: Captured) -> Reply:
        """The channel's reply to one authorised API request."""
        raise NotImplementedError

    def authorised(self, request: Captured) -> bool:
        """Whether the request carries the credentials the double issued (default: yes)."""
        return True

    def transient_reply(self) -> Reply:
        """The channel's "try again" (default: 503 with an empty JSON object)."""
        return self.json(503, {})

    def auth_refused_reply(self) -> Reply:
        """The channel's "credentials refused" (default: 401 with an empty JSON object)."""
        return self.json(401, {})

    def token_reply(self, request: Captured) -> Reply:
        """The token endpoint's answer (a subclass with ``token_url`` implements it)."""
        raise NotImplementedError

    def token_refused_reply(self) -> Reply:
        """The token endpoint refusing the grant (RFC 6749 §5.2 ``invalid_grant``)."""
        return self.json(400, {"error": "invalid_grant",
                               "error_description": "the grant was revoked or has expired"})

    def extra_routes(self) -> list[tuple[str, re.Pattern[str], Any]]:
        """More (method, URL pattern, handler(Captured) -> Reply) to answer, e.g. an S3 host."""
        return []

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON reply."""
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body)

    def assert_valid(self) -> None:
        """Fail if any captured body broke its operation's official schema."""
        broken = [f"{c.operation} {c.method} {c.path}: {v}" for c in self.captured
                  for v in c.violations]
        assert not broken, "request bodies that break the official schema:\n" + "\n".join(
            broken)

    # --- wiring ---------------------------------------------------------------------------

    def __enter__(self) -> HttpChannelDouble:
        mock = self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.__enter__()
        self.start(mock)
        return self

    def start(self, mock: responses.RequestsMock) -> None:
        """Answer through ``mock`` (a test's own ``responses`` mock) instead of a new one."""
        if self.token_url:
            mock.add_callback(responses.POST, self.token_url,
                              callback=self._wrap(self._token))
        for host in self.hosts:
            pattern = re.compile(re.escape(host.rstrip("/")) + r"(/.*)?$")
            for method in METHODS:
                mock.add_callback(method, pattern, callback=self._wrap(self._api))
        for method, pattern, handler in self.extra_routes():
            mock.add_callback(method, pattern, callback=self._wrap(handler))

    def __exit__(self, exc_type: object, *rest: object) -> None:
        assert self._mock is not None
        self._mock.__exit__(exc_type, *rest)
        if exc_type is None:
            self.assert_valid()

    def _wrap(self, handler: Any) -> Any:
        def callback(prepared: requests_lib.PreparedRequest) -> Reply:
            request = self._capture(prepared)
            reply: Reply = handler(request)
            return reply
        return callback

    def _capture(self, prepared: requests_lib.PreparedRequest) -> Captured:
        url = urlsplit(prepared.url or "")
        body = prepared.body or b""
        request = Captured(
            method=(prepared.method or "").upper(), url=prepared.url or "", path=url.path,
            query={k: v[0] for k, v in parse_qs(url.query).items()},
            headers=dict(prepared.headers),
            body=body if isinstance(body, bytes) else str(body).encode("utf-8"))
        self.captured.append(request)
        return request

    def _token(self, request: Captured) -> Reply:
        request.operation = "token"
        if self.auth_refused:
            return self.token_refused_reply()
        return self.token_reply(request)

    def _api(self, request: Captured) -> Reply:
        request.operation = self.operation(request)
        if self.auth_refused or not self.authorised(request):
            return self.auth_refused_reply()
        if self.transient:
            self.transient -= 1
            return self.transient_reply()
        refused = self.validate(request)
        return refused if refused is not None else self.answer(request)

    def validate(self, request: Captured) -> Reply | None:
        """Check the body against its operation's schema; a 400 reply if it breaks it.

        The base calls it for API requests; call it from an ``extra_routes`` handler whose
        body has a schema too (e.g. an uploaded feed document).
        """
        validator = self.schemas.get(request.operation or "")
        if validator is None:
            return None
        request.violations = [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message}"
            for error in validator.iter_errors(request.json)]
        if not request.violations:
            return None
        return self.json(400, {"double": "request body breaks the official schema",
                               "violations": request.violations})
