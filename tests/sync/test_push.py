"""Pushes: outcomes per SKU, asynchronous submissions, crashes and resumption, failures."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from feedsync.adapter import Action, Batch, PlannedChange, RenderedItem, Submission
from feedsync.errors import ExitCode, ItemRejected, RenderError
from feedsync.sync.runs import Outcome, exit_code_for
from feedsync.sync.status import rejected_listings, workspace_status
from feedsync.testing import FakeAdapter, FakeChannel, SimulatedCrash
from tests.sync.conftest import SyncEnv


def _submission_states(env: SyncEnv) -> list[str]:
    return [r[0] for r in env.catalog.db.execute("SELECT state FROM submissions ORDER BY id")]


def test_rejections_are_stored_per_sku_and_shown_by_status(env: SyncEnv) -> None:
    env.add_many(4)
    env.channel.reject["SKU-002"] = ("invalid_gtin", "The GTIN check digit is wrong")
    result = env.push()
    assert result.outcome is Outcome.PARTIAL
    assert result.counts["accepted"] == 3 and result.counts["rejected"] == 1
    assert result.details["rejected"] == [{"sku": "SKU-002", "issues": [{
        "code": "invalid_gtin", "message": "The GTIN check digit is wrong",
        "field": None, "source": "fake"}]}]
    assert env.listing("SKU-002")["status"] == "rejected"
    assert env.listing("SKU-001") == {"status": "live", "remote_exists": True, "issues": [],
                                      "submission_id": None, "remote_id": "fake:SKU-001"}
    status = workspace_status(env.workspace, env.catalog.db)[0]
    assert (status["listed"], status["live"], status["rejected"]) == (3, 3, 1)
    assert status["top_rejection_codes"] == {"invalid_gtin": 1}
    assert rejected_listings(env.catalog.db, "fake", "default")[0]["sku"] == "SKU-002"


def test_a_done_submission_without_an_outcome_means_accepted(env: SyncEnv) -> None:
    env.channel.report_accepted = False
    env.add_many(3)
    env.channel.reject["SKU-001"] = ("bad", "bad item")
    env.push()
    assert env.statuses() == {"SKU-000": "live", "SKU-001": "rejected", "SKU-002": "live"}


def test_asynchronous_submissions_are_polled_in_the_run(env: SyncEnv) -> None:
    env.channel = FakeChannel(asynchronous=True, polls_needed=3)
    env.add_many(3)
    result = env.push()
    assert result.outcome is Outcome.OK and result.counts["accepted"] == 3
    assert [c[0] for c in env.channel.calls] == ["submit", "poll", "poll", "poll"]
    assert env.time.sleeps == [2.0, 4.0], "backs off between polls"
    assert _submission_states(env) == ["done"]


def test_pending_submissions_are_finished_by_the_next_run(env: SyncEnv) -> None:
    env.channel = FakeChannel(asynchronous=True, polls_needed=2)
    env.add_many(3)
    first = env.push(wait=0)
    assert first.counts["pending"] == 1 and env.statuses()["SKU-000"] == "pending"
    plan = env.plan()
    assert plan.total == 0 and plan.in_flight == 3, "in-flight SKUs are not planned again"
    plan.close()
    second = env.push(wait=0)
    assert second.counts["accepted"] == 3 and env.channel.submit_calls == 1
    assert set(env.statuses().values()) == {"live"}


def test_crash_after_submit_before_poll_resumes_without_resending(env: SyncEnv) -> None:
    env.channel = FakeChannel(asynchronous=True, crash_after_record=True)
    env.add_many(5)
    with pytest.raises(SimulatedCrash):
        env.push()
    assert _submission_states(env) == ["pending"]
    assert set(env.statuses().values()) == {"pending"}
    result = env.push()
    assert result.outcome is Outcome.OK and result.counts["accepted"] == 5
    assert env.channel.submit_calls == 1, "the submission was resumed, not sent again"
    assert set(env.statuses().values()) == {"live"}


def test_crash_while_sending_loses_nothing(env: SyncEnv) -> None:
    env.adapter_cls = FakeAdapter.with_limits(2)
    env.channel.crash_after_submit = 2  # the second batch reaches the channel, then we die
    env.add_many(5)
    with pytest.raises(SimulatedCrash):
        env.push()
    assert _submission_states(env) == ["done", "sending"]
    result = env.push()
    assert result.counts["lost"] == 1
    assert _submission_states(env) == ["done", "lost", "done", "done"]
    assert set(env.statuses().values()) == {"live"} and len(env.statuses()) == 5
    sent = [sku for batch in env.channel.batches for sku in batch.skus]
    assert sorted(sent) == ["SKU-000", "SKU-001", "SKU-002", "SKU-002", "SKU-003",
                            "SKU-003", "SKU-004"], "only the lost batch is sent again"


def test_deferred_skus_are_planned_again(env: SyncEnv) -> None:
    env.add_many(3)
    env.channel.defer = {"SKU-001"}
    result = env.push()
    assert result.outcome is Outcome.PARTIAL and result.counts["deferred"] == 1
    assert result.details["deferred"][0]["sku"] == "SKU-001"
    assert result.details["deferred"][0]["issues"][0]["message"] == "daily update budget spent"
    assert env.listing("SKU-001") is None
    env.channel.defer = set()
    assert env.push().counts["accepted"] == 1
    assert env.listing("SKU-001")["status"] == "live"


def test_a_refused_batch_releases_its_skus_and_the_next_batches_go(env: SyncEnv) -> None:
    env.adapter_cls = FakeAdapter.with_limits(2)
    env.channel.refuse_batches = 1
    env.add_many(5)
    result = env.push()
    assert result.outcome is Outcome.PARTIAL
    assert result.counts["failed"] == 2 and result.counts["accepted"] == 3
    assert "SKU-000" not in env.statuses()
    assert env.push().counts["accepted"] == 2


def test_a_transient_batch_failure_fails_that_batch_and_the_others_go_on(env: SyncEnv) -> None:
    """Issue #16: one 503 (after its retries) no longer stops the channel for the run."""
    env.adapter_cls = FakeAdapter.with_limits(2)
    env.add_many(5)
    env.channel.transient_failures = 1
    result = env.push()
    assert result.outcome is Outcome.PARTIAL, result.message
    assert env.channel.submit_calls == 3
    assert result.counts["failed_batches"] == 1 and result.counts["accepted"] == 3
    assert "2 of 3 batches sent (3 item(s)); 1 batch failed: fake: 503" in result.message
    assert result.details["error"].startswith("fake: 503")
    assert env.push().counts["accepted"] == 2


def test_a_channel_down_for_its_only_batch_is_transient_not_partial(env: SyncEnv) -> None:
    """QA: with nothing listening, one failed batch read "partial: 58 sent in 1 batch(es),
    58 failed" (exit 3) with no cause; a step whose every batch failed transiently is
    TRANSIENT, says nothing was sent and names the cause (message and JSON ``error``)."""
    env.add_many(3)
    env.channel.transient_failures = 1
    result = env.push()
    assert result.outcome is Outcome.TRANSIENT, result.message
    assert result.message == ("fake: 1 batch failed: fake: 503 service unavailable, retries "
                              "exhausted; nothing was sent (3 item(s) stay planned for the "
                              "next run)")
    assert result.as_dict()["error"] == "fake: 503 service unavailable, retries exhausted"
    assert exit_code_for([result]) is ExitCode.TEMPFAIL
    assert env.push().counts["accepted"] == 3


def test_transient_failures_of_every_batch_stop_the_channel(env: SyncEnv) -> None:
    """The channel looks down: stopped after three batches in a row failed."""
    env.adapter_cls = FakeAdapter.with_limits(1)
    env.add_many(5)
    env.channel.transient_failures = 5
    result = env.push()
    assert result.outcome is Outcome.TRANSIENT and "503" in result.message
    assert env.channel.submit_calls == 3
    assert env.statuses() == {}
    env.channel.transient_failures = 0
    assert env.push().counts["accepted"] == 5


def test_refused_credentials_need_a_human(env: SyncEnv) -> None:
    env.add_many(2)
    env.channel.auth_failure = True
    result = env.push()
    assert result.outcome is Outcome.NEEDS_HUMAN and "401" in result.message
    assert env.statuses() == {} and _submission_states(env) == ["failed"]


class _Fragile(FakeAdapter):
    def render_item(self, change: PlannedChange) -> RenderedItem:
        if change.sku == "SKU-001":
            raise RenderError("price has no currency", channel="fake", sku=change.sku)
        return super().render_item(change)


class _Buggy(FakeAdapter):
    def render_item(self, change: PlannedChange) -> RenderedItem:
        if change.sku == "SKU-001":
            return None + 1  # type: ignore[operator]  # a bug, not bad data
        return super().render_item(change)


def test_one_sku_that_cannot_be_rendered_never_blocks_the_others(env: SyncEnv) -> None:
    env.adapter_cls = _Fragile
    env.add_many(3)
    result = env.push()
    assert result.outcome is Outcome.PARTIAL and result.counts["accepted"] == 2
    issue = env.listing("SKU-001")["issues"][0]
    assert issue["code"] == "render_failed" and "price has no currency" in issue["message"]
    env.adapter_cls = FakeAdapter
    assert env.push().counts["accepted"] == 1


def test_a_render_bug_is_loud_and_never_reported_as_bad_data(
        env: SyncEnv, caplog: pytest.LogCaptureFixture) -> None:
    """Only RenderError is a SKU's data problem; a TypeError in an adapter stops the channel
    with a one-line error naming the SKU, and the traceback is logged (shown with -v)."""
    env.adapter_cls = _Buggy
    env.add_many(3)
    with caplog.at_level("INFO", logger="feedsync"):
        result = env.push()
    assert result.outcome is Outcome.ERROR
    assert "SKU-001" in result.message and "TypeError" in result.message
    assert "bug in the adapter" in result.message and "\n" not in result.message
    assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)
    assert env.listing("SKU-001") is None or not any(
        i["code"] == "render_failed" for i in env.listing("SKU-001")["issues"])
    env.adapter_cls = FakeAdapter  # nothing was lost: the next run sends every SKU
    assert env.push().counts["accepted"] == 3


def test_dry_run_shows_the_batches_and_sends_nothing(env: SyncEnv) -> None:
    env.adapter_cls = FakeAdapter.with_limits(2)
    env.add_many(3)
    shown: list[tuple[str, list[Any]]] = []
    result = env.push(dry_run=True,
                      on_batch=lambda ch, out: shown.append((ch, [i.payload for i in
                                                                  out.batch.items])))
    assert result.outcome is Outcome.OK and "nothing sent" in result.message
    assert env.channel.calls == [] and env.statuses() == {}
    assert env.scalar("SELECT COUNT(*) FROM submissions") == 0
    assert [len(p) for _, p in shown] == [2, 1]
    assert shown[0][1][0]["method"] == "create" and shown[0][1][0]["data"]["id"] == "SKU-000"
    real = env.push()
    assert [len(b.items) for b in env.channel.batches] == [2, 1] and real.counts["items"] == 3


def test_dry_run_does_not_poll_pending_submissions(env: SyncEnv) -> None:
    env.channel = FakeChannel(asynchronous=True)
    env.add_many(2)
    env.push(wait=0)
    calls = len(env.channel.calls)
    env.push(dry_run=True)
    assert len(env.channel.calls) == calls


def test_file_channels_are_not_pushed(env: SyncEnv) -> None:
    env.configure('[channels.feedonly]\nenabled = true\ndelivery = "file"\n'
                  'adapter = "feedsync.testing.fake"\n')
    result = env.push(env.bind("feedonly"))
    assert result.outcome is Outcome.SKIPPED and "feed build" in result.message


class _Recorder(FakeAdapter):
    seen: ClassVar[list[Batch]] = []

    def submit(self, batch: Batch) -> Submission:
        _Recorder.seen.append(batch)
        return super().submit(batch)


def test_price_quantity_changes_carry_only_those_parts(env: SyncEnv) -> None:
    env.adapter_cls = _Recorder
    env.add_many(5)
    env.push()
    env.set_stock("SKU-001", 0)
    _Recorder.seen = []
    env.push()
    [item] = _Recorder.seen[0].items
    assert item.action is Action.PRICE_QUANTITY
    assert item.payload["data"] == {"id": "SKU-001", "price": "19.99 USD", "quantity": "0",
                                    "availability": "out_of_stock"}
    assert env.channel.items["SKU-001"]["title"] == "Product SKU-001"


class _RaisesPerItem(FakeAdapter):
    def submit(self, batch: Batch) -> Submission:
        if "SKU-001" in batch.skus:
            raise ItemRejected("400 invalid value for [price]", channel="fake", sku="SKU-001")
        return super().submit(batch)


def test_an_item_rejected_error_rejects_that_sku_only(env: SyncEnv) -> None:
    env.adapter_cls = _RaisesPerItem.with_limits(2)
    env.add_many(5)
    result = env.push()
    assert result.counts["rejected"] == 1 and result.counts["deferred"] == 1
    assert "failed_batches" not in result.counts
    rejected = env.listing("SKU-001")
    assert rejected["status"] == "rejected"
    assert rejected["issues"][0]["message"] == "400 invalid value for [price]"
    assert env.listing("SKU-000") is None, "its batch-mate is planned again"
    assert env.push().counts["accepted"] == 1


class _AnswersFailedTransiently(FakeAdapter):
    """As Amazon's patch path answers when its first SKU failed transiently (adapters/amazon/
    adapter.py _submit_patches): a FAILED submission, every SKU deferred, nothing sent."""

    def submit(self, batch: Batch) -> Submission:
        from feedsync.adapter import ItemOutcome, ItemStatus, SubmissionState
        from feedsync.models import Issue, Severity

        cause = "amazon[default]: token request failed 4 time(s) (last: ConnectionError)"
        outcomes = [ItemOutcome(sku=s, status=ItemStatus.DEFERRED, issues=[
            Issue(sku=s, severity=Severity.WARNING, code="transient", message=cause,
                  source="fake")] if n == 0 else []) for n, s in enumerate(batch.skus)]
        return Submission(channel="fake", handle=None, state=SubmissionState.FAILED,
                          skus=batch.skus, outcomes=outcomes, error=cause)


def test_a_failed_answer_for_the_whole_batch_is_a_failed_batch_not_a_sent_one(
        env: SyncEnv) -> None:
    env.adapter_cls = _AnswersFailedTransiently
    env.add_many(2)
    result = env.push()
    assert result.outcome is Outcome.TRANSIENT, result.message
    assert "1 batch failed: amazon[default]: token request failed" in result.message
    assert "nothing was sent" in result.message and "sent in" not in result.message
    assert "ConnectionError" in result.as_dict()["error"]
