"""The Amazon adapter: JSON_LISTINGS_FEED and Listings Items push, Orders API v2026-01-01.

Submission path, decided per batch in :meth:`AmazonAdapter.submit`:

- A batch of price/quantity-only changes of at most ``patch_api_max_items`` SKUs (default 20)
  goes through ``patchListingsItem``, one call per SKU. Why: a feed takes minutes to process
  and Amazon allows about five JSON_LISTINGS_FEED submissions per five minutes per region,
  so spending one on a few SKUs delays every other update; patchListingsItem runs at 5
  requests/s (burst 5), answers synchronously with the SKU's issues, and finishes 20 SKUs in
  about four seconds.
- Everything else goes as one JSON_LISTINGS_FEED (up to 25,000 messages and 10 MiB, which
  the core's batching respects through ``limits``): one feed replaces thousands of calls.

Rendering (pure) is in ``render``, the feed flow in ``feeds``, report parsing in ``report``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from feedsync.adapters.amazon import orders as amazon_orders
from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.auth import lwa_auth
from feedsync.adapters.amazon.client import AmazonClient
from feedsync.adapters.amazon.config import (
    ENDPOINTS,
    SANDBOX_ENDPOINTS,
    AmazonConfig,
    load_credentials,
)
from feedsync.adapters.amazon.feed_flow import PENDING_STATUSES, FeedFlow
from feedsync.adapters.amazon.limits import API, LIMITS
from feedsync.adapters.amazon.parents import fold_outcomes, parents_of_children, with_parents
from feedsync.adapters.amazon.report import (
    feed_level_summary,
    outcomes,
    to_issue,
)
from feedsync.adapters.amazon.shipments import confirm_shipments

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
    OrderPage,
    PlannedChange,
    RenderedItem,
    Submission,
    SubmissionState,
)
from feedsync.errors import BudgetExhausted, CircuitOpen, ItemRejected, TransientError
from feedsync.http import BaseUrls, HttpAuth
from feedsync.models import Issue, Order, Severity, Shipment
from feedsync.sync.readback import Attempt, Verdict, note_sending


class AmazonAdapter(Adapter[AmazonConfig]):
    """Amazon Selling Partner API (see the module docstring for the submission paths)."""

    name: ClassVar[str] = "amazon"
    Config: ClassVar[type[AdapterConfig]] = AmazonConfig
    capabilities: ClassVar[Capability] = (
        Capability.API_PUSH | Capability.PRICE_QUANTITY | Capability.DELETE
        | Capability.ORDERS | Capability.SHIPMENTS | Capability.FETCH_LIVE
    )
    limits: ClassVar[Limits] = LIMITS
    api = API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        workspace = getattr(context, "workspace", None)
        currency = workspace.settings.catalog.default_currency if workspace else None
        self.render_context = render.RenderContext(
            marketplace_id=self.config.primary_marketplace,
            language_tag=self.config.language_tag,
            fulfillment_channel_code=self.config.fulfillment_channel_code,
            default_currency=currency,
        )
        self._client: AmazonClient | None = None

    # --- wiring (the core builds ``self.http`` from these; rendering needs no credentials) ---

    def base_urls(self) -> BaseUrls:
        """The configured region's SP-API hosts (production and sandbox)."""
        region = self.config.region
        return BaseUrls(production=ENDPOINTS[region], sandbox=SANDBOX_ENDPOINTS[region])

    def require_api_config(self) -> None:
        """ConfigError naming each missing key needed to call Amazon."""
        self.config.require_account()

    def http_auth(self) -> HttpAuth:
        """Login with Amazon from the channel's secrets (ConfigError names missing ones)."""
        return lwa_auth(load_credentials(self.context.secrets), self.config.lwa_token_url)

    @property
    def client(self) -> AmazonClient:
        """The SP-API operations, over the core-built HTTP client."""
        if self._client is None:
            self._client = AmazonClient(self.http, seller_id=self.config.seller_id,
                                        marketplace_ids=self.config.marketplace_ids,
                                        issue_locale=self.config.issue_locale)
        return self._client

    @property
    def feeds(self) -> FeedFlow:
        """The feed flow on this adapter's client."""
        return FeedFlow(self.client, self.clock)

    # --- render -------------------------------------------------------------------------------

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """One planned change as one JSON_LISTINGS_FEED message (without messageId)."""
        message = render.change_message(change, self.render_context)
        return RenderedItem(sku=change.sku, action=change.action, payload=message,
                            size=render.message_size(message))

    def feed_document(self, items: Sequence[RenderedItem]) -> bytes:
        """The JSON_LISTINGS_FEED document for ``items`` (what ``submit`` uploads)."""
        return render.feed_bytes(self.config.seller_id, [i.payload for i in items],
                                 self.config.issue_locale)

    # --- submit / poll ----------------------------------------------------------------------------

    def batch_key(self, item: RenderedItem) -> str:
        """Price/quantity-only changes batch apart, so a few of them can take the fast
        patchListingsItem path instead of waiting behind a content feed."""
        return "price_quantity" if item.action is Action.PRICE_QUANTITY else "listing"

    def submit(self, batch: Batch) -> Submission:
        """Send one batch: patchListingsItem for a few price/quantity SKUs, else one feed."""
        small = len(batch.items) <= self.config.patch_api_max_items
        if batch.items and small and all(i.action is Action.PRICE_QUANTITY
                                         for i in batch.items):
            return self._submit_patches(batch)
        return self._submit_feed(batch)

    def _submit_feed(self, batch: Batch) -> Submission:
        self.config.require_account()
        # Each variation family's parent listing goes first (adapters/amazon/parents.py).
        skus = [i.sku for i in batch.items]
        messages, message_skus = with_parents([i.payload for i in batch.items], skus,
                                              self.context.db)
        document = render.feed_bytes(self.config.seller_id, messages, self.config.issue_locale)
        # Noted before createFeed leaves: if its answer is lost, the adopted feed's report is
        # read by message number against exactly this order (adapters/amazon/readback.py).
        note_sending(self.context.db, self.name, self.context.account, skus, {
            "kind": "feed", "message_skus": message_skus,
            "children": parents_of_children(messages, message_skus)})
        feed_id, document_id = self.feeds.submit(document, self.config.marketplace_ids)
        deleted = [i.sku for i in batch.items if i.payload.get("operationType") == "DELETE"]
        detail: dict[str, Any] = {"kind": "feed", "feed_document_id": document_id,
                                  "messages": len(messages), "deleted": deleted}
        if len(messages) != len(batch.items):
            detail["message_skus"] = message_skus
            detail["children"] = parents_of_children(messages, message_skus)
        return Submission(channel=self.name, handle=feed_id, state=SubmissionState.PENDING,
                          skus=batch.skus, detail=detail)

    def _submit_patches(self, batch: Batch) -> Submission:
        results: list[ItemOutcome] = []
        error: str | None = None
        # Idempotent per SKU: a lost attempt of these is simply sent again (readback.py).
        note_sending(self.context.db, self.name, self.context.account, batch.skus,
                     {"kind": "patchListingsItem"})
        for item in batch.items:
            if error is not None:  # a transient failure stopped the batch: retry next run
                results.append(ItemOutcome(sku=item.sku, status=ItemStatus.DEFERRED))
                continue
            body = {"productType": item.payload["productType"],
                    "patches": item.payload["patches"]}
            try:
                answer = self.client.patch_listings_item(item.sku, body)
            except CircuitOpen:
                raise
            except ItemRejected as exc:
                results.append(ItemOutcome(sku=item.sku, status=ItemStatus.REJECTED, issues=[
                    Issue(sku=item.sku, severity=Severity.ERROR, code="request_rejected",
                          message=exc.message, source="amazon")]))
                continue
            except (TransientError, BudgetExhausted) as exc:
                error = exc.message
                results.append(ItemOutcome(sku=item.sku, status=ItemStatus.DEFERRED, issues=[
                    Issue(sku=item.sku, severity=Severity.WARNING, code="transient",
                          message=exc.message, source="amazon")]))
                continue
            issues = [to_issue(raw, item.sku) for raw in answer.get("issues") or []]
            rejected = answer.get("status") == "INVALID" or any(
                i.severity is Severity.ERROR for i in issues)
            results.append(ItemOutcome(
                sku=item.sku, status=ItemStatus.REJECTED if rejected else ItemStatus.ACCEPTED,
                issues=issues, remote_id=answer.get("submissionId")))
        return Submission(channel=self.name, handle=None,
                          state=SubmissionState.FAILED if error else SubmissionState.DONE,
                          skus=batch.skus, outcomes=results,
                          detail={"kind": "patchListingsItem"}, error=error)

    def find_submission(self, attempt: Attempt) -> Verdict:
        """A feed whose createFeed answer was lost, read back with getFeeds (issue #16)."""
        from feedsync.adapters.amazon.readback import find_feed

        clock = self.context.clock
        now = clock.now() if hasattr(clock, "now") else clock()
        return find_feed(self.client, attempt, now, list(self.config.marketplace_ids),
                         self.config.patch_api_max_items, self.context.db)

    def poll(self, submission: Submission) -> Submission:
        """Check a pending feed; when finished, turn its processing report into outcomes."""
        if submission.state is not SubmissionState.PENDING or not submission.handle:
            return submission
        status = self.feeds.status(submission.handle)
        submission.detail["processing_status"] = status.processing_status
        if status.processing_status in PENDING_STATUSES:
            return submission
        if status.processing_status == "CANCELLED":
            submission.state = SubmissionState.FAILED
            submission.error = f"amazon feed {submission.handle} was cancelled; nothing applied"
            return submission
        if status.result_document_id is None:
            submission.state = SubmissionState.FAILED
            submission.error = (f"amazon feed {submission.handle} ended "
                                f"{status.processing_status} without a processing report")
            return submission
        report = self.feeds.report(status.result_document_id)
        message_skus = submission.detail.get("message_skus")
        results = outcomes(report, message_skus or submission.skus,
                           set(submission.detail.get("deleted", ())))
        if message_skus:  # parents were added: their errors go to their children
            results = fold_outcomes(results, submission.skus,
                                    submission.detail.get("children") or {})
        summary = feed_level_summary(report)
        if status.processing_status == "FATAL":
            # "Some, none, or all of the operations may have completed" (getFeed): only the
            # SKUs the report rejects get an outcome; the core releases the others of a FAILED
            # submission and the next plan sends them again (updates are idempotent).
            results = [o for o in results if o.status is ItemStatus.REJECTED]
            submission.state = SubmissionState.FAILED
            submission.error = f"amazon feed {submission.handle} FATAL" + (
                f": {summary}" if summary else "")
        else:
            submission.state = SubmissionState.DONE
            submission.error = summary
        submission.outcomes = results
        submission.detail["summary"] = report.summary
        return submission

    # --- orders ---------------------------------------------------------------------------

    def _keep_personal_data(self) -> bool:
        workspace = getattr(self.context, "workspace", None)
        orders = getattr(getattr(workspace, "settings", None), "orders", None)
        return bool(getattr(orders, "keep_personal_data", False))

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Orders updated since ``since`` via searchOrders (v2026-01-01), page by page."""
        return amazon_orders.pull_orders(
            self.client, since, now=self.context.clock, account=self.context.account,
            fulfilled_by=list(self.config.orders_fulfilled_by),
            included_data=list(self.config.order_included_data),
            marketplace_ids=list(self.config.marketplace_ids),
            keep_personal_data=self._keep_personal_data())

    def get_order(self, order_id: str) -> Order:
        """One order by id (getOrder, v2026-01-01)."""
        payload = self.client.get_order(order_id, self.config.order_included_data)
        return amazon_orders.parse_order(payload, account=self.context.account,
                                         keep_personal_data=self._keep_personal_data())

    def find_shipment(self, shipment: Shipment, attempted_at: datetime) -> bool | None:
        """Whether a confirmShipment whose answer was lost did arrive (getOrder PACKAGES)."""
        from feedsync.adapters.amazon.readback import find_package
        from feedsync.adapters.amazon.shipments import package_reference_id

        clock = self.context.clock
        now = clock.now() if hasattr(clock, "now") else clock()
        return find_package(self.client, shipment, attempted_at, now,
                            package_reference_id(shipment))

    def push_shipments(self, shipments: Sequence[Shipment]) -> list[ItemOutcome]:
        """Confirm merchant-fulfilled shipments (confirmShipment); one outcome per shipment."""
        return confirm_shipments(self.client, shipments, self.config.primary_marketplace)


    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What Amazon shows for ``skus`` (searchListingsItems; reconcile, :mod:`.live`)."""
        from feedsync.adapters.amazon.live import fetch_live

        self.config.require_account()
        return fetch_live(self.http, self.config.seller_id, self.config.primary_marketplace,
                          skus, fulfillment_channel_code=self.config.fulfillment_channel_code)


ADAPTER = AmazonAdapter
