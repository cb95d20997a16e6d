"""Feed builds in the runs journal: one ``feed`` step per channel, as pushes are journaled.

``feedsync feed build`` and the feeds step of ``feedsync sync`` both record what they published
(the file, its format and item count), so ``feedsync status`` can say what a file channel lists
and when its last build failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from feedsync.errors import ConfigError, FeedsyncError, redact
from feedsync.sync.runs import Outcome, StepResult

if TYPE_CHECKING:
    from feedsync.feeds.build import FeedResult

STEP = "feed"


def feed_step(channel: str, account: str | None, feed: FeedResult,
              root: Path | None = None) -> StepResult:
    """The journal entry of one built feed: published (ok) or kept back by the gate. The file
    is journaled relative to the workspace ``root`` when inside it (see :func:`stored_path`)."""
    result = StepResult(step=STEP, outcome=Outcome.OK, channel=channel, account=account,
                        counts={"items": feed.items, "skipped": feed.skipped,
                                "excluded": feed.excluded, "path": stored_path(feed.path, root),
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


def stored_path(path: Path, root: Path | None) -> str:
    """``path`` as the journal keeps it: relative to the workspace ``root`` when inside it, so a
    copied or moved workspace reads its own feed file (``feedsync status`` resolves it against
    the current root), else absolute (an ``--out`` elsewhere)."""
    absolute = Path(path).absolute()
    if root is not None:
        try:
            return absolute.relative_to(Path(root).absolute()).as_posix()
        except ValueError:
            pass
    return str(absolute)


def feed_error_step(channel: str, account: str | None, exc: Exception) -> StepResult:
    """The journal entry of a feed that could not be built (settings, mapping, disk …)."""
    # The journal feeds status and the report: an unexpected error's text is redacted.
    text = exc.message if isinstance(exc, FeedsyncError) else redact(repr(exc))
    outcome = Outcome.NEEDS_HUMAN if isinstance(exc, ConfigError) else Outcome.ERROR
    return StepResult(step=STEP, outcome=outcome, channel=channel, account=account,
                      message=f"{channel}: {text}")
