"""The JSON_LISTINGS_FEED processing report → feedsync issues and per-SKU outcomes.

Format: listings-feed-processing-report-schema-v2.json. Each issue names the message it belongs
to (``messageId``, which feedsync numbered 1..n in SKU order) and usually the ``sku``, with
``code``, ``severity`` (ERROR / WARNING / INFO) and sometimes ``attributeName``. An issue with
neither messageId nor sku concerns the whole feed (e.g. a formatting problem).
ERROR means the message was not applied; WARNING and INFO messages were accepted.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import ChannelError
from feedsync.models import Issue, Severity

SOURCE = "amazon"


@dataclass
class ProcessingReport:
    """A parsed processing report: issues indexed by message and by SKU, and the summary."""

    feed_id: str | None
    summary: dict[str, Any]
    by_message: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    by_sku: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    feed_issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def messages_processed(self) -> int:
        """How many messages Amazon processed (0 when the whole feed was refused)."""
        return int(self.summary.get("messagesProcessed", 0) or 0)


def parse_report(data: bytes | str | dict[str, Any]) -> ProcessingReport:
    """Parse a processing report document (bytes as downloaded, or already decoded)."""
    if isinstance(data, dict):
        doc = data
    else:
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise ChannelError(f"Amazon processing report is not JSON: {exc}",
                               channel=SOURCE) from None
    if not isinstance(doc, dict) or "summary" not in doc or "issues" not in doc:
        raise ChannelError("Amazon processing report lacks 'summary' or 'issues' (expected "
                           "listings-feed-processing-report-schema-v2)", channel=SOURCE)
    header = doc.get("header") or {}
    report = ProcessingReport(feed_id=header.get("feedId"), summary=dict(doc["summary"]))
    for raw in doc["issues"] or []:
        message_id = raw.get("messageId")
        if isinstance(message_id, int):
            report.by_message.setdefault(message_id, []).append(raw)
        elif raw.get("sku"):
            report.by_sku.setdefault(raw["sku"], []).append(raw)
        else:
            report.feed_issues.append(raw)
    return report


def to_issue(raw: dict[str, Any], sku: str) -> Issue:
    """One report issue as a feedsync Issue (INFO is shown as a warning: nothing blocks)."""
    severity = Severity.ERROR if raw.get("severity") == "ERROR" else Severity.WARNING
    attribute = raw.get("attributeName")
    if attribute is None and raw.get("attributeNames"):
        attribute = ",".join(raw["attributeNames"])
    return Issue(
        sku=sku,
        severity=severity,
        code=str(raw.get("code") or "amazon"),
        message=str(raw.get("message") or "(no message)"),
        field=attribute,
        source=SOURCE,
    )


def outcomes(report: ProcessingReport, skus: Sequence[str],
             deleted: Collection[str] = ()) -> list[ItemOutcome]:
    """Per-SKU outcomes for a feed whose message ``i`` (1-based) carried ``skus[i - 1]``.

    A SKU with an ERROR issue is rejected; any other is accepted (or deleted, for the SKUs in
    ``deleted``). When Amazon refused the whole feed (feed-level errors and nothing processed)
    every SKU is rejected with those errors, so none disappears silently.
    """
    feed_errors = [raw for raw in report.feed_issues if raw.get("severity") == "ERROR"]
    refuse_all = bool(feed_errors) and report.messages_processed == 0
    results: list[ItemOutcome] = []
    for message_id, sku in enumerate(skus, start=1):
        raws = list(report.by_message.get(message_id, ()))
        raws.extend(report.by_sku.get(sku, ()))
        if refuse_all:
            raws.extend(feed_errors)
        issues = [to_issue(raw, sku) for raw in raws]
        if any(issue.severity is Severity.ERROR for issue in issues):
            status = ItemStatus.REJECTED
        elif sku in deleted:
            status = ItemStatus.DELETED
        else:
            status = ItemStatus.ACCEPTED
        results.append(ItemOutcome(sku=sku, status=status, issues=issues))
    return results


def feed_level_summary(report: ProcessingReport) -> str | None:
    """A one-line description of feed-level issues, or None when there are none."""
    if not report.feed_issues:
        return None
    parts = [f"{raw.get('code', '?')}: {raw.get('message', '')}" for raw in report.feed_issues]
    return "; ".join(parts)
