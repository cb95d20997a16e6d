"""Fault injection per marketplace and operation: the failures real marketplaces produce.

A rule is written ``CHANNEL[.OPERATION]:KIND:SHARE[:SECONDS]`` — for example
``amazon.createFeed:429:0.2``, ``*:5xx:0.1``, ``google:slow:0.05:3`` — with KIND one of:

=========  ==================================================================================
``429``    the marketplace's own 429 (shape and rate headers of its module)
``5xx``    a 503 in the marketplace's error shape, nothing processed
``slow``   the answer is delayed by SECONDS (default 2), then processed normally
``drop``   the connection is closed before the request is processed (nothing happened)
``lost``   the request is processed and committed, then the connection is closed without an
           answer: the client cannot know it worked and must read back
``revoke`` the presented access token is revoked and the request refused with the
           marketplace's 401 (the client must fetch a new token)
=========  ==================================================================================

``*`` as channel or operation matches any, except that ``*`` never matches a token endpoint
(name it to fault it). Draws are seeded: the same seed and the same sequence of requests to an
operation give the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KINDS = ("429", "5xx", "slow", "drop", "lost", "revoke")


class FaultSpecError(ValueError):
    """A fault rule that cannot be parsed (the message names the rule)."""


@dataclass(frozen=True)
class FaultRule:
    """Inject ``kind`` into ``share`` of the requests to channel/operation."""

    channel: str
    operation: str
    kind: str
    share: float
    seconds: float = 2.0

    def matches(self, channel: str, operation: str, is_token: bool) -> bool:
        """Whether this rule applies to a request of ``channel``/``operation``."""
        if self.channel not in ("*", channel):
            return False
        if self.operation == "*":
            return not is_token
        return self.operation == operation

    def spec(self) -> str:
        """The rule back in its textual form."""
        target = self.channel if self.operation == "*" else f"{self.channel}.{self.operation}"
        extra = f":{self.seconds:g}" if self.kind == "slow" else ""
        return f"{target}:{self.kind}:{self.share:g}{extra}"


def parse_fault(text: str) -> FaultRule:
    """Parse ``CHANNEL[.OPERATION]:KIND:SHARE[:SECONDS]`` (see the module docstring)."""
    parts = text.strip().split(":")
    if len(parts) not in (3, 4):
        raise FaultSpecError(f"fault {text!r}: expected CHANNEL[.OPERATION]:KIND:SHARE[:SECONDS]")
    target, kind, share_text = parts[0], parts[1].lower(), parts[2]
    channel, _, operation = target.partition(".")
    if not channel:
        raise FaultSpecError(f"fault {text!r}: no channel (use * for every channel)")
    if kind not in KINDS:
        raise FaultSpecError(f"fault {text!r}: kind must be one of {', '.join(KINDS)}")
    try:
        share = float(share_text)
        seconds = float(parts[3]) if len(parts) == 4 else 2.0
    except ValueError:
        raise FaultSpecError(f"fault {text!r}: SHARE and SECONDS must be numbers") from None
    if not 0.0 <= share <= 1.0:
        raise FaultSpecError(f"fault {text!r}: SHARE must be between 0 and 1")
    if seconds < 0:
        raise FaultSpecError(f"fault {text!r}: SECONDS must not be negative")
    return FaultRule(channel, operation or "*", kind, share, seconds)


class FaultPlan:
    """The active rules and their seeded random draws (thread-safe; replaceable at runtime)."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self.rules = list(rules or [])
        self.seed = seed
        self._streams: dict[tuple[str, str], random.Random] = {}
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def draw(self, channel: str, operation: str, is_token: bool) -> FaultRule | None:
        """The fault to inject into this request, if any (first matching rule that fires)."""
        rules = [r for r in self.rules if r.matches(channel, operation, is_token)]
        if not rules:
            return None
        with self._lock:
            stream = self._streams.setdefault(
                (channel, operation), random.Random(f"{self.seed}:{channel}:{operation}"))
            for rule in rules:
                if stream.random() < rule.share:
                    self.injected[rule.kind] = self.injected.get(rule.kind, 0) + 1
                    return rule
        return None

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Swap the rules (and optionally the seed) while serving."""
        with self._lock:
            self.rules = list(rules)
            if seed is not None:
                self.seed = seed
            self._streams.clear()
