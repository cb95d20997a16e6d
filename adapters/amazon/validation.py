"""Remote validation: Amazon's own verdict on a few SKUs, without changing any listing.

``putListingsItem`` with ``mode=VALIDATION_PREVIEW`` runs Amazon's full listing validation and
answers VALID or INVALID with issues, persisting nothing
(https://developer-docs.amazon.com/sp-api/docs/preview-errors-before-creating-or-fully-updating-a-listing).
It is throttled at one request per second, so it suits a handful of SKUs checked by hand
(``feedsync validate amazon --remote SKU…``), not the catalog. The CLI looks up
:func:`remote_verdicts` here; this module never prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from feedsync.adapters.amazon.client import AmazonClient
from feedsync.adapters.amazon.render import RenderContext, build_attributes, require_product_type
from feedsync.adapters.amazon.report import to_issue

from feedsync.errors import CircuitOpen, FeedsyncError
from feedsync.mapping.record import MappedRecord
from feedsync.models import Issue, Severity

if TYPE_CHECKING:
    from feedsync.adapters.amazon.adapter import AmazonAdapter

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


def remote_verdicts(adapter: AmazonAdapter, records: Iterable[MappedRecord]
                    ) -> Iterator[RemoteVerdict]:
    """``feedsync validate amazon --remote``: the adapter's verdict for each record (the CLI
    maps the SKUs, opens the adapter and prints; see feedsync/cli/remote_validate.py)."""
    return validate_remote(adapter.client, records, adapter.render_context)
