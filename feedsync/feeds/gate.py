"""The publish gate: never replace a good feed with an empty or collapsed one by accident.

A platform that fetches a feed with half the items delists the other half. So before a new
feed replaces the published one, its item count is compared with the previous feed's: an empty
feed, or a drop of more than ``max_drop`` (default 30 %), is refused unless forced (idea from
Setono/SyliusFeedPlugin's publish step).

The previous count comes from a small state file beside the feed (``.<name>.feedsync.json``),
written after each publish. If it is missing or does not describe the file on disk (someone
replaced the feed by hand), the published feed itself is counted, parsed as untrusted input.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from feedsync.feeds.atomic import AtomicFile, open_feed_for_reading
from feedsync.feeds.base import FeedFormat

log = logging.getLogger(__name__)

DEFAULT_MAX_DROP = 0.30


@dataclass
class FeedState:
    """What the last publish of one feed file wrote (kept beside it, not inside it)."""

    channel: str
    format: str
    items: int
    size: int
    sha256: str
    gzip: bool
    schema_version: str
    built_at: str


def state_path(target: Path) -> Path:
    """Where the state of the feed at ``target`` is kept."""
    return target.parent / f".{target.name}.feedsync.json"


def read_state(target: Path) -> FeedState | None:
    """The recorded state of ``target``, or None when absent or unreadable."""
    path = state_path(target)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return FeedState(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring unreadable feed state %s: %s", path, exc)
        return None


def write_state(target: Path, state: FeedState) -> None:
    """Record ``state`` for ``target`` (atomically, like the feed itself)."""
    with AtomicFile(state_path(target)) as out:
        out.stream.write(json.dumps(asdict(state), indent=2, sort_keys=True).encode() + b"\n")
        out.commit()


@dataclass(frozen=True)
class PreviousFeed:
    """The feed a new one would replace: its item count (None if unknown) and where it came
    from ("state", "counted", or "none" when there is no previous file)."""

    items: int | None
    source: str
    problem: str | None = None


def previous_feed(target: Path, fmt: FeedFormat) -> PreviousFeed:
    """How many items the feed published at ``target`` holds now."""
    if not target.exists():
        return PreviousFeed(None, "none")
    state = read_state(target)
    if state is not None and state.size == target.stat().st_size and state.format == fmt.name:
        return PreviousFeed(state.items, "state")
    try:
        with open_feed_for_reading(target) as handle:
            return PreviousFeed(fmt.count_items(handle), "counted")
    except Exception as exc:  # a corrupt or foreign file: the count is unknown, say why
        return PreviousFeed(None, "unreadable", f"cannot count items in {target}: {exc}")


@dataclass(frozen=True)
class GateDecision:
    """Whether a new feed may replace the published one, and why not."""

    allowed: bool
    items: int
    previous: int | None
    reason: str | None = None
    forced: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return asdict(self)


def check_publish(items: int, previous: int | None, *, max_drop: float = DEFAULT_MAX_DROP,
                  force: bool = False) -> GateDecision:
    """Allow the publish of ``items`` items over ``previous`` items, or say why not.

    Refused: an empty feed, or a drop of more than ``max_drop`` (a share, 0.30 = 30 %) of the
    previous count. ``force`` allows either, and the decision records that it was forced.
    """
    reason: str | None = None
    if items == 0:
        if previous:
            reason = f"the new feed is empty (the published one has {previous} items)"
        else:
            reason = "the new feed is empty"
    elif previous:
        drop = (previous - items) / previous
        if drop > max_drop:
            reason = (
                f"the item count would drop from {previous} to {items} "
                f"(-{drop:.0%}, more than the {max_drop:.0%} allowed)"
            )
    if reason is None:
        return GateDecision(True, items, previous)
    if force:
        return GateDecision(True, items, previous, reason, forced=True)
    return GateDecision(False, items, previous, reason)
