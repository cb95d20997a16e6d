"""The processing-report parser on Amazon's official example, and per-SKU outcomes."""

from __future__ import annotations

import json

import pytest
from feedsync.adapters.amazon.report import feed_level_summary, outcomes, parse_report
from jsonschema import Draft7Validator

from feedsync.adapter import ItemStatus
from feedsync.errors import ChannelError
from feedsync.models import Severity


@pytest.fixture(scope="module")
def example(amazon_specs):  # type: ignore[no-untyped-def]
    raw = (amazon_specs / "listings-feed-processing-report-schema-v2.example.json").read_bytes()
    schema = json.loads((amazon_specs / "listings-feed-processing-report-schema-v2.json")
                        .read_text())
    assert not list(Draft7Validator(schema).iter_errors(json.loads(raw)))
    return raw


def test_official_example_becomes_per_sku_outcomes(example: bytes) -> None:
    report = parse_report(example)
    assert report.feed_id == "1234567890"
    assert report.messages_processed == 4
    # messages 1..5 of the feed; the report names messages 4 (My-SKU-B) and 5 (My-SKU-C)
    skus = ["My-SKU-A", "My-SKU-X", "My-SKU-Y", "My-SKU-B", "My-SKU-C"]
    result = {o.sku: o for o in outcomes(report, skus, deleted={"My-SKU-A"})}
    assert result["My-SKU-A"].status is ItemStatus.DELETED
    assert result["My-SKU-X"].status is ItemStatus.ACCEPTED
    assert result["My-SKU-X"].issues == []
    b = result["My-SKU-B"]
    assert b.status is ItemStatus.REJECTED
    assert [(i.code, i.severity, i.source) for i in b.issues] == [
        ("90220", Severity.ERROR, "amazon"), ("90220", Severity.ERROR, "amazon")]
    assert "batteries_required" in b.issues[0].message
    c = result["My-SKU-C"]
    assert c.status is ItemStatus.REJECTED
    assert c.issues[0].field == "purchasable_offer.our_price"
    assert c.issues[0].sku == "My-SKU-C"


def test_warnings_and_info_do_not_reject() -> None:
    report = parse_report({"header": {"feedId": "1"}, "summary": {"messagesProcessed": 1},
                           "issues": [{"messageId": 1, "sku": "A", "code": "18448",
                                       "severity": "WARNING", "message": "w"},
                                      {"messageId": 1, "severity": "INFO", "message": "i"}]})
    [outcome] = outcomes(report, ["A"])
    assert outcome.status is ItemStatus.ACCEPTED
    assert [i.severity for i in outcome.issues] == [Severity.WARNING, Severity.WARNING]


def test_feed_level_errors_reject_every_sku_when_nothing_was_processed() -> None:
    report = parse_report({"summary": {"messagesProcessed": 0, "errors": 1},
                           "issues": [{"code": "4000003", "severity": "ERROR",
                                       "message": "The feed is not valid JSON"}]})
    result = outcomes(report, ["A", "B"])
    assert [o.status for o in result] == [ItemStatus.REJECTED, ItemStatus.REJECTED]
    assert result[1].issues[0].code == "4000003"
    assert feed_level_summary(report) == "4000003: The feed is not valid JSON"


def test_issue_with_sku_but_no_message_id_is_matched_by_sku() -> None:
    report = parse_report({"summary": {"messagesProcessed": 2},
                           "issues": [{"sku": "B", "severity": "ERROR", "code": "8560",
                                       "message": "m"}]})
    assert [o.status for o in outcomes(report, ["A", "B"])] == [ItemStatus.ACCEPTED,
                                                                 ItemStatus.REJECTED]


@pytest.mark.parametrize("raw", [b"not json", b"{}", b"[]"])
def test_garbage_is_a_channel_error(raw: bytes) -> None:
    with pytest.raises(ChannelError):
        parse_report(raw)
