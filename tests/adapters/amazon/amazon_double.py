"""A stand-in for the SP-API operations the Amazon adapter pushes listings with (no network).

It answers, through ``responses``:

- the LWA token endpoint (refresh-token grant → an access token for one hour);
- the Feeds API 2021-06-30 flow: createFeedDocument → a presigned upload URL on an S3 host →
  createFeed → getFeed (``IN_PROGRESS`` for the first check, then ``DONE``) → getFeedDocument →
  a GZIP processing report with an ERROR issue per rejected SKU
  (listings-feed-processing-report-schema-v2);
- patchListingsItem (Listings Items API 2021-08-01), ``ACCEPTED`` or ``INVALID`` with issues.

Accepted messages change ``listings`` (sku → productType and attributes) the way Amazon applies
them (UPDATE replaces, PATCH replaces or deletes single attributes, DELETE removes), so a test
can see what a push did to the listing. It also implements the
:class:`feedsync.testing.ChannelDouble` protocol the shared contract suite drives:
``reject``, ``fail_once_transiently`` (a 503 to the next SP-API call), ``refuse_auth`` (LWA
answers ``invalid_grant``, SP-API 403 ``Unauthorized``) and ``request_count``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import responses
from feedsync.adapters.amazon.config import ENDPOINTS, LWA_TOKEN_URL

BASE = ENDPOINTS["NA"]
S3 = "https://tortuga-prod-na.s3-external-1.amazonaws.com"
SIGNED = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0f1e2d3c4b5a"
ACCESS_TOKEN = "Atza|double-access-token"

Reply = tuple[int, dict[str, str], str | bytes]


def _errors(status: int, code: str, message: str) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(
        {"errors": [{"code": code, "message": message, "details": ""}]})


def _ok(body: dict[str, Any], status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


class SellingPartnerDouble:
    """One seller account on the NA endpoint (see the module docstring)."""

    def __init__(self) -> None:
        from feedsync.http import FakeClock

        self.clock = FakeClock(start=1_800_000_000.0)
        self.listings: dict[str, dict[str, Any]] = {}
        self.rejected: set[str] = set()
        self.transient = 0
        self.auth_refused = False
        self.requests: list[tuple[str, str]] = []
        self.documents: dict[str, bytes | None] = {}  # uploaded feed documents by id
        self.feeds: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, bytes] = {}
        self.patches: list[tuple[str, dict[str, Any]]] = []  # (sku, patchListingsItem body)
        self._mock: responses.RequestsMock | None = None

    # --- ChannelDouble ----------------------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter runs on ``self.clock`` (throttle and retry waits are instant
        and time stays consistent across the pushes of one test)."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """From now on these SKUs get an ERROR issue (feeds) or status INVALID (patches)."""
        self.rejected.update(skus)

    def fail_once_transiently(self) -> None:
        """The next SP-API call is answered 503 (the token endpoint is not counted)."""
        self.transient += 1

    def refuse_auth(self) -> None:
        """LWA refuses the refresh token and SP-API every call, from now on."""
        self.auth_refused = True

    @property
    def request_count(self) -> int:
        """Requests received (token, SP-API and S3 alike)."""
        return len(self.requests)

    @property
    def uploaded(self) -> list[dict[str, Any]]:
        """Every feed document uploaded so far, parsed."""
        return [json.loads(doc) for doc in self.documents.values() if doc is not None]

    # --- wiring -----------------------------------------------------------------------------

    def __enter__(self) -> SellingPartnerDouble:
        mock = self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.__enter__()
        mock.add_callback(responses.POST, LWA_TOKEN_URL, callback=self._token)
        api = re.compile(re.escape(BASE) + r"/.*")
        for method in (responses.GET, responses.POST, responses.PUT, responses.PATCH,
                       responses.DELETE):
            mock.add_callback(method, api, callback=self._api)
        s3 = re.compile(re.escape(S3) + r"/.*")
        for method in (responses.GET, responses.PUT):
            mock.add_callback(method, s3, callback=self._s3)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._mock is not None
        self._mock.__exit__(*exc)

    # --- answers ----------------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> Reply:
        self.requests.append(("POST", "lwa-token"))
        if self.auth_refused:
            return 400, {"Content-Type": "application/json"}, json.dumps({
                "error": "invalid_grant",
                "error_description": "The request has an invalid grant parameter"})
        return _ok({"access_token": ACCESS_TOKEN, "token_type": "bearer",
                    "expires_in": 3600})

    def _api(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(request.url or "")
        method = request.method or ""
        self.requests.append((method, url.path))
        if self.auth_refused or request.headers.get("x-amz-access-token") != ACCESS_TOKEN:
            return _errors(403, "Unauthorized", "Access to requested resource is denied.")
        if self.transient:
            self.transient -= 1
            return _errors(503, "ServiceUnavailable", "Service temporarily unavailable")
        path = url.path
        if method == "POST" and path == "/feeds/2021-06-30/documents":
            return self._create_document()
        if method == "POST" and path == "/feeds/2021-06-30/feeds":
            return self._create_feed(json.loads(request.body or b"{}"))
        found = re.fullmatch(r"/feeds/2021-06-30/feeds/([^/]+)", path)
        if method == "GET" and found:
            return self._get_feed(unquote(found.group(1)))
        found = re.fullmatch(r"/feeds/2021-06-30/documents/([^/]+)", path)
        if method == "GET" and found:
            return self._get_document(unquote(found.group(1)))
        found = re.fullmatch(r"/listings/2021-08-01/items/([^/]+)/([^/]+)", path)
        if method == "PATCH" and found:
            return self._patch(unquote(found.group(2)), json.loads(request.body or b"{}"))
        return _errors(404, "NotFound", f"no such operation: {method} {path}")

    def _s3(self, request: requests.PreparedRequest) -> Reply:
        url = urlsplit(request.url or "")
        self.requests.append((request.method or "", url.path))
        name = url.path.rsplit("/", 1)[-1]
        if request.method == "PUT" and name in self.documents:
            body = request.body
            self.documents[name] = body if isinstance(body, bytes) else str(body).encode()
            return 200, {}, b""
        if request.method == "GET" and name in self.reports:
            return 200, {"Content-Type": "application/octet-stream"}, self.reports[name]
        return 403, {}, b"<Error><Code>AccessDenied</Code></Error>"

    def _create_document(self) -> Reply:
        document_id = f"amzn1.tortuga.doc-{len(self.documents) + 1}"
        self.documents[document_id] = None
        return _ok({"feedDocumentId": document_id, "url": f"{S3}/{document_id}{SIGNED}"}, 201)

    def _create_feed(self, body: dict[str, Any]) -> Reply:
        if body.get("feedType") != "JSON_LISTINGS_FEED" or not body.get("marketplaceIds"):
            return _errors(400, "InvalidInput", "feedType and marketplaceIds are required")
        document = self.documents.get(str(body.get("inputFeedDocumentId")))
        if document is None:
            return _errors(400, "InvalidInput", "the input feed document was not uploaded")
        feed_id = str(50_000 + len(self.feeds) + 1)
        self.feeds[feed_id] = {"checks": 0, "report": self._process(feed_id,
                                                                    json.loads(document))}
        return _ok({"feedId": feed_id}, 202)

    def _get_feed(self, feed_id: str) -> Reply:
        feed = self.feeds.get(feed_id)
        if feed is None:
            return _errors(404, "NotFound", f"feed {feed_id} not found")
        feed["checks"] += 1
        body: dict[str, Any] = {"feedId": feed_id, "feedType": "JSON_LISTINGS_FEED",
                                "createdTime": "2026-01-15T12:00:00Z",
                                "processingStatus": "IN_PROGRESS"}
        if feed["checks"] > 1:
            body.update(processingStatus="DONE", resultFeedDocumentId=f"report-{feed_id}")
        return _ok(body)

    def _get_document(self, document_id: str) -> Reply:
        if document_id not in self.reports:
            return _errors(404, "NotFound", f"document {document_id} not found")
        return _ok({"feedDocumentId": document_id, "url": f"{S3}/{document_id}{SIGNED}",
                    "compressionAlgorithm": "GZIP"})

    def _patch(self, sku: str, body: dict[str, Any]) -> Reply:
        self.patches.append((sku, body))
        if sku in self.rejected:
            return _ok({"sku": sku, "status": "INVALID", "submissionId": "p-0", "issues": [
                {"code": "90220", "severity": "ERROR", "attributeNames": ["item_name"],
                 "message": "'item_name' is required but not supplied."}]})
        listing = self.listings.setdefault(sku, {"productType": body.get("productType"),
                                                 "attributes": {}})
        _apply_patches(listing, body.get("patches") or [])
        return _ok({"sku": sku, "status": "ACCEPTED",
                    "submissionId": f"p-{len(self.patches)}", "issues": []})

    def _process(self, feed_id: str, document: dict[str, Any]) -> str:
        """Apply a feed's messages and store its processing report; returns the report id."""
        issues = []
        messages = document.get("messages") or []
        for message in messages:
            sku = message.get("sku")
            if sku in self.rejected:
                issues.append({"messageId": message.get("messageId"), "sku": sku,
                               "code": "90220", "severity": "ERROR",
                               "message": "'item_name' is required but not supplied.",
                               "attributeName": "item_name"})
                continue
            operation = message.get("operationType")
            if operation == "DELETE":
                self.listings.pop(sku, None)
            elif operation == "UPDATE":
                self.listings[sku] = {"productType": message.get("productType"),
                                      "attributes": dict(message.get("attributes") or {})}
            else:  # PATCH (and PARTIAL_UPDATE, which feedsync does not send)
                listing = self.listings.setdefault(sku, {
                    "productType": message.get("productType"), "attributes": {}})
                _apply_patches(listing, message.get("patches") or [])
        report_id = f"report-{feed_id}"
        invalid = len(issues)
        self.reports[report_id] = gzip.compress(json.dumps({
            "header": {"sellerId": document["header"]["sellerId"], "version": "2.0",
                       "feedId": feed_id},
            "issues": issues,
            "summary": {"errors": invalid, "warnings": 0,
                        "messagesProcessed": len(messages),
                        "messagesAccepted": len(messages) - invalid,
                        "messagesInvalid": invalid},
        }).encode())
        return report_id


def _apply_patches(listing: dict[str, Any], patches: list[dict[str, Any]]) -> None:
    attributes = listing["attributes"]
    for patch in patches:
        name = str(patch.get("path", "")).removeprefix("/attributes/")
        if patch.get("op") == "delete":
            attributes.pop(name, None)
        else:
            attributes[name] = patch.get("value")
