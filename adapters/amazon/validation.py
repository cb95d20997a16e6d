"""Remote validation: Amazon's own verdict on a few SKUs, without changing any listing.

``putListingsItem`` with ``mode=VALIDATION_PREVIEW`` runs Amazon's full listing validation and
answers VALID or INVALID with issues, persisting nothing
(https://developer-docs.amazon.com/sp-api/docs/preview-errors-before-creating-or-fully-updating-a-listing).
It is throttled at one request per second, so it suits a handful of SKUs checked by hand
(``feedsync validate amazon --remote SKU…``), not the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from feedsync.adapters.amazon.client import AmazonClient
from feedsync.adapters.amazon.render import RenderContext, build_attributes, require_product_type
from feedsync.adapters.amazon.report import to_issue

from feedsync.errors import CircuitOpen, FeedsyncError
from feedsync.mapping.record import MappedRecord
from feedsync.models import Issue, Severity

MODE = "VALIDATION_PREVIEW"


@dataclass
class RemoteVerdict:
    """Amazon's answer for one SKU: VALID / INVALID (or ERROR when the call failed)."""

    sku: str
    status: str
    issues: list[Issue] = field(default_factory=list)
    asin: str | None = None

    @property
    def ok(self) -> bool:
        """True when Amazon found no error."""
        return self.status == "VALID" and not any(
            i.severity is Severity.ERROR for i in self.issues)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view for ``--json``."""
        return {"sku": self.sku, "status": self.status, "asin": self.asin,
                "issues": [{"severity": str(i.severity), "code": i.code, "message": i.message,
                            "field": i.field, "source": i.source} for i in self.issues]}


def put_request(record: MappedRecord, ctx: RenderContext) -> dict[str, Any]:
    """The ListingsItemPutRequest body for one record (full LISTING requirements)."""
    return {
        "productType": require_product_type(record.sku, record.fields),
        "requirements": "LISTING",
        "attributes": build_attributes(record.sku, record.fields, ctx),
    }


def verdict_from_response(sku: str, body: dict[str, Any]) -> RemoteVerdict:
    """A ListingsItemSubmissionResponse as a verdict with feedsync issues."""
    issues = [to_issue(raw, sku) for raw in body.get("issues") or []]
    asin = next((i.get("asin") for i in body.get("identifiers") or [] if i.get("asin")), None)
    return RemoteVerdict(sku=sku, status=str(body.get("status") or "UNKNOWN"), issues=issues,
                         asin=asin)


def validate_remote(client: AmazonClient, records: Iterable[MappedRecord],
                    ctx: RenderContext) -> Iterator[RemoteVerdict]:
    """Ask Amazon to validate each record; one verdict per record, in order.

    A failed call (rejected request, rendering error) is that SKU's ERROR verdict; an auth
    failure stops the whole check.
    """
    for record in records:
        try:
            body = client.put_listings_item(record.sku, put_request(record, ctx), mode=MODE)
        except CircuitOpen:
            raise
        except FeedsyncError as exc:
            issue = Issue(sku=record.sku, severity=Severity.ERROR, code=type(exc).__name__,
                          message=exc.message, source="amazon")
            yield RemoteVerdict(sku=record.sku, status="ERROR", issues=[issue])
            continue
        yield verdict_from_response(record.sku, body)


# --- `feedsync validate amazon --remote SKU…` -------------------------------------------------

def _verdict_line(verdict: RemoteVerdict) -> str:
    asin = f" · ASIN {verdict.asin}" if verdict.asin else ""
    lines = [f"{verdict.sku}: Amazon says {verdict.status}{asin}"]
    for issue in verdict.issues:
        where = f"{issue.field}: " if issue.field else ""
        lines.append(f"  {issue.severity!s:<7} {where}{issue.message} ({issue.code})")
    return "\n".join(lines)


def run_remote(app: Any, channel: str, skus: list[str]) -> None:
    """The CLI's remote check: map ``skus``, ask Amazon, print its verdicts.

    ``app`` is the CLI's AppContext (workspace, catalog, output mode). Raises UsageError for
    unknown SKUs and ValidationFailed (exit 6) when Amazon reports an error for any SKU.
    """
    from datetime import UTC, datetime

    import click
    from feedsync.adapters.amazon.adapter import AmazonAdapter, coerce_config

    from feedsync.adapter import AdapterContext
    from feedsync.cli.context import dumps_json
    from feedsync.errors import UsageError, ValidationFailed
    from feedsync.mapping.engine import ChannelMapper

    if not skus:
        raise UsageError(f"name the SKUs to check: feedsync validate {channel} --remote SKU…")
    workspace = app.workspace
    settings = workspace.channel(channel)
    mapper = ChannelMapper.for_workspace(workspace, channel)
    records = {r.sku: r for r in mapper.map_catalog(app.catalog, skus=skus)}
    unknown = [sku for sku in skus if sku not in records]
    if unknown:
        raise UsageError(f"not in the catalog: {', '.join(unknown)}")
    adapter = AmazonAdapter(AdapterContext(
        workspace=workspace, settings=coerce_config(settings), secrets=workspace.secrets(channel),
        db=app.catalog.db, clock=lambda: datetime.now(UTC), account=settings.account))
    excluded = [records[s] for s in skus if not records[s].included]
    checked = [records[s] for s in skus if records[s].included]
    verdicts = list(validate_remote(adapter.client, checked, adapter.render_context))
    verdicts.extend(RemoteVerdict(sku=r.sku, status="NOT_SENT", issues=[Issue(
        sku=r.sku, severity=Severity.WARNING, code="excluded",
        message=f"not checked: {r.exclusion}", source="feedsync")]) for r in excluded)
    failed = [v.sku for v in verdicts if any(i.severity is Severity.ERROR for i in v.issues)
              or v.status in ("INVALID", "ERROR")]
    if app.json_output:
        click.echo(dumps_json({"channel": channel, "remote": True,
                               "skus": [v.as_dict() for v in verdicts], "ok": not failed}))
        if failed:  # the JSON object above is the whole output; only the exit code says more
            click.get_current_context().exit(int(ValidationFailed.exit_code))
        return
    else:
        for verdict in verdicts:
            click.echo(_verdict_line(verdict))
    if failed:
        raise ValidationFailed(f"Amazon reported errors for {len(failed)} SKU(s): "
                               f"{', '.join(failed)}")
