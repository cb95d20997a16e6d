"""A lost answer to a create-like call is resolved by reading back (issue #16, point 1).

The core records the attempt before sending; when the answer is lost it asks the adapter's
``find_submission`` hook and adopts what arrived, re-planning only what provably did not. The
contract suite (feedsync.testing.readback) runs here against the reference fake; the engine
tests show the core never sends a lost batch twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from feedsync.adapter import Batch
from feedsync.adapter_factory import open_adapter
from feedsync.sync.runs import Outcome
from feedsync.testing.readback import (
    LosingChannel,
    ReadBackContract,
    ReadBackFakeAdapter,
    losing_answer,
    losing_request,
)
from tests.sync.conftest import SyncEnv, env  # noqa: F401  (fixture)


@pytest.fixture
def lenv(env: SyncEnv) -> Iterator[SyncEnv]:  # noqa: F811
    """The sync test workspace with a channel that can lose answers, read back by the hook."""
    env.channel = LosingChannel()
    env.adapter_cls = ReadBackFakeAdapter.with_limits(2)
    yield env


class TestFakeReadBack(ReadBackContract):
    """The contract, on the reference implementation."""

    @pytest.fixture(autouse=True)
    def _env(self, lenv: SyncEnv) -> None:
        self.env = lenv

    def readback_adapter(self) -> Any:
        return open_adapter(self.env.workspace, self.env.catalog.db, "fake",
                            cls=ReadBackFakeAdapter,
                            extras={"fake_channel": self.env.channel})

    def readback_batch(self, adapter: Any) -> Batch:
        from feedsync.adapter import Action, RenderedItem

        n = len(self.env.channel.calls)
        items = [RenderedItem(sku=f"RB-{n}-{i}", action=Action.CREATE,
                              payload={"id": f"RB-{n}-{i}", "method": "create", "data": {}},
                              size=10) for i in range(2)]
        return Batch(channel="fake", items=items)

    def lose_answer(self) -> AbstractContextManager[None]:
        return losing_answer(self.env.channel)  # type: ignore[arg-type]

    def lose_request(self) -> AbstractContextManager[None]:
        return losing_request(self.env.channel)  # type: ignore[arg-type]


def test_a_lost_answer_is_adopted_and_never_sent_twice(lenv: SyncEnv) -> None:
    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(4)
    channel.lose_answers = 1  # the first batch arrives, its answer does not
    result = lenv.push()
    assert result.counts["outcome_unknown"] == 1 and result.counts["adopted"] == 1
    assert channel.submit_calls == 2  # two batches of two, each sent once
    assert lenv.statuses() == {f"SKU-00{i}": "live" for i in range(4)}
    again = lenv.push()
    assert channel.submit_calls == 2 and again.outcome is Outcome.OK
    sent = sorted(sku for batch in channel.batches for sku in batch.skus)
    assert sent == ["SKU-000", "SKU-001", "SKU-002", "SKU-003"]  # no duplicate


def test_a_request_that_never_arrived_is_resent_once_proven(lenv: SyncEnv) -> None:
    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(4)
    channel.lose_requests = 1
    first = lenv.push()
    assert first.counts["lost"] == 1  # the fake proves it at once: released for the next plan
    assert lenv.statuses() == {"SKU-002": "live", "SKU-003": "live"}
    lenv.push()
    assert lenv.statuses() == {f"SKU-00{i}": "live" for i in range(4)}
    sent = sorted(sku for batch in channel.batches for sku in batch.skus)
    assert sent == ["SKU-000", "SKU-001", "SKU-002", "SKU-003"]


def test_an_undecided_attempt_holds_its_skus_until_the_channel_can_tell(
        lenv: SyncEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read-back failing (or unsure) sends nothing: the SKUs wait, the attempt stays open."""
    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(2)
    channel.lose_answers = 1
    monkeypatch.setattr(LosingChannel, "find", lambda self, attempt: None)
    first = lenv.push()
    assert first.counts["unknown"] == 1 and first.outcome is Outcome.PARTIAL
    second = lenv.push()  # still unsure: nothing resent
    assert channel.submit_calls == 1 and second.counts.get("unknown") == 1
    monkeypatch.undo()
    third = lenv.push()  # the channel can tell now: adopted, polled, live
    assert third.counts["adopted"] == 1 and channel.submit_calls == 1
    assert lenv.statuses() == {"SKU-000": "live", "SKU-001": "live"}


def test_a_crash_between_send_and_record_is_read_back(lenv: SyncEnv) -> None:
    """kill -9 after the channel took the batch: the next run adopts it instead of resending."""
    from feedsync.testing.fakes import SimulatedCrash

    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(2)
    channel.crash_after_receive = 1
    with pytest.raises(SimulatedCrash):
        lenv.push()
    result = lenv.push()
    assert result.counts["adopted"] == 1
    assert channel.submit_calls == 1
    assert lenv.statuses() == {"SKU-000": "live", "SKU-001": "live"}


def test_known_handles_are_refreshed_after_each_adoption(lenv: SyncEnv) -> None:
    """Review finding 1: a handle adopted by one open attempt is ours for the next one (the
    known handles were computed once, before any attempt was resolved)."""
    from feedsync.adapter import Submission, SubmissionState
    from feedsync.sync import readback
    from feedsync.sync.state import ensure_schema

    db = lenv.catalog.db
    ensure_schema(db)
    for sku in ("A-1", "B-1"):
        sub_id = int(db.execute(
            "INSERT INTO submissions (channel, account, state, items, bytes, created_at,"
            " updated_at, detail) VALUES ('fake', 'default', 'sending', 1, 0,"
            " '2026-01-01T12:00:00Z', '2026-01-01T12:00:00Z', '{}')").lastrowid or 0)
        db.execute("INSERT INTO submission_items (submission_id, sku, action)"
                   " VALUES (?, ?, 'update')", [sub_id, sku])

    class OneArrival:  # the channel holds one batch it cannot tie to SKUs
        def find_submission(self, attempt: readback.Attempt) -> readback.Verdict:
            if "H-1" in attempt.known_handles:
                return readback.NOT_ARRIVED
            return Submission(channel="fake", handle="H-1", state=SubmissionState.PENDING,
                              skus=attempt.skus)

    resolved = readback.resolve_open(db, OneArrival(), "fake", "default")
    assert (resolved.adopted, resolved.released) == (1, 1), resolved
    assert db.execute("SELECT COUNT(*) FROM submissions WHERE handle = 'H-1'").fetchone()[0] == 1


def test_an_attempt_undecided_for_hours_needs_a_human_and_is_never_resent(
        lenv: SyncEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding 3: an attempt the channel cannot decide on held its SKUs silently and
    for ever. After readback.UNDECIDED_AFTER the push step ends needs-a-human (exit 4) naming
    the attempt; the SKUs stay held (a resend could duplicate a create) and status lists it."""
    from feedsync.errors import ExitCode
    from feedsync.sync.readback import UNDECIDED_AFTER
    from feedsync.sync.report import status_lines
    from feedsync.sync.runs import exit_code_for
    from feedsync.sync.status import channel_status

    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(2)
    channel.lose_answers = 1
    monkeypatch.setattr(LosingChannel, "find", lambda self, attempt: None)
    first = lenv.push()
    assert first.outcome is Outcome.PARTIAL  # undecided, but only just sent
    db = lenv.catalog.db
    sub_id = lenv.scalar("SELECT id FROM submissions WHERE state = 'sending'")
    assert channel_status(db, "fake", "default")["undecided"][0]["overdue"] is False
    hours = UNDECIDED_AFTER.total_seconds() / 3600 + 1
    db.execute("UPDATE submissions SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)"
               " WHERE id = ?", [f"-{hours} hours", sub_id])
    later = lenv.push()
    assert later.outcome is Outcome.NEEDS_HUMAN and exit_code_for([later]) is ExitCode.NEEDS_HUMAN
    assert f"submission {sub_id}" in later.message and "SKU-000" in later.message
    assert later.details["undecided"] and channel.submit_calls == 1  # never sent again
    status = channel_status(db, "fake", "default")
    assert status["undecided"][0]["overdue"] is True
    assert any(line.strip().startswith(f"NEEDS A HUMAN: submission {sub_id}")
               for line in status_lines([status]))


def test_a_person_settles_an_undecided_attempt_without_a_duplicate(
        lenv: SyncEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """After checking the channel: --not-arrived re-plans the SKUs (sent once more), --arrived
    adopts the channel's batch (polled and applied, never sent again)."""
    from feedsync.errors import UsageError
    from feedsync.sync import readback

    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(4)  # two batches of two
    channel.lose_answers = 1  # the first arrives, its answer is lost
    channel.lose_requests = 0
    monkeypatch.setattr(LosingChannel, "find", lambda self, attempt: None)
    lenv.push()
    db = lenv.catalog.db
    sub_id = lenv.scalar("SELECT id FROM submissions WHERE state = 'sending'")
    handle = channel.received[0][0]
    with pytest.raises(UsageError, match="recorded before feedsync noted"):
        readback.settle(db, "fake", "default", sub_id, arrived=handle)  # nothing noted
    # what an adapter notes before sending (the fake's poll reads its job by detail['handle'])
    readback.note_sending(db, "fake", "default", channel.received[0][1],
                          {"kind": "batch", "handle": handle})
    with pytest.raises(UsageError, match="already one of"):
        readback.settle(db, "fake", "default", sub_id, arrived=channel.received[1][0])
    assert "adopted" in readback.settle(db, "fake", "default", sub_id, arrived=handle)
    with pytest.raises(UsageError, match="not an open attempt"):
        readback.settle(db, "fake", "default", sub_id, arrived=None)
    lenv.push()
    assert channel.submit_calls == 2  # the adopted batch was polled, not sent again
    assert lenv.statuses() == {f"SKU-00{i}": "live" for i in range(4)}, lenv.statuses()


def test_settle_not_arrived_releases_the_skus(lenv: SyncEnv, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    from feedsync.sync import readback

    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(2)
    channel.lose_requests = 1  # never arrived, but the channel cannot tell
    monkeypatch.setattr(LosingChannel, "find", lambda self, attempt: None)
    lenv.push()
    sub_id = lenv.scalar("SELECT id FROM submissions WHERE state = 'sending'")
    assert "released" in readback.settle(lenv.catalog.db, "fake", "default", sub_id,
                                         arrived=None)
    monkeypatch.undo()
    lenv.push()
    assert lenv.statuses() == {"SKU-000": "live", "SKU-001": "live"}
    assert [sorted(b.skus) for b in channel.batches] == [["SKU-000", "SKU-001"]]


def test_the_settle_command_releases_and_refuses_clearly(
        lenv: SyncEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from feedsync.cli.main import cli

    channel: LosingChannel = lenv.channel  # type: ignore[assignment]
    lenv.add_many(2)
    channel.lose_requests = 1
    monkeypatch.setattr(LosingChannel, "find", lambda self, attempt: None)
    lenv.push()
    sub_id = lenv.scalar("SELECT id FROM submissions WHERE state = 'sending'")

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--workspace", str(lenv.root), "settle", *args])

    neither = run("fake", str(sub_id))
    assert neither.exit_code != 0 and "--arrived HANDLE or --not-arrived" in neither.output
    unknown = run("fake", "999", "--not-arrived")
    assert unknown.exit_code != 0 and "no submission 999" in unknown.output
    assert "Traceback" not in unknown.output
    done = run("fake", str(sub_id), "--not-arrived")
    assert done.exit_code == 0, done.output
    assert f"submission {sub_id} released" in done.output
    assert lenv.scalar("SELECT state FROM submissions WHERE id = ?", sub_id) == "lost"
