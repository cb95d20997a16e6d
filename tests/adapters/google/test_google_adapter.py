"""Google adapter flows against a mocked Merchant API: insert, delete, status, limits, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from feedsync.adapters.google.adapter import DEFERRED, GoogleAdapter, GoogleConfig
from feedsync.adapters.google.render import product_key, resource_segment
from google_double import MerchantApiDouble
from google_oracle import errors
from google_support import API, SOURCE, TOKEN_URL, token_response
from jsonschema import Draft202012Validator
from pydantic import ValidationError
from responses import matchers

from feedsync.adapter import Action, Batch, ItemStatus, PlannedChange, Submission, SubmissionState
from feedsync.errors import CircuitOpen, ConfigError, TransientError
from feedsync.http import FakeClock
from feedsync.mapping.record import MappedRecord
from feedsync.models import Severity
from feedsync.registry import adapter_class

Build = Callable[..., GoogleAdapter]
KEY = "en~US~SKU-1"
GET_URL = f"{API}/products/{resource_segment(KEY)}"


def fields(sku: str = "SKU-1", **extra: Any) -> dict[str, Any]:
    values = {"id": sku, "title": f"Tee {sku}", "description": "A tee.",
              "link": f"https://shop.example.com/{sku}", "image_link": "https://img/x.jpg",
              "availability": "in_stock", "price": "19.99 USD", "brand": "Acme",
              "condition": "new"}
    values.update(extra)
    return values


def change(sku: str = "SKU-1", action: Action = Action.CREATE,
           remote_id: str | None = None, **extra: Any) -> PlannedChange:
    record = None if action is Action.DELETE else MappedRecord(sku, "google", fields(sku, **extra))
    return PlannedChange(sku, action, record, remote_id=remote_id)


def push(adapter: GoogleAdapter, planned: PlannedChange) -> Submission:
    return adapter.submit(Batch("google", [adapter.render_item(planned)]))


def resumed(submission: Submission) -> Submission:
    """The submission as the core rebuilds it in a later run: SKUs and detail only."""
    return Submission(submission.channel, submission.handle, SubmissionState.PENDING,
                      sorted(submission.skus), detail=json.loads(json.dumps(submission.detail)))


def insert_ok(mocked: responses.RequestsMock, **kwargs: Any) -> None:
    mocked.add(responses.POST, f"{API}/productInputs:insert",
               match=[matchers.query_param_matcher({"dataSource": SOURCE})],
               json={"name": f"accounts/123/productInputs/{KEY}", "offerId": "SKU-1"}, **kwargs)


def processed(when: float, *, issues: list[dict[str, Any]] | None = None,
              approved: bool = True) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")
    destination = {"reportingContext": "SHOPPING_ADS",
                   ("approvedCountries" if approved else "disapprovedCountries"): ["US"]}
    return {"name": f"accounts/123/products/{KEY}", "offerId": "SKU-1",
            "productStatus": {"lastUpdateDate": stamp, "destinationStatuses": [destination],
                              "itemLevelIssues": issues or []}}


def test_registry_finds_the_adapter() -> None:
    assert adapter_class("google") is GoogleAdapter


def test_insert_sends_a_valid_product_input_to_the_data_source(
        make_adapter: Build, mocked: responses.RequestsMock,
        product_input_validator: Draft202012Validator) -> None:
    token_response(mocked)
    insert_ok(mocked)
    submission = push(make_adapter(), change())
    call = mocked.calls[1]
    body = json.loads(call.request.body)
    assert errors(product_input_validator, body) == []
    assert body["offerId"] == "SKU-1" and body["feedLabel"] == "US"
    assert call.request.headers["Authorization"] == "Bearer ya29.first-token"
    assert call.request.headers["Content-Type"] == "application/json"
    assert submission.state is SubmissionState.PENDING
    assert [(o.sku, o.status, o.remote_id) for o in submission.outcomes] == [
        ("SKU-1", ItemStatus.PENDING, KEY)]
    json.dumps(submission.detail)  # the core stores it as JSON


def test_status_is_read_back_after_google_had_time(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    token_response(mocked)
    insert_ok(mocked)
    adapter = make_adapter()
    submission = push(adapter, change())
    sent = clock.time()
    assert adapter.poll(submission).state is SubmissionState.PENDING  # too early: no call
    assert len(mocked.calls) == 2
    clock.advance(301)
    issues = [
        {"code": "image_link_broken", "attribute": "imageLink", "severity": "DISAPPROVED",
         "description": "Invalid image", "detail": "Unable to crawl the image",
         "reportingContext": "SHOPPING_ADS", "applicableCountries": ["US"],
         "documentation": "https://support.google.com/merchants/answer/6098289"},
        {"code": "missing_gtin", "attribute": "gtin", "severity": "DEMOTED",
         "description": "Missing GTIN"},
    ]
    mocked.add(responses.GET, GET_URL, json=processed(sent + 60, issues=issues, approved=False))
    polled = make_adapter().poll(resumed(submission))  # a later run picks it up
    assert polled.state is SubmissionState.DONE
    [outcome] = polled.outcomes
    assert outcome.status is ItemStatus.REJECTED and outcome.remote_id == KEY
    assert [(i.code, i.severity, i.field, i.source) for i in outcome.issues] == [
        ("image_link_broken", Severity.ERROR, "image_link", "google"),
        ("missing_gtin", Severity.WARNING, "gtin", "google")]
    assert "Unable to crawl" in outcome.issues[0].message
    assert "SHOPPING_ADS US" in outcome.issues[0].message


def test_a_status_older_than_the_insert_is_not_taken_for_its_result(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    token_response(mocked)
    insert_ok(mocked)
    adapter = make_adapter()
    submission = push(adapter, change())
    sent = clock.time()
    clock.advance(400)
    mocked.add(responses.GET, GET_URL, json=processed(sent - 3600))
    assert adapter.poll(submission).state is SubmissionState.PENDING
    mocked.replace(responses.GET, GET_URL, json=processed(sent + 200))
    polled = adapter.poll(submission)
    assert polled.state is SubmissionState.DONE
    assert polled.outcomes[0].status is ItemStatus.ACCEPTED


def test_unprocessed_product_times_out_as_a_reported_error(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    token_response(mocked)
    insert_ok(mocked)
    adapter = make_adapter(status_timeout_hours=1)
    submission = push(adapter, change())
    clock.advance(600)
    mocked.add(responses.GET, GET_URL, status=404, json={"error": {"status": "NOT_FOUND"}})
    assert adapter.poll(submission).state is SubmissionState.PENDING
    clock.advance(3600)
    polled = adapter.poll(submission)
    assert polled.state is SubmissionState.DONE
    assert polled.outcomes[0].status is ItemStatus.REJECTED
    assert polled.outcomes[0].issues[0].code == "not_processed"


def test_delete_targets_the_product_as_it_was_sent(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    sent_as = "en~GB~SKU-1"  # the feed label was GB when it was created
    url = f"{API}/productInputs/{resource_segment(sent_as)}"
    mocked.add(responses.DELETE, url, match=[matchers.query_param_matcher({"dataSource": SOURCE})],
               json={})
    submission = push(make_adapter(), change(action=Action.DELETE, remote_id=sent_as))
    assert submission.state is SubmissionState.DONE
    assert [(o.status, o.remote_id) for o in submission.outcomes] == [
        (ItemStatus.DELETED, sent_as)]


def test_deleting_what_google_no_longer_has_counts_as_deleted(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.DELETE, f"{API}/productInputs/{resource_segment(KEY)}", status=404,
               json={"error": {"code": 404, "status": "NOT_FOUND"}})
    submission = push(make_adapter(), change(action=Action.DELETE))
    assert submission.outcomes[0].status is ItemStatus.DELETED


def test_invalid_argument_rejects_only_that_sku(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=400, json={"error": {
        "code": 400, "status": "INVALID_ARGUMENT",
        "message": "[productAttributes.gtins] The GTIN is invalid."}})
    submission = push(make_adapter(), change())
    [outcome] = submission.outcomes
    assert submission.state is SubmissionState.DONE
    assert outcome.status is ItemStatus.REJECTED
    assert outcome.issues[0].field == "gtin"
    assert outcome.issues[0].message == "[productAttributes.gtins] The GTIN is invalid."


def test_field_violations_become_one_issue_each(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=400, json={"error": {
        "code": 400, "status": "INVALID_ARGUMENT", "message": "Request contains an invalid "
        "argument.", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                  "fieldViolations": [
                                      {"field": "product_attributes.image_link",
                                       "description": "Invalid URL"},
                                      {"field": "product_attributes.price.amount_micros",
                                       "description": "Must be positive"}]}]}})
    [outcome] = push(make_adapter(), change()).outcomes
    assert [(i.field, i.message) for i in outcome.issues] == [
        ("image_link", "Invalid URL"), ("price", "Must be positive")]


def test_429_waits_as_told_then_succeeds(make_adapter: Build, mocked: responses.RequestsMock,
                                         clock: FakeClock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=429,
               headers={"Retry-After": "7"},
               json={"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}})
    insert_ok(mocked)
    submission = push(make_adapter(), change())
    assert submission.outcomes[0].status is ItemStatus.PENDING
    assert 7.0 in clock.sleeps


def test_server_errors_are_retried(make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=503,
               json={"error": {"code": 503, "status": "UNAVAILABLE"}})
    insert_ok(mocked)
    assert push(make_adapter(), change()).outcomes[0].status is ItemStatus.PENDING


def test_persistent_server_errors_leave_the_sku_for_the_next_run(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=500,
               json={"error": {"code": 500, "status": "INTERNAL"}})
    with pytest.raises(TransientError):
        push(make_adapter(), change())


def test_401_refreshes_the_token_once_and_retries(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked, "ya29.old")
    token_response(mocked, "ya29.new")
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=401,
               json={"error": {"code": 401, "status": "UNAUTHENTICATED"}})
    insert_ok(mocked)
    submission = push(make_adapter(), change())
    assert submission.outcomes[0].status is ItemStatus.PENDING
    assert len([c for c in mocked.calls if c.request.url == TOKEN_URL]) == 2
    assert mocked.calls[-1].request.headers["Authorization"] == "Bearer ya29.new"


def test_permission_denied_stops_the_channel(make_adapter: Build,
                                             mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.POST, f"{API}/productInputs:insert", status=403, json={"error": {
        "code": 403, "status": "PERMISSION_DENIED", "message": "The caller does not have "
        "permission"}})
    adapter = make_adapter()
    with pytest.raises(CircuitOpen, match="PERMISSION_DENIED"):
        push(adapter, change())
    with pytest.raises(CircuitOpen):  # the rest of the run fails fast, without calls
        push(adapter, change("SKU-2"))
    assert len(mocked.calls) == 2
    # … and without spending SKU-2's daily budget
    assert adapter.client.http.key_budget("productInputs.write").used("en~US~SKU-2") == 0


def test_third_update_of_a_day_is_deferred_and_persisted(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    token_response(mocked)
    insert_ok(mocked)
    adapter = make_adapter()
    assert push(adapter, change()).outcomes[0].status is ItemStatus.PENDING
    clock.advance(3600)
    assert push(adapter, change(action=Action.UPDATE, title="v2")).outcomes[0].status is (
        ItemStatus.PENDING)
    calls = len(mocked.calls)
    third = push(adapter, change(action=Action.UPDATE, title="v3"))
    assert len(mocked.calls) == calls  # nothing sent
    [outcome] = third.outcomes
    assert third.state is SubmissionState.DONE and third.detail["deferred"] == ["SKU-1"]
    assert outcome.status is ItemStatus.DEFERRED
    assert outcome.issues[0].code == DEFERRED and "2 updates per product" in (
        outcome.issues[0].message)
    # a new run (new adapter, same workspace database) still sees the budget spent …
    assert push(make_adapter(), change(action=Action.UPDATE)).detail.get("deferred") == [
        "SKU-1"]
    # … other products are not affected, and a day later the product can be sent again
    assert push(adapter, change("SKU-2")).outcomes[0].status is ItemStatus.PENDING
    clock.advance(25 * 3600)
    assert push(make_adapter(), change(action=Action.UPDATE)).outcomes[0].status is (
        ItemStatus.PENDING)


def test_read_status_walks_every_page_and_joins_offer_ids(
        make_adapter: Build, mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    issue = {"code": "price_mismatch", "severity": "DISAPPROVED", "attribute": "price",
             "description": "Mismatched price"}
    page1 = {"products": [
        {"offerId": "SKU-1", "name": "accounts/123/products/en~US~SKU-1",
         "productStatus": {"itemLevelIssues": [issue]}},
        {"offerId": "OTHER", "productStatus": {}}], "nextPageToken": "p2"}
    page2 = {"products": [{"offerId": "SKU-2", "productStatus": {"destinationStatuses": [
        {"pendingCountries": ["US"]}]}}]}
    url = f"{API}/products"
    mocked.add(responses.GET, url, json=page1,
               match=[matchers.query_param_matcher({"pageSize": "1000"})])
    mocked.add(responses.GET, url, json=page2,
               match=[matchers.query_param_matcher({"pageSize": "1000", "pageToken": "p2"})])
    found = list(make_adapter().read_status({"SKU-1": "SKU-1", "SKU-2": "SKU-2"}))
    assert [(o.sku, o.status) for o in found] == [("SKU-1", ItemStatus.REJECTED),
                                                  ("SKU-2", ItemStatus.PENDING)]
    assert found[0].issues[0].code == "price_mismatch" and found[0].issues[0].field == "price"


def test_render_is_pure_and_needs_no_credentials(tmp_path: Any, make_adapter: Build) -> None:
    adapter = make_adapter()
    first = adapter.render_item(change())
    second = adapter.render_item(change())
    assert first.payload == second.payload and first.size == second.size > 0
    assert adapter._client is None  # nothing was built: no secrets read, no I/O


def test_delete_without_remote_id_uses_todays_settings(make_adapter: Build) -> None:
    item = make_adapter(feed_label="DE", content_language="de").render_item(
        change(action=Action.DELETE))
    assert item.payload == {"op": "delete", "key": product_key("de", "DE", "SKU-1")}


def test_missing_api_settings_are_named_when_the_adapter_opens(make_adapter: Build) -> None:
    with pytest.raises(ConfigError) as caught:
        make_adapter(merchant_id="", feed_label="")
    assert caught.value.problems == [
        "channels.google.merchant_id: required for delivery = 'api'",
        "channels.google.feed_label: required for delivery = 'api'"]
    make_adapter(merchant_id="", feed_label="", delivery="file")  # a feed needs none of them


@pytest.mark.parametrize(("key", "value"), [
    ("data_source", "accounts/1/products/2"), ("merchant_id", "abc"), ("feed_label", "us"),
    ("content_language", "eng"), ("unknown", 1)])
def test_invalid_settings_are_refused(key: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        GoogleConfig.model_validate({key: value})


def test_many_pending_inserts_are_read_back_with_one_list_walk(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    """Past ``status_get_threshold`` lookups, one products.list walk answers the rest."""
    double = MerchantApiDouble(clock=clock)
    double.start(mocked)
    adapter = make_adapter(status_get_threshold=2)
    skus = [f"SKU-{n}" for n in range(6)]
    submissions = [push(adapter, change(sku)) for sku in skus]
    clock.advance(301)
    later = make_adapter(status_get_threshold=2)  # the next run
    polled = [later.poll(resumed(s)) for s in submissions]
    assert all(p.state is SubmissionState.DONE for p in polled)
    assert [p.outcomes[0].status for p in polled] == [ItemStatus.ACCEPTED] * 6
    gets = [r for r in double.requests if r[0] == "GET" and "/products/" in r[1]
            and not r[1].endswith("/products")]
    walks = [r for r in double.requests if r == ("GET", "/products/v1/accounts/123/products")]
    assert len(gets) == 2 and len(walks) == 1
    assert later.reader.gets == 2 and later.reader.walks == 1


def test_outcomes_known_early_survive_until_the_last_product_is_processed(
        make_adapter: Build, mocked: responses.RequestsMock, clock: FakeClock) -> None:
    """A submission of several products resolves one by one across runs, losing none."""
    double = MerchantApiDouble(clock=clock)
    double.start(mocked)
    double.reject(["BAD"])
    adapter = make_adapter()
    items = [adapter.render_item(change(sku)) for sku in ("A", "BAD", "C")]
    submission = adapter.submit(Batch("google", items))  # three calls, one submission
    assert submission.state is SubmissionState.PENDING
    del double.inputs["en~US~C"]  # C is not processed yet
    clock.advance(301)
    first = make_adapter().poll(resumed(submission))
    assert first.state is SubmissionState.PENDING
    double.inputs["en~US~C"] = {"offerId": "C", "contentLanguage": "en", "feedLabel": "US"}
    double.updated["en~US~C"] = clock.time()
    done = make_adapter().poll(resumed(first))
    assert done.state is SubmissionState.DONE
    assert {o.sku: o.status for o in done.outcomes} == {
        "A": ItemStatus.ACCEPTED, "BAD": ItemStatus.REJECTED, "C": ItemStatus.ACCEPTED}
    assert done.outcomes[1].issues[0].field == "gtin"
