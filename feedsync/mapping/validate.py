"""Checking a mapped record against its channel's rules (:class:`ChannelSchema`).

Every problem becomes an :class:`~feedsync.models.Issue` naming the channel field, a stable
``code``, a message a merchant can act on, and the mapping rule that produced the value. Codes:

- ``missing_required`` (error): a required field has no value;
- ``missing_one_of`` (error): none of a group of fields (e.g. Meta's brand/gtin/mpn) has a value;
- ``too_long`` (error): longer than the channel's ``max_length`` (add a ``truncate``);
- ``invalid_value`` (error): not one of the channel's allowed values (add a value map);
- ``invalid_format`` (error): does not match the channel's pattern (e.g. price ``12.99 USD``);
- ``too_many_items`` (warning): a repeated field over ``max_items`` (the engine keeps the first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from feedsync.mapping.record import FieldValue
from feedsync.mapping.schema import ChannelSchema
from feedsync.models import Issue, Severity


class SchemaValidator:
    """Validation compiled once per channel schema (patterns compiled, checks precomputed)."""

    def __init__(self, schema: ChannelSchema) -> None:
        self.schema = schema
        self.required = [f.name for f in schema.fields if f.required]
        self.checks = [
            (f.name, f.max_length, f.allowed, re.compile(f.pattern) if f.pattern else None,
             f.max_items, f.description)
            for f in schema.fields
            if f.max_length or f.allowed or f.pattern or f.max_items
        ]

    def validate(self, sku: str, fields: Mapping[str, FieldValue],
                 rules: Mapping[str, str]) -> list[Issue]:
        """Issues of one record (``rules``: field → the mapping rule that produced it)."""
        issues: list[Issue] = []
        channel = self.schema.channel
        for name in self.required:
            if not fields.get(name):
                issues.append(Issue(sku, Severity.ERROR, "missing_required",
                                    f"{name} is required by {channel} and has no value",
                                    name, rules.get(name)))
        for group in self.schema.one_of:
            if not any(fields.get(name) for name in group):
                issues.append(Issue(sku, Severity.ERROR, "missing_one_of",
                                    f"{channel} needs at least one of {', '.join(group)}",
                                    group[0], rules.get(group[0])))
        for name, max_length, allowed, pattern, max_items, described in self.checks:
            value = fields.get(name)
            if not value:
                continue
            items = [value] if isinstance(value, str) else value
            if max_items is not None and len(items) > max_items:
                issues.append(Issue(sku, Severity.WARNING, "too_many_items",
                                    f"{name} has {len(items)} values; {channel} takes at most "
                                    f"{max_items}", name, rules.get(name)))
            for item in items:
                if max_length is not None and len(item) > max_length:
                    issues.append(Issue(sku, Severity.ERROR, "too_long",
                                        f"{name} is {len(item)} characters; {channel} allows "
                                        f"{max_length}", name, rules.get(name)))
                if allowed is not None and item not in allowed:
                    issues.append(Issue(sku, Severity.ERROR, "invalid_value",
                                        f"{name} {item!r} is not one of "
                                        f"{', '.join(sorted(allowed))}", name, rules.get(name)))
                elif pattern is not None and not pattern.fullmatch(item):
                    issues.append(Issue(sku, Severity.ERROR, "invalid_format",
                                        f"{name} {_short(item)!r} is not in the format "
                                        f"{channel} expects"
                                        + (f" ({described})" if described else ""),
                                        name, rules.get(name)))
        return issues


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
