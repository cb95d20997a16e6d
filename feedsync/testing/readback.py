"""The read-back contract: an adapter's ``find_submission`` finds a batch whose answer was lost.

An adapter whose create-like call is not idempotent and whose lost answer cannot be settled
inside the adapter implements the hook of :mod:`feedsync.sync.readback` (today only Amazon's
createFeed; see docs/architecture.md for how each channel resolves a lost answer) and runs this
suite against its channel double. Subclass :class:`ReadBackContract` in the adapter's tests
and provide four things (plain methods, so any test double fits)::

    class TestAmazonReadBack(ReadBackContract):
        def readback_adapter(self): ...        # an adapter on the double, find_submission defined
        def readback_batch(self, adapter): ... # a Batch of 1-3 rendered items for it
        def lose_answer(self): ...             # context manager: the double PROCESSES the next
                                               # create-like call, then the answer is lost
        def lose_request(self): ...            # context manager: the next call never arrives
        def settle(self, adapter): ...         # optional: let the adapter's settle window pass

The suite checks the three verdicts (adopt what arrived, prove what did not, never adopt one of
our own earlier submissions) and, in :class:`ReadBackEngineContract`, that the core's push sends a
lost batch only once. :class:`ReadBackFakeAdapter` is the reference implementation, on the
in-memory :class:`~feedsync.testing.fakes.FakeChannel`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from feedsync.adapter import Batch, Submission, SubmissionState
from feedsync.errors import OutcomeUnknown
from feedsync.sync.readback import NOT_ARRIVED, Attempt, Verdict
from feedsync.testing.fake.adapter import FakeAdapter
from feedsync.testing.fakes import FakeChannel, SimulatedCrash


def attempt_for(adapter: Any, batch: Batch, started: datetime, *,
                known: frozenset[str] = frozenset(), submission_id: int = 1) -> Attempt:
    """The :class:`Attempt` the core would record for ``batch`` sent at ``started``."""
    return Attempt(submission_id=submission_id, channel=str(adapter.name), account="default",
                   skus=list(batch.skus),
                   actions={item.sku: str(item.action) for item in batch.items},
                   started_at=started, known_handles=known)


class ReadBackContract:
    """The hook's contract; see the module docstring for what a subclass provides."""

    def readback_adapter(self) -> Any:
        raise NotImplementedError

    def readback_batch(self, adapter: Any) -> Batch:
        raise NotImplementedError

    def lose_answer(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def lose_request(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def settle(self, adapter: Any) -> None:
        """Let the adapter's settle window pass (default: nothing to wait for)."""

    def now(self) -> datetime:
        """The time an attempt starts (override when the adapter runs on a fake clock)."""
        return datetime.now(UTC)

    def _lost(self, adapter: Any, batch: Batch, losing: AbstractContextManager[None]) -> Attempt:
        started = self.now()
        with losing:
            try:
                adapter.submit(batch)
            except OutcomeUnknown:
                pass
            else:  # pragma: no cover - the double did not lose anything
                raise AssertionError("the double's lost answer must reach the adapter as "
                                     "OutcomeUnknown (raised by the HTTP layer for a "
                                     "non-idempotent request)")
        return attempt_for(adapter, batch, started)

    def test_hook_is_declared(self) -> None:
        assert callable(getattr(self.readback_adapter(), "find_submission", None))

    def test_lost_answer_is_found_and_adopted(self) -> None:
        adapter = self.readback_adapter()
        batch = self.readback_batch(adapter)
        attempt = self._lost(adapter, batch, self.lose_answer())
        verdict = adapter.find_submission(attempt)
        assert isinstance(verdict, Submission), (
            f"the channel processed the batch; find_submission must return it, not {verdict!r}")
        assert (verdict.state is SubmissionState.PENDING and verdict.handle) or (
            verdict.state is SubmissionState.DONE), verdict

    def test_request_that_never_arrived_is_proven_not_arrived(self) -> None:
        adapter = self.readback_adapter()
        batch = self.readback_batch(adapter)
        attempt = self._lost(adapter, batch, self.lose_request())
        self.settle(adapter)
        assert adapter.find_submission(attempt) is NOT_ARRIVED

    def test_our_own_earlier_submission_is_never_adopted(self) -> None:
        adapter = self.readback_adapter()
        first = adapter.submit(self.readback_batch(adapter))
        assert first.handle, "a create-like call that returns a handle"
        batch = self.readback_batch(adapter)
        attempt = self._lost(adapter, batch, self.lose_request())
        attempt = Attempt(**{**attempt.__dict__, "known_handles": frozenset({first.handle})})
        self.settle(adapter)
        verdict = adapter.find_submission(attempt)
        assert verdict is NOT_ARRIVED or verdict is None, verdict


# --- the reference implementation on the in-memory fake channel ------------------------------


@dataclass
class LosingChannel(FakeChannel):
    """A :class:`FakeChannel` that can lose the answer to (or the whole of) a submit."""

    lose_answers: int = 0  # the next N submits are processed, then their answer is lost
    lose_requests: int = 0  # the next N submits never arrive
    crash_after_receive: int = 0  # the Nth submit from now is taken, then the process "dies"
    received: list[tuple[str, list[str]]] = field(default_factory=list)  # (handle, skus)

    def __post_init__(self) -> None:
        self.asynchronous = True  # every batch gets a handle the read-back can find

    def submit(self, batch: Batch) -> Submission:
        """Take, lose or drop one batch."""
        if self.lose_requests:
            self.lose_requests -= 1
            self.calls.append(("submit", len(batch.items)))
            raise OutcomeUnknown("fake: connection reset before the request was read")
        submission = super().submit(batch)
        self.received.append((str(submission.handle), list(batch.skus)))
        if self.lose_answers:
            self.lose_answers -= 1
            raise OutcomeUnknown("fake: connection reset after the request was processed")
        if self.crash_after_receive:
            self.crash_after_receive -= 1
            if not self.crash_after_receive:
                raise SimulatedCrash("killed after the channel took the batch")
        return submission

    def find(self, attempt: Attempt) -> Verdict:
        """The batch carrying exactly the attempt's SKUs that is not one of ours."""
        for handle, skus in self.received:
            if handle not in attempt.known_handles and sorted(skus) == sorted(attempt.skus):
                self.calls.append(("find", handle))
                return Submission(channel="fake", handle=handle,
                                  state=SubmissionState.PENDING, skus=list(skus),
                                  detail={"handle": handle})
        self.calls.append(("find", None))
        return NOT_ARRIVED


class ReadBackFakeAdapter(FakeAdapter):
    """FakeAdapter with the read-back hook (the reference implementation)."""

    name: ClassVar[str] = "fake"

    def find_submission(self, attempt: Attempt) -> Verdict:
        """Ask the fake channel what it received."""
        channel = self.channel
        if not isinstance(channel, LosingChannel):
            return None
        return channel.find(attempt)


@contextlib.contextmanager
def _losing(channel: LosingChannel, what: str) -> Iterator[None]:
    setattr(channel, what, getattr(channel, what) + 1)
    yield


def losing_answer(channel: LosingChannel) -> AbstractContextManager[None]:
    """The next submit is processed and its answer lost."""
    return _losing(channel, "lose_answers")


def losing_request(channel: LosingChannel) -> AbstractContextManager[None]:
    """The next submit never arrives."""
    return _losing(channel, "lose_requests")
