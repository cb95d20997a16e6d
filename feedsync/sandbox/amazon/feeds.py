"""Feeds API 2021-06-30 with JSON_LISTINGS_FEED, processed asynchronously.

https://developer-docs.amazon.com/sp-api/docs/feeds-api-v2021-06-30-use-case-guide:
createFeedDocument → a presigned upload URL (five minutes, the content type is part of the
signature) → PUT the document → createFeed → getFeed (IN_QUEUE → IN_PROGRESS → DONE or FATAL,
over a few polls or ``FEED_SETTLE_S`` seconds) → getFeedDocument → a GZIP processing report
(listings-feed-processing-report-schema-v2). Presigned URLs are served under ``/amazon/s3/``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from feedsync.sandbox.amazon import rules
from feedsync.sandbox.amazon.base import MARKETPLACE_ID, AmazonBase, errors, invalid_input
from feedsync.sandbox.amazon.listings import apply_message, iso
from feedsync.sandbox.jobs import DONE, IN_PROGRESS, Job
from feedsync.sandbox.messages import Request, Response
from feedsync.sandbox.module import Exchange, route

FEEDS = "/feeds/2021-06-30"
FEED_TYPES = ("JSON_LISTINGS_FEED",)  # XML/flat-file feed types are deprecated for listings
URL_LIFETIME = 300  # presigned URLs expire after five minutes
MAX_FEED_BYTES = 10 * 1024 * 1024  # feeds-api-best-practices: below 10 MiB
MAX_MESSAGES = 25_000  # listings-feed-schema-v2 messages.maxItems
FEED_POLLS = 2  # getFeed calls until a feed is done (real feeds take minutes)
FEED_SETTLE_S = 30.0  # …or this much time, whoever asks
STATUS = {"QUEUED": "IN_QUEUE", IN_PROGRESS: "IN_PROGRESS"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS amazon_documents (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB,
    compression TEXT, created_at REAL NOT NULL);
"""


def _signature(document_id: str, issued: str, content_type: str) -> str:
    return hashlib.sha256(f"{document_id}|{issued}|{content_type}".encode()).hexdigest()


def _s3_error(code: str, message: str, status: int = 403) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()
    return Response.raw(body, "application/xml", status=status)


class FeedRoutes(AmazonBase):
    """createFeedDocument, the presigned upload/download, createFeed, getFeed(s),
    getFeedDocument."""

    def _presigned(self, ctx: Exchange, document_id: str, content_type: str) -> str:
        issued = datetime.fromtimestamp(ctx.now, UTC).strftime("%Y%m%dT%H%M%SZ")
        return ctx.url(f"/s3/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date="
                       f"{issued}&X-Amz-Expires={URL_LIFETIME}&X-Amz-Signature="
                       f"{_signature(document_id, issued, content_type)}")

    @route("POST", f"{FEEDS}/documents", operation="createFeedDocument")
    def create_feed_document(self, ctx: Exchange, request: Request) -> Response:
        """A new input document and its presigned upload URL (201)."""
        body = request.json()
        content_type = body.get("contentType") if isinstance(body, dict) else None
        if not isinstance(content_type, str) or not content_type:
            raise invalid_input("contentType is required.")
        document_id = f"amzn1.tortuga.4.na.{uuid.uuid4()}"
        ctx.db.execute("INSERT INTO amazon_documents (id, kind, content_type, created_at) "
                       "VALUES (?, 'input', ?, ?)", (document_id, content_type, ctx.now))
        return Response.json({"feedDocumentId": document_id,
                              "url": self._presigned(ctx, document_id, content_type)},
                             status=201)

    def _check_presigned(self, ctx: Exchange, request: Request) -> tuple[str, Any] | Response:
        document_id = request.params["document_id"]
        row = ctx.db.execute("SELECT * FROM amazon_documents WHERE id = ?",
                             (document_id,)).fetchone()
        if row is None:
            return _s3_error("NoSuchKey", "The specified key does not exist.", 404)
        issued = request.arg("X-Amz-Date") or ""
        if request.arg("X-Amz-Signature") != _signature(document_id, issued,
                                                        row["content_type"]):
            return _s3_error("SignatureDoesNotMatch", "The request signature we calculated "
                             "does not match the signature you provided.")
        try:
            signed_at = datetime.strptime(issued, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _s3_error("AuthorizationQueryParametersError", "X-Amz-Date is invalid.", 400)
        if ctx.now > signed_at.timestamp() + URL_LIFETIME:
            return _s3_error("AccessDenied", "Request has expired")
        return document_id, row

    @route("PUT", "/s3/{document_id}", operation="uploadFeedDocument", auth=False)
    def upload(self, ctx: Exchange, request: Request) -> Response:
        """The presigned PUT: the Content-Type must be the one the URL was made for."""
        checked = self._check_presigned(ctx, request)
        if isinstance(checked, Response):
            return checked
        document_id, row = checked
        if row["kind"] != "input":
            return _s3_error("AccessDenied", "Access Denied")
        if request.headers.get("Content-Type") != row["content_type"]:
            return _s3_error("SignatureDoesNotMatch", "The Content-Type is not the one the URL "
                             "was signed for.")
        ctx.db.execute("UPDATE amazon_documents SET body = ? WHERE id = ?",
                       (request.body, document_id))
        return Response.empty(200, {"ETag": f'"{hashlib.md5(request.body).hexdigest()}"'})

    @route("GET", "/s3/{document_id}", operation="downloadFeedDocument", auth=False)
    def download(self, ctx: Exchange, request: Request) -> Response:
        """The presigned GET of a result document (GZIP bytes)."""
        checked = self._check_presigned(ctx, request)
        if isinstance(checked, Response):
            return checked
        _, row = checked
        if row["body"] is None:
            return _s3_error("NoSuchKey", "The specified key does not exist.", 404)
        return Response.raw(bytes(row["body"]), row["content_type"])

    @route("POST", f"{FEEDS}/feeds", operation="createFeed")
    def create_feed(self, ctx: Exchange, request: Request) -> Response:
        """Queue a feed for an uploaded input document (202 + feedId)."""
        body = request.json()
        if not isinstance(body, dict):
            raise invalid_input("The request body must be a CreateFeedSpecification object.")
        feed_type = body.get("feedType")
        if feed_type not in FEED_TYPES:
            raise invalid_input(f"Invalid feedType '{feed_type}': this sandbox processes "
                                f"{', '.join(FEED_TYPES)}.")
        marketplaces = body.get("marketplaceIds")
        if not isinstance(marketplaces, list) or not marketplaces:
            raise invalid_input("marketplaceIds is required.")
        if any(m != MARKETPLACE_ID for m in marketplaces):
            raise invalid_input(f"The seller does not sell in marketplace(s) "
                                f"{[m for m in marketplaces if m != MARKETPLACE_ID]}.")
        document_id = body.get("inputFeedDocumentId")
        row = ctx.db.execute("SELECT kind, body FROM amazon_documents WHERE id = ?",
                             (document_id,)).fetchone()
        if row is None or row["kind"] != "input":
            raise invalid_input(f"Invalid inputFeedDocumentId '{document_id}'.")
        if row["body"] is None:
            raise invalid_input(f"The feed document '{document_id}' has not been uploaded.")
        payload = {"feedType": feed_type, "marketplaceIds": marketplaces,
                   "inputFeedDocumentId": document_id, "createdTime": iso(ctx.now)}
        job = ctx.jobs.submit("feed", payload, polls=FEED_POLLS, owner=request.principal,
                              job_id=str(50_000_000_000 + ctx.next_id("feed")),
                              settle_s=FEED_SETTLE_S)
        return Response.json({"feedId": job.id}, status=202)

    @route("GET", f"{FEEDS}/feeds/{{feed_id}}", operation="getFeed")
    def get_feed(self, ctx: Exchange, request: Request) -> Response:
        """One feed; each call is a poll that moves its processing on."""
        job = ctx.jobs.advance(request.params["feed_id"])
        if job is None or job.kind != "feed" or job.owner != request.principal:
            raise errors(404, "NotFound", "The requested feed was not found.")
        return Response.json(feed_view(job))

    @route("GET", f"{FEEDS}/feeds", operation="getFeeds")
    def get_feeds(self, ctx: Exchange, request: Request) -> Response:
        """Recent feeds (the read-back for a createFeed whose answer was lost)."""
        types = [t for t in (request.arg("feedTypes") or "").split(",") if t]
        if not types and not request.arg("nextToken"):
            raise invalid_input("feedTypes is required when nextToken is absent.")
        size = int(request.arg("pageSize") or 10)
        if not 1 <= size <= 100:
            raise invalid_input("pageSize must be between 1 and 100.")
        statuses = {s for s in (request.arg("processingStatuses") or "").split(",") if s}
        marketplaces = {m for m in (request.arg("marketplaceIds") or "").split(",") if m}
        since = _created(request.arg("createdSince"), "createdSince", ctx.now - 90 * 86400)
        until = _created(request.arg("createdUntil"), "createdUntil", ctx.now)
        feeds = []
        for job in ctx.jobs.recent("feed", owner=request.principal, limit=1000):
            if not since <= job.created_at <= until:
                continue
            job = ctx.jobs.advance(job.id, poll=False) or job
            view = feed_view(job)
            if (view["feedType"] in types
                    and (not statuses or view["processingStatus"] in statuses)
                    and (not marketplaces or marketplaces & set(view["marketplaceIds"]))):
                feeds.append(view)
        return Response.json({"feeds": feeds[:size]})

    @route("GET", f"{FEEDS}/documents/{{document_id}}", operation="getFeedDocument")
    def get_feed_document(self, ctx: Exchange, request: Request) -> Response:
        """A result document's presigned download URL (GZIP-compressed)."""
        row = ctx.db.execute("SELECT * FROM amazon_documents WHERE id = ?",
                             (request.params["document_id"],)).fetchone()
        if row is None:
            raise errors(404, "NotFound", "The requested feed document was not found.")
        answer = {"feedDocumentId": row["id"],
                  "url": self._presigned(ctx, row["id"], row["content_type"])}
        if row["compression"]:
            answer["compressionAlgorithm"] = row["compression"]
        return Response.json(answer)

    # --- processing -----------------------------------------------------------------------------

    def process_job(self, ctx: Exchange, job: Job) -> Any:
        """Process one feed: every valid message applied, a report with every issue."""
        row = ctx.db.execute("SELECT body FROM amazon_documents WHERE id = ?",
                             (job.payload["inputFeedDocumentId"],)).fetchone()
        data = bytes(row["body"] or b"")
        status, report = "DONE", process_document(ctx, job, data)
        if report is None:
            status = "FATAL"
            report = _report(job, [rules.issue("100001", "The feed document is not a valid "
                                               "JSON_LISTINGS_FEED (header, version 2.0, 1 to "
                                               "25,000 messages, below 10 MiB).")], 0, 0)
        result_id = f"amzn1.tortuga.4.na.{uuid.uuid4()}"
        ctx.db.execute("INSERT INTO amazon_documents (id, kind, content_type, body, compression, "
                       "created_at) VALUES (?, 'result', 'application/json', ?, 'GZIP', ?)",
                       (result_id, gzip.compress(json.dumps(report).encode(), mtime=0),
                        ctx.now))
        return {"processingStatus": status, "resultFeedDocumentId": result_id,
                "processingStartTime": iso(job.created_at), "processingEndTime": iso(ctx.now)}


def _created(text: str | None, name: str, default: float) -> float:
    """getFeeds' createdSince/createdUntil (ISO 8601; default: 90 days ago / now)."""
    if text is None:
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"{name} '{text}' is not an ISO 8601 date-time.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def process_document(ctx: Exchange, job: Job, data: bytes) -> dict[str, Any] | None:
    """The processing report of a feed document, or None when the whole feed is unusable."""
    if len(data) > MAX_FEED_BYTES:
        return None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    header = document.get("header") if isinstance(document, dict) else None
    messages = document.get("messages") if isinstance(document, dict) else None
    if (not isinstance(header, dict) or header.get("sellerId") != job.owner
            or header.get("version") != "2.0" or not isinstance(messages, list)
            or not 1 <= len(messages) <= MAX_MESSAGES):
        return None
    issues: list[dict[str, Any]] = []
    seen: set[int] = set()
    accepted = 0
    for message in messages:
        message_id = message.get("messageId") if isinstance(message, dict) else None
        if not isinstance(message_id, int) or message_id < 1 or message_id in seen:
            found = [rules.issue(rules.BAD_MESSAGE, "messageId must be a unique positive "
                                 "integer.")]
        else:
            seen.add(message_id)
            found = apply_message(ctx, message)
        for entry in found:
            located: dict[str, Any] = {}
            if isinstance(message_id, int) and message_id >= 1:
                located["messageId"] = message_id  # absent for errors outside a message
            if isinstance(message, dict) and isinstance(message.get("sku"), str):
                located["sku"] = message["sku"]
            issues.append({**located, **entry})
        accepted += not found
    return _report(job, issues, len(messages), accepted)


def _report(job: Job, issues: list[dict[str, Any]], processed: int, accepted: int
            ) -> dict[str, Any]:
    invalid = len({i.get("messageId") for i in issues if i["severity"] == "ERROR"})
    return {
        "header": {"sellerId": job.owner or "", "version": "2.0", "feedId": job.id},
        "issues": issues,
        "summary": {"errors": sum(i["severity"] == "ERROR" for i in issues),
                    "warnings": sum(i["severity"] == "WARNING" for i in issues),
                    "messagesProcessed": processed, "messagesAccepted": accepted,
                    "messagesInvalid": invalid},
    }


def feed_view(job: Job) -> dict[str, Any]:
    """A Feed object of the Feeds API."""
    view: dict[str, Any] = {
        "feedId": job.id, "feedType": job.payload["feedType"],
        "marketplaceIds": job.payload["marketplaceIds"],
        "createdTime": job.payload["createdTime"],
        "processingStatus": STATUS.get(job.status, "IN_PROGRESS"),
    }
    if job.status == IN_PROGRESS:
        view["processingStartTime"] = job.payload["createdTime"]
    if job.status == DONE and isinstance(job.result, dict):
        view.update(job.result)
    return view
