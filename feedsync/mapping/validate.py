"""Checking a mapped record against its channel's rules (:class:`ChannelSchema`).

Every problem becomes an :class:`~feedsync.models.Issue` naming the channel field, a stable
``code``, a message a merchant can act on, and the mapping rule that produced the value. Codes:

- ``missing_required`` (error): a required field has no value;
- ``missing_one_of`` (error): none of a group of fields (e.g. Meta's brand/gtin/mpn) has a value;
- ``too_long`` (error): longer than the channel's ``max_length`` (add a ``truncate``);
- ``invalid_value`` (error): not one of the channel's allowed values (add a value map);
- ``invalid_format`` (error): does not match the channel's pattern (e.g. price ``12.99 USD``);
- ``too_many_items`` (warning): a repeated field over ``max_items`` (the engine keeps the first);
- ``unreachable_url`` (warning): a URL field (its pattern starts ``http``) on localhost, a
  ``.local`` name or a private address, which marketplaces cannot fetch (:mod:`hosts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from feedsync.mapping.hosts import unreachable_host
from feedsync.mapping.record import FieldValue
from feedsync.mapping.schema import ChannelSchema, FieldSpec
from feedsync.models import Issue, Severity

Check = Callable[[str, FieldValue, list[Issue], str | None], None]
Ok = Callable[[FieldValue], bool]


class SchemaValidator:
    """Validation compiled once per channel schema: per field, a fast yes/no test, and the
    reporting code that only runs for a value that fails it."""

    def __init__(self, schema: ChannelSchema) -> None:
        self.schema = schema
        self.required = [f.name for f in schema.fields if f.required]
        self.required_when = [(rule, _remembered(re.compile(rule.pattern, re.IGNORECASE)))
                              for rule in schema.required_when]
        self.checks: dict[str, tuple[Callable[[str], bool], Ok, Check]] = {}
        for spec in schema.fields:
            compiled = _field_check(schema.channel, spec)
            if compiled is not None:
                self.checks[spec.name] = compiled

    def validate(self, sku: str, fields: Mapping[str, FieldValue],
                 rules: Mapping[str, str]) -> list[Issue]:
        """Issues of one record (``rules``: field → the mapping rule that produced it)."""
        issues = self.presence(sku, fields, rules)
        checks = self.checks
        for name, value in fields.items():
            compiled = checks.get(name)
            if compiled is None:
                continue
            if value.__class__ is str:
                if compiled[0](value):
                    continue
            elif compiled[1](value):
                continue
            compiled[2](sku, value, issues, rules.get(name))
        return issues

    def presence(self, sku: str, fields: Mapping[str, FieldValue],
                 rules: Mapping[str, str]) -> list[Issue]:
        """The issues of fields without a value (required ones, one-of groups): what
        :meth:`validate` says of a record whose every value passes :meth:`check_of`."""
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
        for rule, pattern in self.required_when:
            decider = fields.get(rule.field)
            text = " ".join(decider) if isinstance(decider, list) else decider
            if not text or not pattern(text):
                continue
            if any(fields.get(name) for name in rule.unless):
                continue
            for name in rule.required:
                if not fields.get(name):
                    severity = Severity.ERROR if rule.error else Severity.WARNING
                    issues.append(Issue(sku, severity, "missing_required",
                                        f"{name} is required by {channel} {rule.why} "
                                        f"({rule.field} is {text!r}) and has no value",
                                        name, rules.get(name)))
        return issues

    def check_of(self, name: str, repeated: bool) -> Callable[[Any], bool] | None:
        """The yes/no test :meth:`validate` applies to a value of ``name`` (a list when
        ``repeated``, else text), or None when the channel has no rule for the field."""
        compiled = self.checks.get(name)
        if compiled is None:
            return None
        return compiled[1] if repeated else compiled[0]

    def length_limit(self, name: str, repeated: bool) -> int | None:
        """``max_length`` of ``name`` when the test :meth:`check_of` gives is only
        ``len(value) <= max_length`` (a single text value, no pattern or allowed values)."""
        spec = self.schema.get(name)
        if spec is None or repeated or spec.pattern is not None or spec.allowed is not None:
            return None
        return spec.max_length


def _field_check(channel: str, spec: FieldSpec) -> tuple[Callable[[str], bool], Ok,
                                                           Check] | None:
    name, max_length, allowed, max_items = spec.name, spec.max_length, spec.allowed, spec.max_items
    pattern = re.compile(spec.pattern) if spec.pattern else None
    if not (max_length or allowed or pattern or max_items):
        return None
    described = f" ({spec.description})" if spec.description else ""
    limit = max_length if max_length is not None else 1 << 62
    # image and link fields: their pattern asks for an http(s) URL
    urls = spec.pattern is not None and spec.pattern.startswith(("http", "^http"))
    item_ok: Callable[[str], bool]
    if allowed is not None:
        item_ok = allowed.__contains__
    elif pattern is not None and urls:
        fullmatch = pattern.fullmatch

        def item_ok(item: str) -> bool:  # URLs are unique per SKU: nothing worth remembering
            return (len(item) <= limit and fullmatch(item) is not None
                    and unreachable_host(item) is None)
    elif pattern is not None:
        fullmatch = pattern.fullmatch
        known: dict[str, bool] = {}  # values repeat (prices, dates): remember pattern results

        def item_ok(item: str) -> bool:  # one call per value: this runs for every SKU
            if len(item) > limit:
                return False
            found = known.get(item)
            if found is None:
                found = fullmatch(item) is not None
                if len(known) < 2048:
                    known[item] = found
            return found
    else:
        item_ok = lambda item: len(item) <= limit  # noqa: E731

    def list_ok(value: FieldValue) -> bool:
        return (max_items is None or len(value) <= max_items) and all(map(item_ok, value))

    def report(sku: str, value: FieldValue, issues: list[Issue], rule: str | None) -> None:
        items = [value] if isinstance(value, str) else value
        if max_items is not None and len(items) > max_items:
            issues.append(Issue(sku, Severity.WARNING, "too_many_items",
                                f"{name} has {len(items)} values; {channel} takes at most "
                                f"{max_items}", name, rule))
        for item in items:
            if max_length is not None and len(item) > max_length:
                issues.append(Issue(sku, Severity.ERROR, "too_long",
                                    f"{name} is {len(item)} characters; {channel} allows "
                                    f"{max_length}", name, rule))
            if allowed is not None:
                if item not in allowed:
                    issues.append(Issue(sku, Severity.ERROR, "invalid_value",
                                        f"{name} {item!r} is not one of "
                                        f"{', '.join(sorted(allowed))}", name, rule))
            elif pattern is not None and pattern.fullmatch(item) is None:
                issues.append(Issue(sku, Severity.ERROR, "invalid_format",
                                    f"{name} {_short(item)!r} is not in the format {channel} "
                                    f"expects{described}", name, rule))
            elif urls and (where := unreachable_host(item)):
                issues.append(Issue(sku, Severity.WARNING, "unreachable_url",
                                    f"{name} {_short(item)!r} is on {where}: marketplaces "
                                    "cannot fetch it (publish the store's public address)",
                                    name, rule))

    return item_ok, list_ok, report


def _remembered(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """Whether ``pattern`` is found in a text, remembered per text: the deciding field of a
    ``required_when`` rule is a category, one of a few hundred for a whole catalog."""
    known: dict[str, bool] = {}
    search = pattern.search

    def found(text: str) -> bool:
        answer = known.get(text)
        if answer is None:
            answer = search(text) is not None
            if len(known) >= 4096:
                known.clear()
            known[text] = answer
        return answer

    return found


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
