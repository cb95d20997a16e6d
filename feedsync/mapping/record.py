"""The mapping engine's output: one channel record per SKU, with its issues and its trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feedsync.models import Issue, Severity

FieldValue = str | list[str]

# Bump when the engine's output for the same inputs changes. Part of every mapper's version;
# here rather than in engine.py so the version is known without importing the engine (#19).
ENGINE_VERSION = "1"


@dataclass(slots=True)
class TraceStep:
    """One step of how a field got its value (for `feedsync explain`)."""

    field: str
    rule: str  # e.g. 'template "{brand} {title}"', 'transform truncate(max=150)', 'override'
    before: Any
    after: Any


@dataclass(slots=True)
class MappedRecord:
    """A catalog product translated into one channel's words.

    ``fields`` holds only non-empty values, in the channel schema's order; repeated fields are
    lists of strings. A record that is not ``included`` (filtered out, excluded by an override,
    archived …) says why in ``exclusion`` and is never sent; one with error issues is not sent
    either, but both are always reported.
    """

    sku: str
    channel: str
    fields: dict[str, FieldValue] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    included: bool = True
    exclusion: str | None = None
    trace: list[TraceStep] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when any issue has error severity (the SKU must not be sent)."""
        if not self.issues:  # most records: asked once per record and feed
            return False
        return any(issue.severity is Severity.ERROR for issue in self.issues)

    @property
    def sendable(self) -> bool:
        """Included and free of errors."""
        return self.included and not self.has_errors
