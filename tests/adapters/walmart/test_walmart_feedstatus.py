"""Feed status → per-SKU outcomes. Pages not taken from Walmart's examples are built on the
official one (feeds.getFeedItemStatus.200.json) and validated against ``PartnerFeedResponse``, so
they are shapes Walmart declares."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from feedsync.adapters.walmart import feedstatus
from walmart_oracle import errors, example, validator

from feedsync.adapter import ItemStatus
from feedsync.errors import ChannelError
from feedsync.models import Severity


def page(items: list[dict[str, Any]], *, status: str = "PROCESSED", offset: int = 0,
         received: int | None = None, **extra: Any) -> dict[str, Any]:
    """A PartnerFeedResponse page shaped like Walmart's example."""
    body = copy.deepcopy(example("feeds.getFeedItemStatus.200.json"))
    failed = sum(1 for i in items if i["ingestionStatus"] != "SUCCESS")
    body.update(feedStatus=status, offset=offset, limit=50,
                itemsReceived=received if received is not None else len(items),
                itemsSucceeded=len(items) - failed, itemsFailed=failed, itemsProcessing=0,
                itemDetails={"itemIngestionStatus": items}, **extra)
    assert not errors(validator("feeds", "PartnerFeedResponse"), body)
    return body


def item(sku: str, index: int, status: str = "SUCCESS", *errs: dict[str, str]
         ) -> dict[str, Any]:
    row: dict[str, Any] = {"martId": 0, "sku": sku, "index": index, "ingestionStatus": status}
    if errs:
        row["ingestionErrors"] = {"ingestionError": list(errs)}
    return row


def test_data_errors_reject_the_sku_and_name_the_mapping_field(walmart_specs: Path) -> None:
    body = page([
        item("A", 0),
        item("B", 1, "DATA_ERROR",
             {"type": "DATA_ERROR", "code": "ERR_EXT_DATA_0101001",
              "description": "Attribute 'productName' exceeds the maximum length of 199"},
             {"type": "DATA_ERROR", "code": "ERR_EXT_DATA_0801002", "field": "mainImageUrl",
              "description": "image could not be downloaded"}),
        item("C", 2, "SYSTEM_ERROR",
             {"type": "SYSTEM_ERROR", "code": "ERR_INT_SYS_0001", "description": "timeout"}),
    ])
    parsed = feedstatus.parse_feed_status(body)
    outcomes = {row.sku: feedstatus.item_outcome(row, row.sku or "") for row in parsed.items}
    assert outcomes["A"].status is ItemStatus.ACCEPTED
    rejected = outcomes["B"]
    assert rejected.status is ItemStatus.REJECTED
    assert [(i.field, i.code, i.severity) for i in rejected.issues] == [
        ("product_name", "ERR_EXT_DATA_0101001", Severity.ERROR),
        ("main_image_url", "ERR_EXT_DATA_0801002", Severity.ERROR)]
    assert all(i.source == "walmart" for i in rejected.issues)
    retry = outcomes["C"]
    assert retry.status is ItemStatus.DEFERRED
    assert retry.issues[0].severity is Severity.WARNING


@pytest.mark.parametrize(("text", "field"), [
    ("Invalid productIdentifiers: GTIN check digit", "product_id"),
    ('"ShippingWeight" is required', "shipping_weight"),
    ("The value of keyFeatures is too long", "key_features"),
    ("Item with this sku already has a different productId", "product_id"),
    ("Something Walmart does not explain", None),
])
def test_fields_named_in_descriptions(text: str, field: str | None) -> None:
    assert feedstatus.named_field({"type": "DATA_ERROR", "code": "X", "description": text}) == field


def test_skus_are_matched_by_index_when_walmart_does_not_echo_ours(walmart_specs: Path) -> None:
    parsed = feedstatus.parse_feed_status(example("feeds.getFeedItemStatus.200.json"))
    [row] = parsed.items
    assert row.sku == "0960B3B82687490FA5E51CB0801478A4@AU8BAgA" and row.index == 0
    assert feedstatus.sku_of(row, ["MINE-1"]) == "MINE-1"
    assert feedstatus.item_outcome(row, "MINE-1").remote_id == "71ZLHHMKNS6G"


def test_pending_and_paging(walmart_specs: Path) -> None:
    busy = feedstatus.parse_feed_status(page([item("A", 0, "INPROGRESS")], status="INPROGRESS"))
    assert not busy.final
    first = feedstatus.parse_feed_status(page([item(f"S{i}", i) for i in range(50)],
                                              received=120))
    assert first.details_left
    last = feedstatus.parse_feed_status(page([item(f"S{i}", i) for i in range(100, 120)],
                                             offset=100, received=120))
    assert not last.details_left


def test_a_feed_refused_for_its_data_rejects_every_sku(walmart_specs: Path) -> None:
    body = page([], status="ERROR", received=0,
                ingestionErrors={"ingestionError": [
                    {"type": "DATA_ERROR", "code": "ERR_PDI_0034",
                     "description": "Malformed feed: MPItemFeedHeader is missing"}]})
    parsed = feedstatus.parse_feed_status(body)
    outcomes = feedstatus.feed_error_outcomes(parsed, ["A", "B"])
    assert outcomes is not None
    assert {o.sku: o.status for o in outcomes} == {"A": ItemStatus.REJECTED,
                                                   "B": ItemStatus.REJECTED}
    assert outcomes[0].issues[0].code == "ERR_PDI_0034"
    system = page([], status="ERROR", received=0, ingestionErrors={"ingestionError": [
        {"type": "SYSTEM_ERROR", "code": "ERR_INT", "description": "internal"}]})
    assert feedstatus.feed_error_outcomes(feedstatus.parse_feed_status(system), ["A"]) is None


@pytest.mark.parametrize("body", [{}, {"feedStatus": "WHATEVER"}, [],
                                  {"feedStatus": "PROCESSED", "itemsReceived": "many"}])
def test_unusable_answers_are_channel_errors(body: Any) -> None:
    with pytest.raises(ChannelError):
        feedstatus.parse_feed_status(body)
