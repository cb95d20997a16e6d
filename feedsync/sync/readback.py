"""A lost answer to a create-like call is resolved by reading back, never by guessing (#16).

The attempt is recorded before anything is sent: :func:`feedsync.sync.apply.open_submission`
writes a ``sending`` submission with its SKUs and the time. If the answer never comes back — the
connection dropped after the request left, a timeout, a 5xx to a POST (the HTTP layer raises
:class:`~feedsync.errors.OutcomeUnknown`), or the process died — that row stays ``sending``: its
SKUs stay pending and are **not** planned again. The core then asks the adapter what the channel
holds, through the optional hook::

    def find_submission(self, attempt: Attempt) -> Submission | NotArrived | None

* a :class:`~feedsync.adapter.Submission` — the channel did receive it (Amazon: the one
  JSON_LISTINGS_FEED created in the attempt's window that is not ours and that no other open
  attempt could have made): it is adopted, polled and applied like any other;
* :data:`NOT_ARRIVED` — the channel proves it never got it: the SKUs are released and planned
  again (only those);
* ``None`` — cannot tell yet (read-back failed, the channel is still settling): the attempt
  stays open and is asked about again at the start of the next run.

Only Amazon implements the hook today. Adapters without it keep the old rule: the batch is
marked lost and re-planned — harmless for Meta (items_batch upserts) and Google (inserts replace
by offerId); eBay turns the repeated bulkCreateOffer's error 25002 into updateOffer; Etsy and
Walmart read back inside the adapter (the shop's drafts; GET /v3/feeds). The contract an
adapter's hook must meet is :mod:`feedsync.testing.readback`; docs/architecture.md describes it
channel by channel. An attempt still undecided :data:`UNDECIDED_AFTER` after it was sent makes
the push step needs-a-human (its SKUs stay held); ``feedsync status`` lists open attempts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

import sqlite_utils

from feedsync.adapter import Submission, SubmissionState
from feedsync.db import utcnow_iso
from feedsync.errors import FeedsyncError, UsageError, redact
from feedsync.sync import apply

log = logging.getLogger("feedsync.sync")


class _NotArrived:
    """The channel proves the attempt never arrived (singleton: :data:`NOT_ARRIVED`)."""

    _instance: _NotArrived | None = None

    def __new__(cls) -> _NotArrived:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_ARRIVED"


NOT_ARRIVED: Final = _NotArrived()
ASKED_KEY: Final = "read_back_asked_at"  # in submissions.detail
# The issue code an adapter puts on a PENDING per-item outcome whose answer was lost (e.g. one
# confirmShipment of a batch): the core reads it back before sending it again.
OUTCOME_UNKNOWN: Final = "outcome_unknown"
NotArrived = _NotArrived
Verdict = Submission | _NotArrived | None
# An attempt the channel still cannot decide on this long after it was sent holds its SKUs no
# longer silently: the push step ends needs-a-human (exit 4) naming it (issue #16 review,
# finding 3). The SKUs stay held, not re-planned: sending them again could create a second feed
# or listing when the first did arrive, and only a person can look at the channel's own list.
UNDECIDED_AFTER: Final = timedelta(hours=6)


@dataclass(frozen=True)
class Attempt:
    """What the core recorded about a batch whose answer was lost (given to the adapter)."""

    submission_id: int
    channel: str
    account: str
    skus: list[str]
    actions: dict[str, str]  # sku → create/update/price_quantity/delete
    started_at: datetime  # recorded just before sending (UTC)
    known_handles: frozenset[str] = field(default_factory=frozenset)  # this account's others
    error: str | None = None  # what the send raised, if the process lived to see it
    asked_at: datetime | None = None  # when the channel was last asked and could not tell
    # What the adapter noted on the attempt before sending (:func:`note_sending`), e.g. the
    # exact message order of a feed; empty for attempts recorded before that existed.
    detail: dict[str, Any] = field(default_factory=dict)
    # This account's other attempts still open (each without its own ``others``): a find that
    # matches "something unknown arrived in the window" must not give one arrival to two of
    # them (issue #16 review, finding 1).
    others: tuple[Attempt, ...] = ()


@runtime_checkable
class ReadBack(Protocol):
    """The optional adapter hook (an adapter that has it declares it by defining it)."""

    def find_submission(self, attempt: Attempt) -> Verdict:
        """What the channel holds of ``attempt`` (see the module docstring)."""
        ...


def supports(adapter: object) -> bool:
    """Whether ``adapter`` can read back a lost attempt."""
    return callable(getattr(adapter, "find_submission", None))


def known_handles(db: sqlite_utils.Database, channel: str, account: str) -> frozenset[str]:
    """The handles of every submission of a channel account (ours: never adopted again)."""
    return frozenset(h for (h,) in db.execute(
        "SELECT handle FROM submissions WHERE channel = ? AND account = ?"
        " AND handle IS NOT NULL", [channel, account]).fetchall())


def open_attempts(db: sqlite_utils.Database, channel: str, account: str) -> Iterator[Attempt]:
    """The ``sending`` submissions of a channel account, oldest first.

    Each attempt is built when it is reached, after the ones before it were resolved: a handle
    adopted by an earlier attempt is in ``known_handles`` of the later ones, and an attempt
    resolved meanwhile is no longer among their ``others``.
    """
    ids = [sub_id for (sub_id,) in db.execute(
        "SELECT id FROM submissions WHERE channel = ? AND account = ? AND state = 'sending'"
        " ORDER BY id", [channel, account]).fetchall()]
    for sub_id in ids:
        row = db.execute("SELECT created_at, error FROM submissions WHERE id = ?"
                         " AND state = 'sending'", [sub_id]).fetchone()
        if row is None:  # resolved meanwhile
            continue
        yield attempt_of(db, sub_id, channel, account, row[0],
                         known_handles(db, channel, account), row[1])


def attempt_of(db: sqlite_utils.Database, sub_id: int, channel: str, account: str,
               created_at: str, handles: frozenset[str], error: str | None = None,
               asked_at: datetime | None = None, *, with_others: bool = True) -> Attempt:
    """The :class:`Attempt` of submission ``sub_id`` (SKUs sorted: the send order is not
    stored per item; an adapter that needs it notes it with :func:`note_sending`)."""
    items = db.execute("SELECT sku, action FROM submission_items WHERE submission_id = ?"
                       " ORDER BY sku", [sub_id]).fetchall()
    row = db.execute("SELECT detail FROM submissions WHERE id = ?", [sub_id]).fetchone()
    detail = json.loads(row[0] or "{}") if row else {}
    stamp = detail.pop(ASKED_KEY, None)
    if asked_at is None and stamp:
        asked_at = _parse(stamp)
    others: tuple[Attempt, ...] = ()
    if with_others:
        others = tuple(
            attempt_of(db, other, channel, account, created, handles, other_error,
                       with_others=False)
            for other, created, other_error in db.execute(
                "SELECT id, created_at, error FROM submissions WHERE channel = ? AND account = ?"
                " AND state = 'sending' AND id != ? ORDER BY id",
                [channel, account, sub_id]).fetchall())
    return Attempt(submission_id=sub_id, channel=channel, account=account,
                   skus=[sku for sku, _ in items], actions=dict(items),
                   started_at=_parse(created_at), known_handles=handles, error=error,
                   asked_at=asked_at, detail=detail, others=others)


def note_sending(db: sqlite_utils.Database | None, channel: str, account: str,
                 skus: Sequence[str], detail: dict[str, Any]) -> int | None:
    """Note ``detail`` on the attempt being sent, before its create-like call leaves.

    What only the adapter knows and a read-back needs if the answer is lost (Amazon: the exact
    message order of a feed, parents included). The attempt is the newest ``sending``
    submission of this channel account holding exactly ``skus`` (the core opens it right
    before it calls ``submit``, one push at a time per workspace). Returns its id, or None
    when there is none (an adapter driven outside a push, e.g. in its own tests).
    """
    if db is None or not db["submissions"].exists():  # no sync state: not sent by a push
        return None
    wanted = sorted(skus)
    for (sub_id,) in db.execute(
            "SELECT id FROM submissions WHERE channel = ? AND account = ? AND state = 'sending'"
            " AND handle IS NULL ORDER BY id DESC LIMIT 3", [channel, account]).fetchall():
        held = [sku for (sku,) in db.execute(
            "SELECT sku FROM submission_items WHERE submission_id = ? ORDER BY sku",
            [sub_id]).fetchall()]
        if held == wanted:
            with db.atomic():
                db.execute("UPDATE submissions SET detail = json_patch(COALESCE(detail, '{}'),"
                           " ?) WHERE id = ?", [json.dumps(detail), sub_id])
            return int(sub_id)
    return None


def mark_unknown(db: sqlite_utils.Database, sub_id: int, error: str) -> None:
    """Keep the attempt open (``sending``) and say why: its answer was lost."""
    db.execute("UPDATE submissions SET error = ?, updated_at = ? WHERE id = ?",
               [f"outcome unknown, read back before resending: {redact(error)}",
                utcnow_iso(), sub_id])


@dataclass
class Resolved:
    """What reading back did with the open attempts of one channel."""

    adopted: int = 0  # found on the channel: polled and applied like any submission
    released: int = 0  # proven not arrived (or no hook): planned again
    open: int = 0  # still unknown: asked again next run, SKUs held back meanwhile
    counts: dict[str, int] = field(default_factory=dict)
    # still unknown after UNDECIDED_AFTER: what a person must check (one line per attempt)
    overdue: list[str] = field(default_factory=list)


def resolve(db: sqlite_utils.Database, adapter: object, attempt: Attempt,
            result: Resolved) -> None:
    """Resolve one open attempt through the adapter's hook (or the old rule without one)."""
    hook: Callable[[Attempt], Verdict] | None = getattr(adapter, "find_submission", None)
    if hook is None:
        apply.fail(db, attempt.submission_id, attempt.channel,
                   "the answer to this batch was lost (crash, kill or network) and the "
                   "channel cannot be asked; its SKUs are re-planned", state="lost")
        result.released += 1
        return
    try:
        verdict = hook(attempt)
    except FeedsyncError as exc:  # reading back failed: ask again next run, send nothing
        log.warning("%s: reading back submission %s failed: %s", attempt.channel,
                    attempt.submission_id, exc.message)
        verdict = None
    if verdict is None:  # remember when we asked: an adapter may wait before asking again
        db.execute("UPDATE submissions SET detail = json_set(COALESCE(detail, '{}'), ?, ?)"
                   " WHERE id = ?", [f"$.{ASKED_KEY}", utcnow_iso(), attempt.submission_id])
        result.open += 1
        if _parse(utcnow_iso()) - attempt.started_at >= UNDECIDED_AFTER:
            result.overdue.append(overdue_message(attempt))
            log.warning("%s", result.overdue[-1])
        return
    if isinstance(verdict, _NotArrived):
        apply.fail(db, attempt.submission_id, attempt.channel,
                   "read back: the channel never received this batch; its SKUs are re-planned",
                   state="lost")
        result.released += 1
        return
    log.info("%s: submission %s found on the channel (%s), adopted", attempt.channel,
             attempt.submission_id, verdict.handle or "final")
    verdict.skus = attempt.skus
    for key, value in apply.record(db, attempt.submission_id, verdict).items():
        result.counts[key] = result.counts.get(key, 0) + value
    result.adopted += 1


def overdue_message(attempt: Attempt) -> str:
    """What a person must check about an attempt still undecided after UNDECIDED_AFTER."""
    sample = ", ".join(attempt.skus[:5]) + (" …" if len(attempt.skus) > 5 else "")
    since = attempt.started_at.strftime("%Y-%m-%d %H:%M:%SZ")
    hours = UNDECIDED_AFTER.total_seconds() / 3600
    return (f"{attempt.channel}: submission {attempt.submission_id} ({len(attempt.skus)} SKU(s): "
            f"{sample}) was sent at {since} and its answer was lost; {attempt.channel} still "
            f"cannot tell whether it arrived after {hours:g} h, so these SKUs are held (not "
            f"sent again, to avoid a duplicate). Check the channel's own list of submissions "
            f"created since {since} (Amazon: Seller Central feed upload status or getFeeds) "
            f"for a batch holding these SKUs, then run `feedsync settle {attempt.channel} "
            f"{attempt.submission_id} --arrived <its id>` or `... --not-arrived`")


def undecided(db: sqlite_utils.Database, channel: str, account: str) -> list[dict[str, Any]]:
    """The account's attempts still ``sending`` (answer lost, or a send in progress), oldest first
    (for ``feedsync status``): id, sent_at, SKU count, a few SKUs, the last error."""
    rows = db.execute(
        "SELECT s.id, s.created_at, s.error, COUNT(i.sku), GROUP_CONCAT(i.sku, ', ')"
        " FROM submissions s LEFT JOIN submission_items i ON i.submission_id = s.id"
        " WHERE s.channel = ? AND s.account = ? AND s.state = 'sending'"
        " GROUP BY s.id ORDER BY s.id", [channel, account]).fetchall()
    now = _parse(utcnow_iso())
    return [{"submission": sub_id, "sent_at": created, "skus": int(count),
             "sample": (names or "").split(", ")[:5], "error": error,
             "overdue": now - _parse(created) >= UNDECIDED_AFTER}
            for sub_id, created, error, count, names in rows]


def settle(db: sqlite_utils.Database, channel: str, account: str, sub_id: int, *,
           arrived: str | None) -> str:
    """A person's verdict on an open attempt (``feedsync settle``), after checking the channel.

    ``arrived``: the channel's handle of the batch (Amazon: the feedId listed for it): adopted,
    then polled and applied like any submission; None: the channel does not hold it: released,
    its SKUs planned again. Refused (:class:`UsageError`) for an attempt that is not open, a
    handle already ours, or an arrival whose results could not be tied to SKUs (an attempt
    recorded before the adapter noted what it sent). Returns what was done, in one line.
    """
    row = db.execute("SELECT state, detail FROM submissions WHERE id = ? AND channel = ?"
                     " AND account = ?", [sub_id, channel, account]).fetchone()
    if row is None:
        raise UsageError(f"{channel}: no submission {sub_id} for account {account!r}")
    if row[0] != "sending":
        raise UsageError(f"{channel}: submission {sub_id} is {row[0]}, not an open attempt")
    if arrived is None:
        apply.fail(db, sub_id, channel, "settled by hand: the channel does not hold this batch;"
                   " its SKUs are re-planned", state="lost")
        return f"{channel}: submission {sub_id} released; its SKUs are planned again"
    if arrived in known_handles(db, channel, account):
        raise UsageError(f"{channel}: {arrived} is already one of feedsync's submissions")
    detail = json.loads(row[1] or "{}")
    detail.pop(ASKED_KEY, None)
    if "kind" not in detail:
        raise UsageError(
            f"{channel}: submission {sub_id} was recorded before feedsync noted what it sent, so "
            "the channel's results cannot be tied to its SKUs; check them on the channel, then "
            "release it with --not-arrived if the channel does not hold it")
    attempt = attempt_of(db, sub_id, channel, account, "1970-01-01T00:00:00Z", frozenset(),
                         with_others=False)
    detail.update(adopted=True, settled=True, deleted=[
        s for s, a in attempt.actions.items() if a == "delete"])
    if isinstance(detail.get("message_skus"), list):
        detail["messages"] = len(detail["message_skus"])
    apply.record(db, sub_id, Submission(channel=channel, handle=arrived,
                                        state=SubmissionState.PENDING, skus=attempt.skus,
                                        detail=detail))
    return f"{channel}: submission {sub_id} adopted as {arrived}; it is polled by the next push"


def resolve_open(db: sqlite_utils.Database, adapter: object, channel: str,
                 account: str) -> Resolved:
    """Resolve every open attempt of a channel account (start of a push)."""
    result = Resolved()
    for attempt in open_attempts(db, channel, account):  # lazily: each sees the ones before
        resolve(db, adapter, attempt, result)
    return result


def _parse(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["NOT_ARRIVED", "OUTCOME_UNKNOWN", "Attempt", "NotArrived", "ReadBack", "Resolved",
           "Verdict", "attempt_of", "known_handles", "mark_unknown", "note_sending",
           "open_attempts", "overdue_message", "resolve", "resolve_open", "settle",
           "supports", "undecided"]
