"""Paginators follow every style of next page and stop instead of looping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from feedsync.errors import ChannelError, PaginationLoop
from feedsync.http import (
    CursorPaginator,
    JsonLinkPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    TokenPaginator,
    dig,
)

from .conftest import BASE, MakeClient

URL = BASE + "/orders"


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def test_token_in_body(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({"since": "2024"})],
             json={"orders": [1], "pagination": {"nextToken": "t2"}})
    rsps.get(URL, match=[matchers.query_param_matcher({"since": "2024", "nextToken": "t2"})],
             json={"orders": [2], "pagination": {"nextToken": "t3"}})
    rsps.get(URL, match=[matchers.query_param_matcher({"since": "2024", "nextToken": "t3"})],
             json={"orders": [3], "pagination": {}})
    pages = make_client().paginate("GET", "/orders", TokenPaginator("pagination.nextToken",
                                                                    "nextToken"),
                                   operation="searchOrders", params={"since": "2024"})
    assert [p.json()["orders"] for p in pages] == [[1], [2], [3]]


def test_token_alone_when_keep_params_false(rsps: responses.RequestsMock,
                                            make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({"a": "1", "b": "2"})],
             json={"NextToken": "n"})
    rsps.get(URL, match=[matchers.query_param_matcher({"a": "1", "NextToken": "n"})], json={})
    paginator = TokenPaginator("NextToken", "NextToken", keep_params=["a"])
    assert len(list(make_client().paginate("GET", "/orders", paginator, operation="o",
                                           params={"a": "1", "b": "2"}))) == 2


def test_token_seen_twice_raises(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})], json={"next": "A", "n": 1})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "A"})], json={"next": "B", "n": 2})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "B"})], json={"next": "A", "n": 3})
    pages = make_client().paginate("GET", "/orders", TokenPaginator("next", "page"),
                                   operation="listOrders")
    with pytest.raises(PaginationLoop, match=r"acme\[default\] listOrders: .*'A' a second time"):
        list(pages)
    assert len(rsps.calls) == 3


def test_cursor_with_has_more(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})],
             json={"data": [1], "paging": {"cursors": {"after": "c1"}}, "has_more": True})
    rsps.get(URL, match=[matchers.query_param_matcher({"after": "c1"})],
             json={"data": [2], "paging": {"cursors": {"after": "c2"}}, "has_more": False})
    paginator = CursorPaginator("paging.cursors.after", "after", has_more_path="has_more")
    pages = list(make_client().paginate("GET", "/orders", paginator, operation="o"))
    assert [p.json()["data"] for p in pages] == [[1], [2]]


def test_offset_limit_with_total(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    for offset, items in ((0, [1, 2]), (2, [3, 4]), (4, [5, 6])):
        rsps.get(URL, match=[matchers.query_param_matcher({"offset": str(offset), "limit": "2"})],
                 json={"count": 6, "results": items})
    paginator = OffsetPaginator(2, total_path="count")
    pages = list(make_client().paginate("GET", "/orders", paginator, operation="o"))
    assert [p.json()["results"] for p in pages] == [[1, 2], [3, 4], [5, 6]]
    assert len(rsps.calls) == 3  # the total stopped it: no empty fourth page


def test_offset_stops_on_short_page(rsps: responses.RequestsMock,
                                    make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({"offset": "0", "limit": "3"})],
             json={"results": [1, 2, 3]})
    rsps.get(URL, match=[matchers.query_param_matcher({"offset": "3", "limit": "3"})],
             json={"results": [4]})
    assert len(list(make_client().paginate("GET", "/orders", OffsetPaginator(3),
                                           operation="o"))) == 2


def test_offset_ignored_by_channel_is_detected(rsps: responses.RequestsMock,
                                               make_client: MakeClient) -> None:
    rsps.get(URL, json={"results": [1, 2]})  # whatever the offset, the same page
    with pytest.raises(PaginationLoop, match="same content"):
        list(make_client().paginate("GET", "/orders", OffsetPaginator(2), operation="o"))
    assert len(rsps.calls) == 2


def test_link_header(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})], json={"p": 1},
             headers={"Link": '</orders?page=2>; rel="next", </orders?page=9>; rel="last"'})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "2"})], json={"p": 2})
    pages = list(make_client().paginate("GET", "/orders", LinkHeaderPaginator(), operation="o"))
    assert [p.json()["p"] for p in pages] == [1, 2]


def test_link_header_loop(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})], json={"p": 1},
             headers={"Link": f'<{URL}?page=2>; rel="next"'})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "2"})], json={"p": 2},
             headers={"Link": f'<{URL}?page=2>; rel="next"'})
    with pytest.raises(PaginationLoop, match="next link"):
        list(make_client().paginate("GET", "/orders", LinkHeaderPaginator(), operation="o"))


def test_json_next_link(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({"limit": "1"})],
             json={"inventoryItems": [1], "next": f"{URL}?limit=1&offset=1"})
    rsps.get(URL, match=[matchers.query_param_matcher({"limit": "1", "offset": "1"})],
             json={"inventoryItems": [2]})
    pages = list(make_client().paginate("GET", "/orders", JsonLinkPaginator("next"),
                                        operation="o", params={"limit": 1}))
    assert [p.json()["inventoryItems"] for p in pages] == [[1], [2]]


def test_next_link_to_another_host_is_refused(rsps: responses.RequestsMock,
                                              make_client: MakeClient) -> None:
    rsps.get(URL, json={"paging": {"next": "https://evil.example.net/steal?x=1"}})
    with pytest.raises(ChannelError, match="another host"):
        list(make_client().paginate("GET", "/orders", JsonLinkPaginator("paging.next"),
                                    operation="o"))
    assert len(rsps.calls) == 1


def test_max_pages_and_streaming(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})], json={"next": "2"})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "2"})], json={"next": "3"})
    pages = make_client().paginate("GET", "/orders", TokenPaginator("next", "page"),
                                   operation="o", max_pages=2)
    first = next(pages)
    assert first.json() == {"next": "2"} and len(rsps.calls) == 1  # lazily, page by page
    assert len(list(pages)) == 1


def test_paginator_is_reusable(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, match=[matchers.query_param_matcher({})], json={"next": "A"})
    rsps.get(URL, match=[matchers.query_param_matcher({"page": "A"})], json={})
    paginator = TokenPaginator("next", "page")
    client = make_client()
    for _ in range(2):  # the second walk does not think "A" is a repeat
        assert len(list(client.paginate("GET", "/orders", paginator, operation="o"))) == 2


def test_dig() -> None:
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert dig(data, "a.b.1.c") == 2
    assert dig(data, "a.b.-1.c") == 2
    assert dig(data, "a.b.5.c") is None
    assert dig(data, "a.x") is None
    assert dig(None, "a") is None
