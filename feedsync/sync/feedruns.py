"""Feed builds in the runs journal: one ``feed`` step per channel, as pushes are journaled.

``feedsync feed build`` and the feeds step of ``feedsync sync`` both record what they published
(the file, its format and item count), so ``feedsync status`` can say what a file channel lists
and when its last build failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedsync.errors import ConfigError, FeedsyncError, redact
from feedsync.sync.runs import Outcome, StepResult

if TYPE_CHECKING:
    from feedsync.feeds.build import FeedResult

STEP = "feed"


def feed_step(channel: str, account: str | None, feed: FeedResult) -> StepResult:
    """The journal entry of one built feed: published (ok) or kept back by the gate."""
    result = StepResult(step=STEP, outcome=Outcome.OK, channel=channel, account=account,
                        counts={"items": feed.items, "skipped": feed.skipped,
                                "excluded": feed.excluded, "path": str(feed.path),
                                "format": feed.format})
    if feed.published:
        result.message = f"{channel}: feed published to {feed.path} ({feed.items} items)"
    else:
        kept = feed.gate.previous
        result.outcome = Outcome.REFUSED
        result.message = (f"{channel}: publish gate kept the previous feed"
                          + (f" ({kept} items)" if kept is not None else "")
                          + f": {feed.gate.reason} (use --force after checking)")
    return result


def feed_error_step(channel: str, account: str | None, exc: Exception) -> StepResult:
    """The journal entry of a feed that could not be built (settings, mapping, disk …)."""
    # The journal feeds status and the report: an unexpected error's text is redacted.
    text = exc.message if isinstance(exc, FeedsyncError) else redact(repr(exc))
    outcome = Outcome.NEEDS_HUMAN if isinstance(exc, ConfigError) else Outcome.ERROR
    return StepResult(step=STEP, outcome=outcome, channel=channel, account=account,
                      message=f"{channel}: {text}")
