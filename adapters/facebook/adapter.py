"""Meta catalog through the Graph API batch endpoint (``delivery = "api"``).

The core fills each batch up to 5,000 requests and the 28 MB payload limit (see :mod:`.limits`);
:meth:`FacebookAdapter.submit` posts it to ``/{catalog_id}/items_batch`` and gets a handle back.
Meta validates some requests at once (``validation_status``: those SKUs are rejected right away)
and processes the rest asynchronously; :meth:`~FacebookAdapter.poll` asks
``check_batch_request_status`` until the handle is ``finished`` and maps its errors and warnings
to SKUs through their retailer ids. ``errors`` is only a sample, so the poll also asks for
``ids_of_invalid_requests``: every failed SKU is reported, with Meta's message when the sample
has one.

Authentication is a system-user access token (secret ``access_token``), sent as a bearer header
(:meth:`FacebookAdapter.http_auth`; the core builds the HTTP client from it and
:data:`.limits.API`); it does not expire on its own, so a Graph error 190 stops the channel for
the run (a human must issue a new token) instead of retrying.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from feedsync.adapter import (
    Action,
    Adapter,
    AdapterConfig,
    AdapterContext,
    Batch,
    Capability,
    ItemOutcome,
    ItemStatus,
    Limits,
    PlannedChange,
    RenderedItem,
    Submission,
    SubmissionState,
)
from feedsync.errors import ConfigError
from feedsync.http import StaticBearerAuth
from feedsync.models import Issue, Severity

from .client import CatalogClient
from .config import FacebookConfig
from .limits import API, LIMITS
from .render import (
    DEFAULT_PRICE_QUANTITY_FIELDS,
    batch_body,
    delete_request,
    encode,
    item_data,
    item_size,
    update_request,
)
from .status import final_outcomes, issue_json, issues_of, rejected_at_submit

FINISHED = "finished"
FAILED_STATES = frozenset({"error", "failed", "canceled", "cancelled"})


def _schema_info() -> tuple[str, frozenset[str]]:
    """The record's id field and the fields of its price and quantity parts."""
    try:
        from .schema import SCHEMA
    except ImportError:  # pragma: no cover - the schema module ships with the package
        return "id", DEFAULT_PRICE_QUANTITY_FIELDS
    fields = frozenset(f.name for f in SCHEMA.fields if f.part in ("price", "quantity"))
    return SCHEMA.id_field, fields or DEFAULT_PRICE_QUANTITY_FIELDS


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class FacebookAdapter(Adapter[FacebookConfig]):
    """Meta catalog batch push (items_batch + check_batch_request_status)."""

    name: ClassVar[str] = "facebook"
    Config: ClassVar[type[AdapterConfig]] = FacebookConfig
    capabilities: ClassVar[Capability] = (
        Capability.FILE_FEED | Capability.API_PUSH | Capability.PRICE_QUANTITY
        | Capability.DELETE | Capability.FETCH_LIVE)
    limits: ClassVar[Limits] = LIMITS
    api = API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.id_field, self.price_quantity_fields = _schema_info()
        self._client: CatalogClient | None = None
        if self.config.delivery == "api":
            self.require_api_config()

    # --- wiring (the core builds ``self.http`` from these) --------------------------------

    def require_api_config(self) -> None:
        """ConfigError unless the catalog id is set."""
        if not self.config.catalog_id:
            raise ConfigError("Meta catalog API is not fully configured: set "
                              "channels.facebook.catalog_id in feedsync.toml", [
                "channels.facebook.catalog_id: required for delivery = 'api'"])

    def http_auth(self) -> StaticBearerAuth:
        """The system-user access token (secret ``access_token``) as a bearer header."""
        token = self.context.secrets.get("access_token")
        if token is None or not token.get_secret_value():
            raise ConfigError("facebook: delivery = 'api' needs the secret access_token "
                              "(FEEDSYNC_FACEBOOK__ACCESS_TOKEN or [facebook] in "
                              "secrets.toml): a system-user token with catalog_management")
        return StaticBearerAuth(token)

    @property
    def client(self) -> CatalogClient:
        """The Graph API batch calls, over the core-built HTTP client."""
        if self._client is None:
            self._client = CatalogClient(self.http, self.config.catalog_id,
                                         self.config.graph_version)
        return self._client

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What the catalog holds for ``skus`` (the products edge; reconcile, :mod:`.live`)."""
        from .live import fetch_live

        self.require_api_config()
        path = f"{self.config.graph_version}/{self.config.catalog_id}/products"
        return fetch_live(self.http, path, skus)

    # --- render (pure) --------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """A change → one ``items_batch`` request (UPDATE as upsert, or DELETE)."""
        if change.action is Action.DELETE:
            request = delete_request(change.remote_id or change.sku)
            return RenderedItem(change.sku, change.action, request, item_size(request))
        if change.record is None:
            raise ValueError(f"facebook: {change.sku}: {change.action.value} without a record")
        cleared = [name for name, pair in change.diff.items() if _empty(pair[1])]
        only = (self.price_quantity_fields if change.action is Action.PRICE_QUANTITY
                else None)
        data = item_data(change.sku, change.record.fields, id_field=self.id_field, only=only,
                         cleared=cleared)
        request = update_request(data)
        return RenderedItem(change.sku, change.action, request, item_size(request))

    # --- submit and poll (I/O) ------------------------------------------------------------

    def submit(self, batch: Batch) -> Submission:
        """Post one batch; SKUs Meta refuses on sight are rejected, the rest await the handle."""
        ids: dict[str, str] = {}
        outcomes: dict[str, ItemOutcome] = {}
        sending = []
        for item in batch.items:
            rid = str(item.payload["data"]["id"])
            if rid in ids:  # Meta would apply one and report both: refuse the second here
                outcomes[item.sku] = ItemOutcome(item.sku, ItemStatus.REJECTED, [Issue(
                    sku=item.sku, severity=Severity.ERROR, code="duplicate_id",
                    message=f"retailer id {rid!r} is also the id of SKU {ids[rid]!r}; the "
                            f"mapping must give every SKU its own id", source="feedsync")])
                continue
            ids[rid] = item.sku
            sending.append(item)
        deletes = [item.sku for item in sending if item.payload["method"] == "DELETE"]
        answer = self.client.items_batch(encode(batch_body([i.payload for i in sending])))
        warnings: dict[str, list[dict[str, str]]] = {}
        for entry in answer.get("validation_status") or ():
            if not isinstance(entry, dict):
                continue
            sku = ids.get(str(entry.get("retailer_id")))
            if sku is None:
                continue
            errors = issues_of(sku, entry.get("errors") or (), Severity.ERROR, "validation")
            if errors:
                outcomes[sku] = ItemOutcome(sku, ItemStatus.REJECTED, errors)
            found = entry.get("warnings") or []
            if found and not errors:
                warnings[sku] = [w for w in found if isinstance(w, dict)]
        handles = [h for h in answer.get("handles") or () if isinstance(h, str) and h]
        if not handles:
            return Submission(self.name, None, SubmissionState.FAILED, batch.skus,
                              list(outcomes.values()), {"ids": ids},
                              error="Meta ingested nothing from this batch (no handle "
                                    "returned); its SKUs will be planned again")
        rejected = {sku: [issue_json(i) for i in o.issues] for sku, o in outcomes.items()}
        for rid, sku in ids.items():
            outcomes.setdefault(sku, ItemOutcome(sku, ItemStatus.PENDING, remote_id=rid))
        # A pending submission is resumed from ``detail`` alone: keep what is already known.
        detail = {"ids": ids, "deletes": deletes, "warnings": warnings, "rejected": rejected}
        return Submission(self.name, handles[0], SubmissionState.PENDING, batch.skus,
                          [outcomes[sku] for sku in batch.skus], detail)

    def poll(self, submission: Submission) -> Submission:
        """Check the handle; once finished, every SKU gets its final outcome."""
        if submission.state is not SubmissionState.PENDING or not submission.handle:
            return submission
        status = self.client.batch_status(submission.handle)
        state = str(status.get("status") or "").lower()
        if state in FAILED_STATES:
            submission.state = SubmissionState.FAILED
            submission.error = (f"Meta reports batch {submission.handle} as {state!r}; its "
                                f"SKUs will be planned again")
            submission.outcomes = list(rejected_at_submit(submission).values())
            return submission
        if state != FINISHED:
            return submission
        submission.outcomes = final_outcomes(submission, status)
        submission.state = SubmissionState.DONE
        return submission

ADAPTER = FacebookAdapter
