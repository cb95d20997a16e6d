"""Feed status → per-SKU outcomes. Pages not taken from Walmart's examples are built on the
official one (feeds.getFeedItemStatus.200.json) and validated against ``PartnerFeedResponse``, so
they are shapes Walmart declares."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from feedsync.adapters.walmart import feedstatus
from feedsync.adapters.walmart.feeds import FeedSender, Step
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


class _StatusPages:
    """GET /v3/feeds/{id} answers by offset (pages built on the official example)."""

    def __init__(self, pages: dict[int, dict[str, Any]]) -> None:
        self.pages = pages
        self.offsets: list[int] = []

    def feed_status(self, feed_id: str, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        self.offsets.append(offset)
        return self.pages[offset]


def _processing_feed(received: int, details: dict[int, list[dict[str, Any]]],
                     processing: int) -> dict[int, dict[str, Any]]:
    """A PROCESSED feed whose counts say ``processing`` items are still in progress and none
    failed (Walmart reports itemsProcessing apart from itemsFailed: PartnerFeedResponse)."""
    pages = {}
    for offset, rows in details.items():
        body = page(rows, offset=offset, received=received)
        body.update(itemsSucceeded=received - processing, itemsFailed=0,
                    itemsProcessing=processing)
        assert not errors(validator("feeds", "PartnerFeedResponse"), body)
        pages[offset] = body
    return pages


def test_items_still_processing_are_read_on_later_pages(walmart_specs: Path) -> None:
    """Review finding: paging stopped after page 1 when itemsFailed was 0, so items still in
    progress on later pages counted as accepted (and an item feed's follow-up sent their
    inventory). Paging goes on while items are processing."""
    skus = [f"S{i}" for i in range(120)]
    pages = _processing_feed(120, {
        0: [item(f"S{i}", i) for i in range(50)],
        50: [item(f"S{i}", i, "INPROGRESS" if i < 60 else "SUCCESS") for i in range(50, 100)],
        100: [item(f"S{i}", i, "INPROGRESS") for i in range(100, 120)],
    }, processing=30)
    client = _StatusPages(pages)
    outcomes = FeedSender(None, client).outcomes(  # type: ignore[arg-type]
        Step(type="MP_ITEM", id="F1", skus=skus), 50)
    assert outcomes is not None
    assert client.offsets == [0, 50, 100]
    status = {o.sku: o.status for o in outcomes}
    assert [s for s in skus if status[s] is ItemStatus.PENDING] == (
        [f"S{i}" for i in range(50, 60)] + [f"S{i}" for i in range(100, 120)])
    assert all(status[s] is ItemStatus.ACCEPTED for s in skus[:50] + skus[60:100])


def test_an_item_not_read_is_never_accepted_while_items_are_processing(
        walmart_specs: Path) -> None:
    """When Walmart's details run out before every SKU was listed and its counts do not say
    every item succeeded, the SKUs not read stay pending (sent again), not accepted."""
    skus = [f"S{i}" for i in range(60)]
    pages = _processing_feed(60, {0: [item(f"S{i}", i) for i in range(50)]}, processing=10)
    pages[0]["itemsReceived"] = 50  # the details Walmart offers end on this page
    client = _StatusPages(pages)
    outcomes = FeedSender(None, client).outcomes(  # type: ignore[arg-type]
        Step(type="MP_ITEM", id="F1", skus=skus), 50)
    assert outcomes is not None
    status = {o.sku: o.status for o in outcomes}
    assert {status[f"S{i}"] for i in range(50, 60)} == {ItemStatus.PENDING}
    assert {status[f"S{i}"] for i in range(50)} == {ItemStatus.ACCEPTED}


def test_a_clean_feed_reads_one_page(walmart_specs: Path) -> None:
    """Nothing failed and nothing processing: the SKUs past page 1 succeeded (one call)."""
    skus = [f"S{i}" for i in range(120)]
    pages = _processing_feed(120, {0: [item(f"S{i}", i) for i in range(50)]}, processing=0)
    client = _StatusPages(pages)
    outcomes = FeedSender(None, client).outcomes(  # type: ignore[arg-type]
        Step(type="MP_ITEM", id="F1", skus=skus), 50)
    assert client.offsets == [0]
    assert outcomes is not None and {o.status for o in outcomes} == {ItemStatus.ACCEPTED}
