"""The whole feed flow over mocked HTTP, checked against the Feeds API model and feed schema."""

from __future__ import annotations

import gzip
import json
import logging
from urllib.parse import parse_qs

import pytest
import responses
from amazon_fixtures import (
    BASE,
    MARKETPLACE,
    PRESIGNED,
    REPORT_URL,
    SELLER,
    add_token,
    make_adapter,
)
from amazon_swagger import body_validator
from feedsync.adapters.amazon.client import JSON_CONTENT_TYPE

from feedsync.adapter import Action, Batch, ItemStatus, PlannedChange, SubmissionState
from feedsync.mapping.record import MappedRecord

FEEDS = f"{BASE}/feeds/2021-06-30"


def _record(sku: str, **fields: object) -> MappedRecord:
    base = {"sku": sku, "product_type": "SHIRT", "item_name": f"Tee {sku}", "brand": "Acme",
            "condition_type": "new_new", "currency": "USD", "our_price": "19.99",
            "quantity": "3"}
    base.update(fields)  # type: ignore[arg-type]
    return MappedRecord(sku=sku, channel="amazon", fields=base)  # type: ignore[arg-type]


def _batch(adapter) -> Batch:  # type: ignore[no-untyped-def]
    changes = [
        PlannedChange("TEE-1", Action.CREATE, _record("TEE-1")),
        PlannedChange("TEE-2", Action.UPDATE, _record("TEE-2"),
                      diff={"item_name": ("Old", "Tee TEE-2")}),
        PlannedChange("TEE-3", Action.PRICE_QUANTITY, _record("TEE-3"),
                      changed_parts=frozenset({"price"})),
        PlannedChange("GONE", Action.DELETE, None),
    ]
    return Batch("amazon", [adapter.render_item(c) for c in changes])


def _report(feed_id: str) -> bytes:
    return gzip.compress(json.dumps({
        "header": {"sellerId": SELLER, "version": "2.0", "feedId": feed_id},
        "issues": [{"messageId": 2, "sku": "TEE-2", "code": "90220", "severity": "ERROR",
                    "message": "'batteries_required' is required but not supplied.",
                    "attributeName": "batteries_required"},
                   {"messageId": 1, "sku": "TEE-1", "code": "18448", "severity": "WARNING",
                    "message": "relevant attributes incomplete"}],
        "summary": {"errors": 1, "warnings": 1, "messagesProcessed": 4,
                    "messagesAccepted": 3, "messagesInvalid": 1},
    }).encode())


@responses.activate
def test_feed_flow_from_document_to_per_sku_outcomes(swagger, feed_validator, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    adapter, _ = make_adapter()
    model = swagger("feeds_2021-06-30.json")
    add_token(responses.mock)
    responses.add(responses.POST, f"{FEEDS}/documents", status=201,
                  json={"feedDocumentId": "doc-in-1", "url": PRESIGNED})
    responses.add(responses.PUT, PRESIGNED.split("?")[0], status=200)
    responses.add(responses.POST, f"{FEEDS}/feeds", status=202, json={"feedId": "50001"})
    responses.add(responses.GET, f"{FEEDS}/feeds/50001",
                  json={"feedId": "50001", "feedType": "JSON_LISTINGS_FEED",
                        "createdTime": "2026-11-24T12:00:00Z", "processingStatus": "IN_QUEUE"})
    responses.add(responses.GET, f"{FEEDS}/feeds/50001",
                  json={"feedId": "50001", "feedType": "JSON_LISTINGS_FEED",
                        "createdTime": "2026-11-24T12:00:00Z", "processingStatus": "DONE",
                        "resultFeedDocumentId": "doc-out-1"})
    responses.add(responses.GET, f"{FEEDS}/documents/doc-out-1",
                  json={"feedDocumentId": "doc-out-1", "url": REPORT_URL,
                        "compressionAlgorithm": "GZIP"})
    responses.add(responses.GET, REPORT_URL.split("?")[0], body=_report("50001"))

    batch = _batch(adapter)
    submission = adapter.submit(batch)
    assert submission.state is SubmissionState.PENDING and submission.handle == "50001"

    calls = responses.calls
    token_call, doc_call, put_call, feed_call = calls[0], calls[1], calls[2], calls[3]
    form = parse_qs(token_call.request.body)
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["Atzr|refresh-token-value-456"]
    assert form["client_id"] == ["amzn1.application-oa2-client.abc"]
    # SP-API calls carry the LWA token; the presigned S3 upload carries none
    assert doc_call.request.headers["x-amz-access-token"] == "Atza|access-1"
    assert "x-amz-access-token" not in put_call.request.headers
    assert "Authorization" not in doc_call.request.headers  # no SigV4
    doc_body = json.loads(doc_call.request.body)
    assert doc_body == {"contentType": JSON_CONTENT_TYPE}
    assert not list(body_validator(model, "CreateFeedDocumentSpecification").iter_errors(doc_body))
    assert put_call.request.headers["Content-Type"] == JSON_CONTENT_TYPE
    uploaded = json.loads(put_call.request.body)
    assert not list(feed_validator.iter_errors(uploaded))
    assert [m["operationType"] for m in uploaded["messages"]] == ["UPDATE", "PATCH", "PATCH",
                                                                  "DELETE"]
    feed_body = json.loads(feed_call.request.body)
    assert feed_body == {"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [MARKETPLACE],
                         "inputFeedDocumentId": "doc-in-1"}
    assert not list(body_validator(model, "CreateFeedSpecification").iter_errors(feed_body))

    assert adapter.poll(submission).state is SubmissionState.PENDING
    done = adapter.poll(submission)
    assert done.state is SubmissionState.DONE
    result = {o.sku: o for o in done.outcomes}
    assert result["TEE-1"].status is ItemStatus.ACCEPTED
    assert result["TEE-1"].issues[0].code == "18448"
    assert result["TEE-2"].status is ItemStatus.REJECTED
    assert result["TEE-2"].issues[0].field == "batteries_required"
    assert result["TEE-2"].issues[0].source == "amazon"
    assert result["TEE-3"].status is ItemStatus.ACCEPTED
    assert result["GONE"].status is ItemStatus.DELETED
    # the presigned URLs' signatures and the secrets never reach a log line
    logged = caplog.text
    for secret in ("deadbeefcafe", "feedface0001", "client-secret-value-123",
                   "refresh-token-value-456", "access-1"):
        assert secret not in logged


@pytest.mark.parametrize(("status", "state", "expected"), [
    ("CANCELLED", SubmissionState.FAILED, None),
    ("FATAL", SubmissionState.FAILED, ItemStatus.PENDING),
])
@responses.activate
def test_cancelled_and_fatal_feeds(status: str, state: SubmissionState,
                                   expected: ItemStatus | None) -> None:
    adapter, _ = make_adapter()
    add_token(responses.mock)
    body = {"feedId": "9", "feedType": "JSON_LISTINGS_FEED", "processingStatus": status,
            "createdTime": "2026-11-24T12:00:00Z"}
    if status == "FATAL":
        body["resultFeedDocumentId"] = "out-9"
        responses.add(responses.GET, f"{FEEDS}/documents/out-9",
                      json={"feedDocumentId": "out-9", "url": REPORT_URL})
        responses.add(responses.GET, REPORT_URL.split("?")[0], body=json.dumps({
            "header": {"sellerId": SELLER, "version": "2.0", "feedId": "9"},
            "issues": [{"messageId": 1, "sku": "A", "severity": "ERROR", "code": "1",
                        "message": "bad"}],
            "summary": {"errors": 1, "warnings": 0, "messagesProcessed": 1,
                        "messagesAccepted": 0, "messagesInvalid": 1}}))
    responses.add(responses.GET, f"{FEEDS}/feeds/9", json=body)
    from feedsync.adapter import Submission

    pending = Submission("amazon", "9", SubmissionState.PENDING, ["A", "B"])
    polled = adapter.poll(pending)
    assert polled.state is state and polled.error
    if expected is None:
        assert polled.outcomes == []
    else:
        assert [(o.sku, o.status) for o in polled.outcomes] == [("A", ItemStatus.REJECTED)]


@responses.activate
def test_throttled_get_feed_waits_and_learns_the_rate() -> None:
    adapter, clock = make_adapter()
    add_token(responses.mock)
    responses.add(responses.GET, f"{FEEDS}/feeds/7", status=429,
                  headers={"x-amzn-RateLimit-Limit": "0.5"},
                  json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your "
                                                                        "quota"}]})
    responses.add(responses.GET, f"{FEEDS}/feeds/7", headers={"x-amzn-RateLimit-Limit": "0.5"},
                  json={"feedId": "7", "feedType": "JSON_LISTINGS_FEED",
                        "processingStatus": "IN_PROGRESS", "createdTime": "2026-11-24T12:00:00Z"})
    status = adapter.feeds.status("7")
    assert status.processing_status == "IN_PROGRESS"
    assert len([c for c in responses.calls if "/feeds/7" in c.request.url]) == 2
    assert clock.slept > 0  # backed off instead of hammering
    assert adapter.client.http.throttle.bucket("getFeed").rate == 0.5  # type: ignore[union-attr]


@responses.activate
def test_access_token_is_refreshed_after_an_hour_and_after_an_expired_token_403() -> None:
    adapter, clock = make_adapter()
    add_token(responses.mock, "Atza|first")
    add_token(responses.mock, "Atza|second")
    add_token(responses.mock, "Atza|third")
    feed = {"feedId": "1", "feedType": "JSON_LISTINGS_FEED", "processingStatus": "IN_QUEUE",
            "createdTime": "2026-11-24T12:00:00Z"}
    responses.add(responses.GET, f"{FEEDS}/feeds/1", json=feed)
    responses.add(responses.GET, f"{FEEDS}/feeds/1", json=feed)
    responses.add(responses.GET, f"{FEEDS}/feeds/1", status=403, json={"errors": [{
        "code": "Unauthorized", "message": "Access to requested resource is denied.",
        "details": "The access token you provided has expired."}]})
    responses.add(responses.GET, f"{FEEDS}/feeds/1", json=feed)
    adapter.feeds.status("1")
    clock.advance(3600)
    adapter.feeds.status("1")  # the one-hour token is renewed before use
    adapter.feeds.status("1")  # 403 "expired" → refresh once and retry
    sent = [c.request.headers.get("x-amz-access-token") for c in responses.calls
            if "/feeds/1" in c.request.url]
    assert sent == ["Atza|first", "Atza|second", "Atza|second", "Atza|third"]


@responses.activate
def test_upload_asks_for_a_new_document_when_the_url_is_too_old() -> None:
    adapter, clock = make_adapter()
    add_token(responses.mock)

    def slow_document(request):  # type: ignore[no-untyped-def]
        clock.advance(290)  # e.g. stuck behind a throttle wait
        return (201, {}, json.dumps({"feedDocumentId": "old", "url": PRESIGNED}))

    responses.add_callback(responses.POST, f"{FEEDS}/documents", callback=slow_document)
    responses.add(responses.POST, f"{FEEDS}/documents", status=201,
                  json={"feedDocumentId": "fresh", "url": PRESIGNED})
    responses.add(responses.PUT, PRESIGNED.split("?")[0])
    assert adapter.feeds.upload(b'{"header":{}}') == "fresh"
    assert [c.request.method for c in responses.calls[1:]] == ["POST", "POST", "PUT"]
