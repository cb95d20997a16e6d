"""Meta's batch answers as per-SKU outcomes: ``validation_status`` at submit, and the
``check_batch_request_status`` report (sampled ``errors``/``warnings`` plus
``ids_of_invalid_requests``) once a handle is finished. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from feedsync.adapter import ItemOutcome, ItemStatus, Submission
from feedsync.models import Issue, Severity

__all__ = ["final_outcomes", "issue_json", "issues_of", "rejected_at_submit"]


def issues_of(sku: str, entries: Iterable[Any], severity: Severity, code: str) -> list[Issue]:
    """Meta's error/warning entries for one SKU as issues (entries without a message skipped)."""
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        message = str(entry.get("message") or entry.get("error_message") or "")
        if not message:
            continue
        found.append(Issue(sku=sku, severity=severity,
                           code=str(entry.get("error_code") or entry.get("code") or code),
                           message=message, source="facebook"))
    return found


def issue_json(issue: Issue) -> dict[str, Any]:
    """An issue as JSON for a pending submission's ``detail``."""
    return {"severity": issue.severity.value, "code": issue.code, "message": issue.message,
            "source": issue.source}


def rejected_at_submit(submission: Submission) -> dict[str, ItemOutcome]:
    """Outcomes of SKUs Meta refused when the batch was posted (kept in ``detail``)."""
    found: dict[str, ItemOutcome] = {}
    for sku, issues in (submission.detail.get("rejected") or {}).items():
        found[sku] = ItemOutcome(sku, ItemStatus.REJECTED, [
            Issue(sku=sku, severity=Severity(i["severity"]), code=i["code"],
                  message=i["message"], source=i.get("source") or "facebook") for i in issues])
    return found


def final_outcomes(submission: Submission, status: dict[str, Any]) -> list[ItemOutcome]:
    """Every SKU's outcome once ``check_batch_request_status`` says ``finished``: Meta's sampled
    errors and warnings by retailer id, ``ids_of_invalid_requests`` for the rest, the SKUs
    refused at submit as they were."""
    ids: dict[str, str] = submission.detail.get("ids") or {}
    deletes = set(submission.detail.get("deletes") or ())
    earlier = rejected_at_submit(submission)
    errors: dict[str, list[Issue]] = {}
    warns: dict[str, list[Issue]] = {}
    stored = submission.detail.get("warnings") or {}
    for sku, entries in stored.items():
        warns.setdefault(sku, []).extend(
            issues_of(sku, entries, Severity.WARNING, "validation_warning"))
    for target, entries, severity, code in (
            (errors, status.get("errors") or (), Severity.ERROR, "batch_error"),
            (warns, status.get("warnings") or (), Severity.WARNING, "batch_warning")):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            rid = entry.get("id", entry.get("retailer_id"))
            sku = ids.get(str(rid)) if rid is not None else None
            if sku is not None:
                target.setdefault(sku, []).extend(issues_of(sku, [entry], severity, code))
    for rid in status.get("ids_of_invalid_requests") or ():
        sku = ids.get(str(rid))
        if sku is not None and not errors.get(sku):
            errors[sku] = [Issue(
                sku=sku, severity=Severity.ERROR, code="batch_error",
                message=("Meta rejected this item; its message was not among the sampled "
                         "errors (see Commerce Manager → Catalog → Issues)"),
                source="facebook")]
    retailer = {sku: rid for rid, sku in ids.items()}
    outcomes = []
    for sku in submission.skus:
        if sku in earlier:
            outcomes.append(earlier[sku])
        elif errors.get(sku):
            outcomes.append(ItemOutcome(sku, ItemStatus.REJECTED,
                                        errors[sku] + warns.get(sku, [])))
        else:
            done = ItemStatus.DELETED if sku in deletes else ItemStatus.ACCEPTED
            outcomes.append(ItemOutcome(sku, done, warns.get(sku, []),
                                        remote_id=retailer.get(sku)))
    attributed = sum(1 for o in outcomes if o.status is ItemStatus.REJECTED)
    total = status.get("errors_total_count")
    if isinstance(total, int) and total > attributed:
        submission.error = (f"Meta counted {total} errors in batch {submission.handle} but "
                            f"named the items of only {attributed}")
    return outcomes
