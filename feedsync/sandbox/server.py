"""The loopback HTTP server: stdlib ``ThreadingHTTPServer`` on 127.0.0.1 only.

It binds 127.0.0.1 and nothing else (any other address is refused before a socket is opened),
drops connections that somehow come from elsewhere, never forwards anything, and never logs
bodies or headers (they carry credentials). :func:`running_sandbox` runs one in a thread for
tests and benches (port 0 → a free port) and always stops it.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs, urlsplit

from feedsync.sandbox.admin import handle_admin
from feedsync.sandbox.app import Observer, SandboxApp
from feedsync.sandbox.faults import FaultPlan, FaultRule
from feedsync.sandbox.messages import Headers, Request, Response
from feedsync.sandbox.module import Marketplace
from feedsync.sandbox.ratelimit import RateLimiter
from feedsync.sandbox.registry import load_all
from feedsync.sandbox.state import StateStore

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
MAX_BODY = 512 * 1024 * 1024  # the largest feed document we accept (Amazon allows far less)


class NotLoopback(ValueError):
    """Refusal to bind anything but 127.0.0.1."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoints
    server: SandboxServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _serve(self) -> None:
        if not self.client_address[0].startswith("127."):
            self.close_connection = True
            return
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        request = Request(self.command, split.path,
                          parse_qs(split.query, keep_blank_values=True),
                          Headers(dict(self.headers.items())), body)
        if split.path.startswith("/_sandbox/"):
            self._answer(handle_admin(self.server.app, request))
            return
        outcome = self.server.app.dispatch(request)
        if outcome.response is None:  # injected drop / lost response
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(outcome.response)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(Response.json({"error": "request body too large"}, status=413))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _answer(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {"Content-Length": str(len(response.body)), **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method, path and status only: no query string (presigned signatures, access_token
        # parameters), no headers, no bodies.
        log.debug("sandbox %s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: %s", format % args)


class SandboxServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that serves a :class:`SandboxApp` on 127.0.0.1."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: SandboxApp, *, host: str = LOOPBACK, port: int = 0) -> None:
        if host != LOOPBACK:
            raise NotLoopback(f"the sandbox binds {LOOPBACK} only, not {host!r}: it emulates "
                              "marketplaces for this machine and must not be reachable from "
                              "elsewhere")
        super().__init__((LOOPBACK, port), _Handler)
        self.app = app
        app.base_url = f"http://{LOOPBACK}:{self.port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer (its timeout) is normal: no traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("sandbox: client %s went away before its answer", client_address)
            return
        super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        """The bound port (useful after binding port 0)."""
        return int(self.server_address[1])


def build_app(state: str | Path, *, channels: list[str] | None = None,
              markets: dict[str, Marketplace] | None = None,
              faults: list[FaultRule] | None = None, seed: int = 0, rate_scale: float = 1.0,
              observers: list[Observer] | None = None) -> SandboxApp:
    """A :class:`SandboxApp` over the state file ``state`` with the emulated marketplaces
    (``markets`` given explicitly, or every module found among ``channels``)."""
    found = markets if markets is not None else load_all(channels)
    return SandboxApp(found, StateStore(state), faults=FaultPlan(faults, seed=seed),
                      limiter=RateLimiter(rate_scale), observers=list(observers or []),
                      seed=seed)


class RunningSandbox:
    """A sandbox serving in a background thread (see :func:`running_sandbox`)."""

    def __init__(self, server: SandboxServer, thread: threading.Thread) -> None:
        self.server = server
        self.app = server.app
        self.thread = thread
        self.port = server.port
        self.base_url = server.app.base_url

    def url(self, channel: str) -> str:
        """The base URL of one emulated marketplace (what its adapter's base_url points at)."""
        return f"{self.base_url}/{channel}"

    def admin(self, path: str, payload: Any = None) -> Any:
        """Call the admin API in-process (no HTTP): ``admin("faults", {...})``."""
        body = json.dumps(payload).encode() if payload is not None else b""
        method = "POST" if payload is not None else "GET"
        response = handle_admin(self.app, Request(method, f"/_sandbox/{path}", {}, Headers(),
                                                  body))
        return json.loads(response.body or b"null")

    def stop(self) -> None:
        """Stop serving, join the thread, close the state file."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.app.store.close()


@contextmanager
def running_sandbox(state: str | Path | None = None, *, port: int = 0, **options: Any
                    ) -> Iterator[RunningSandbox]:
    """Serve a sandbox in a thread for the duration of a ``with`` block (always stopped).

    ``state`` defaults to a fresh temporary file; ``options`` go to :func:`build_app`
    (``channels``, ``markets``, ``faults``, ``seed``, ``rate_scale``, ``observers``).
    """
    with TemporaryDirectory(prefix="feedsync-sandbox-") as scratch:
        app = build_app(state or Path(scratch) / "sandbox.db", **options)
        server = SandboxServer(app, port=port)
        thread = threading.Thread(target=server.serve_forever, name="feedsync-sandbox",
                                  kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        sandbox = RunningSandbox(server, thread)
        try:
            yield sandbox
        finally:
            sandbox.stop()
