"""Paginators: how to ask for the next page, and a guarantee that paging ends.

A paginator looks at one page's response and returns the :class:`PageRequest` for the next page
or None. Every paginator remembers the tokens/links it has followed and raises
:class:`~feedsync.errors.PaginationLoop` when one comes back (a channel bug that would otherwise
page forever), and refuses a page whose body is identical to the previous one (a channel that
ignores the offset parameter).

* :class:`TokenPaginator` – next token in the JSON body, sent back as a parameter
  (Amazon ``pagination.nextToken``, Google ``nextPageToken``).
* :class:`CursorPaginator` – a cursor plus an optional "has more" flag
  (Meta ``paging.cursors.after``).
* :class:`OffsetPaginator` – offset/limit with an optional total (Etsy, eBay Inventory).
* :class:`LinkHeaderPaginator` – an RFC 8288 (ex-5988) ``Link: <…>; rel="next"`` header.
* :class:`JsonLinkPaginator` – a "next" URL in the body (eBay ``next``, Meta ``paging.next``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from feedsync.errors import PaginationLoop
from feedsync.http.actions import json_body


@dataclass
class PageRequest:
    """Where to get one page: a URL (absolute or relative to the base) and query parameters."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)


def dig(data: Any, path: str) -> Any:
    """Follow a dotted path ("payload.pagination.nextToken", "items.0.id"); None if absent."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


class Paginator:
    """Base class: loop detection and per-iteration state. Subclasses implement ``_next``."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._last_digest: str | None = None
        self.pages = 0

    def reset(self) -> None:
        """Forget everything: called by HttpClient.paginate before the first page."""
        self._seen = set()
        self._last_digest = None
        self.pages = 0

    def first(self, request: PageRequest) -> PageRequest:
        """Adjust the first request (e.g. add offset/limit); default: unchanged."""
        return request

    def next_request(self, current: PageRequest, response: requests.Response
                     ) -> PageRequest | None:
        """The request for the page after ``response``, or None when this was the last one."""
        self.pages += 1
        digest = hashlib.sha256(response.content or b"").hexdigest()
        nxt = self._next(current, response)
        if nxt is not None and response.content and digest == self._last_digest:
            raise PaginationLoop(
                f"page {self.pages} has the same content as page {self.pages - 1}; the channel "
                f"ignored the paging parameters, stopped instead of looping")
        self._last_digest = digest
        return nxt

    def _next(self, current: PageRequest, response: requests.Response) -> PageRequest | None:
        raise NotImplementedError

    def _remember(self, marker: str, what: str) -> None:
        if marker in self._seen:
            shown = marker if len(marker) <= 60 else marker[:60] + "…"
            raise PaginationLoop(
                f"the channel returned the {what} {shown!r} a second time after "
                f"{self.pages} page(s); stopped instead of looping")
        self._seen.add(marker)


class TokenPaginator(Paginator):
    """Next-page token found at ``token_path`` in the body, sent back as query ``param``.

    ``keep_params``: True keeps the first request's parameters on later pages, False sends the
    token alone (APIs that reject other filters alongside a token), or a collection of the
    parameter names to keep.
    """

    def __init__(self, token_path: str, param: str, *,
                 keep_params: bool | Collection[str] = True) -> None:
        super().__init__()
        self.token_path = token_path
        self.param = param
        self.keep_params = keep_params

    def _token(self, body: Any) -> str | None:
        token = dig(body, self.token_path)
        return str(token) if token not in (None, "") else None

    def _next(self, current: PageRequest, response: requests.Response) -> PageRequest | None:
        token = self._token(json_body(response))
        if token is None:
            return None
        self._remember(token, "page token")
        if self.keep_params is True:
            params = dict(current.params)
        elif self.keep_params is False:
            params = {}
        else:
            params = {k: v for k, v in current.params.items() if k in self.keep_params}
        params[self.param] = token
        return PageRequest(current.url, params)


class CursorPaginator(TokenPaginator):
    """A cursor at ``cursor_path``; paging stops when ``has_more_path`` is false, if given."""

    def __init__(self, cursor_path: str, param: str, *, has_more_path: str | None = None,
                 keep_params: bool | Collection[str] = True) -> None:
        super().__init__(cursor_path, param, keep_params=keep_params)
        self.has_more_path = has_more_path

    def _token(self, body: Any) -> str | None:
        if self.has_more_path is not None and not dig(body, self.has_more_path):
            return None
        return super()._token(body)


class OffsetPaginator(Paginator):
    """offset/limit paging: stop on a short page or when ``offset`` reaches the total."""

    def __init__(self, limit: int, *, offset_param: str = "offset", limit_param: str = "limit",
                 items_path: str = "results", total_path: str | None = None,
                 start: int = 0) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("OffsetPaginator.limit must be at least 1")
        self.limit = limit
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.items_path = items_path
        self.total_path = total_path
        self.start = start

    def first(self, request: PageRequest) -> PageRequest:
        """Add the first offset and the page size."""
        params = {**request.params, self.offset_param: self.start, self.limit_param: self.limit}
        return PageRequest(request.url, params)

    def _next(self, current: PageRequest, response: requests.Response) -> PageRequest | None:
        body = json_body(response)
        items = dig(body, self.items_path)
        count = len(items) if isinstance(items, list) else 0
        offset = int(current.params.get(self.offset_param, self.start)) + self.limit
        if count < self.limit:
            return None
        if self.total_path is not None:
            total = dig(body, self.total_path)
            if isinstance(total, int) and offset >= total:
                return None
        self._remember(str(offset), "offset")
        return PageRequest(current.url, {**current.params, self.offset_param: offset})


class LinkHeaderPaginator(Paginator):
    """Follow the ``Link`` header's ``rel="next"`` URL (RFC 8288)."""

    def __init__(self, rel: str = "next") -> None:
        super().__init__()
        self.rel = rel

    def _next(self, current: PageRequest, response: requests.Response) -> PageRequest | None:
        link = response.links.get(self.rel, {}).get("url")
        if not link:
            return None
        url = urljoin(response.url or current.url, link)
        self._remember(url, "next link")
        return PageRequest(url, {})


class JsonLinkPaginator(Paginator):
    """Follow a next-page URL found at ``path`` in the JSON body."""

    def __init__(self, path: str = "next") -> None:
        super().__init__()
        self.path = path

    def _next(self, current: PageRequest, response: requests.Response) -> PageRequest | None:
        link = dig(json_body(response), self.path)
        if not isinstance(link, str) or not link:
            return None
        url = urljoin(response.url or current.url, link)
        self._remember(url, "next link")
        return PageRequest(url, {})
