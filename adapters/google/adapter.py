"""Google Merchant Center through Merchant API v1 (``delivery = "api"``).

One planned change → one ``productInputs.insert`` (create, update, price/quantity: an insert
replaces the whole product input, so a field that disappeared from the record disappears in
Merchant Center too) or one ``productInputs.delete``, into the configured API data source with
the configured content language and feed label. See :mod:`.limits` for why a batch holds one
product.

Google allows two updates per product a day. Before each call the product's per-key daily budget
(persisted in the workspace database) is spent; a product whose budget is used up is not sent:
its outcome is *deferred*, its listing state stays as it was, so the next run plans it again and
sends whatever the catalog says then — changes coalesce instead of queueing.

Google processes an insert asynchronously ("it may take several minutes before the processed
product can be retrieved"), so a sent insert is a pending submission; :meth:`poll` reads the
processed product once it is newer than the insert (``products.get`` for the first few of a
run, then one ``products.list`` walk for the rest: :mod:`.readback`) and maps
``productStatus`` (destinations, item-level issues) to the SKU's outcome. For a whole-account
read-back, :meth:`read_status` walks ``products.list``.

The file feed (``delivery = "file"``, :mod:`.feed`) needs none of this: the core builds the
HTTP client (from :data:`.limits.API`, :meth:`GoogleAdapter.http_auth` and
:meth:`GoogleAdapter.require_api_config`), and reads the service account, only when the adapter
first calls the API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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
from feedsync.clock import from_timestamp, parse_iso
from feedsync.errors import ConfigError, ItemRejected
from feedsync.http import HttpAuth
from feedsync.models import Issue, Severity

from .auth import service_account_auth
from .client import GoogleRejection, MerchantClient
from .config import GoogleConfig
from .limits import API, LIMITS, UPDATES_PER_PRODUCT_PER_DAY, WRITE
from .readback import StatusReader
from .render import (
    Target,
    encode,
    product_input,
    product_key,
)
from .status import (
    issues_from_rejection,
    outcome_from_json,
    outcome_from_product,
    outcome_to_json,
)

DEFERRED = "deferred_daily_update_limit"
# Our clock and Google's may disagree a little; a status stamped this much before the insert
# still counts as processing it (two updates of one product are never this close: budget).
CLOCK_SKEW = 60.0


def _id_field() -> str:
    try:
        from .schema import SCHEMA
    except ImportError:  # pragma: no cover - the schema module ships with the package
        return "id"
    return SCHEMA.id_field


class GoogleAdapter(Adapter[GoogleConfig]):
    """Merchant API v1 push: insert/delete product inputs, read product status back."""

    name: ClassVar[str] = "google"
    Config: ClassVar[type[AdapterConfig]] = GoogleConfig
    capabilities: ClassVar[Capability] = (
        Capability.FILE_FEED | Capability.API_PUSH | Capability.DELETE | Capability.FETCH_LIVE)
    limits: ClassVar[Limits] = LIMITS
    api = API

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.id_field = _id_field()
        self._target: Target | None = None
        self._client: MerchantClient | None = None
        self._reader: StatusReader | None = None
        if self.config.delivery == "api":
            # A missing setting stops the channel here, not once per SKU while rendering.
            self._target = self.config.target()

    # --- wiring (the core builds ``self.http`` from these) --------------------------------

    def require_api_config(self) -> None:
        """ConfigError naming every key the Merchant API needs and the config lacks."""
        self.config.target()

    def http_auth(self) -> HttpAuth:
        """The service account's OAuth token (secret ``service_account_file``)."""
        return service_account_auth(self.context.secrets)

    @property
    def target(self) -> Target:
        """The configured account, data source, language and label (validated on first use)."""
        if self._target is None:
            self._target = self.config.target()
        return self._target

    @property
    def client(self) -> MerchantClient:
        """The Merchant API calls, over the core-built HTTP client."""
        if self._client is None:
            self._client = MerchantClient(self.http, self.target)
        return self._client

    @property
    def reader(self) -> StatusReader:
        """Looks processed products up: a few gets, or one products.list walk (per run)."""
        if self._reader is None:
            db = self.context.db
            if db is None:  # only unit tests build an adapter without a workspace database
                raise ConfigError("google: reading product status needs the workspace database")
            self._reader = StatusReader(lambda: self.client, db, self.clock,
                                        get_threshold=self.config.status_get_threshold,
                                        max_age=max(self.config.settle_seconds, 60.0))
        return self._reader

    # --- render (pure) --------------------------------------------------------------------

    def _delete_key(self, change: PlannedChange) -> str:
        """The product to delete: as recorded when it was sent, else from today's settings."""
        remote = change.remote_id
        if remote and remote.count("~") >= 2:
            return remote
        target = self.target
        return product_key(target.content_language, target.feed_label, remote or change.sku)

    def render_item(self, change: PlannedChange) -> RenderedItem:
        """A change → ``{"op": "insert", "key", "body": ProductInput}`` or a delete."""
        if change.action is Action.DELETE:
            payload: dict[str, Any] = {"op": "delete", "key": self._delete_key(change)}
            return RenderedItem(change.sku, change.action, payload, len(encode(payload)))
        if change.record is None:
            raise ValueError(f"google: {change.sku}: {change.action.value} without a record")
        target = self.target
        body = product_input(change.sku, change.record.fields, target, self.id_field)
        key = product_key(target.content_language, target.feed_label, body["offerId"])
        return RenderedItem(change.sku, change.action,
                            {"op": "insert", "key": key, "body": body}, len(encode(body)))

    # --- submit and poll (I/O) ------------------------------------------------------------

    def _deferred(self, sku: str, key: str) -> ItemOutcome:
        budget = self.client.http.key_budget(WRITE)
        frees = budget.frees_at(key)
        when = f"; capacity frees up at {from_timestamp(frees).isoformat()}" if frees else ""
        message = (f"not sent: Google allows {UPDATES_PER_PRODUCT_PER_DAY} updates per product "
                   f"a day and this product has used them{when}; the next run sends the "
                   f"latest data")
        return ItemOutcome(sku, ItemStatus.DEFERRED, [Issue(
            sku=sku, severity=Severity.WARNING, code=DEFERRED, message=message,
            source=self.name)])

    def submit(self, batch: Batch) -> Submission:
        """Send each item (one per batch), spending the product's daily budget first."""
        client = self.client
        client.http.breaker.check()  # a stopped channel must not spend products' budgets
        budget = client.http.key_budget(WRITE)
        outcomes: list[ItemOutcome] = []
        waiting: dict[str, str] = {}
        deferred: list[str] = []
        for item in batch.items:
            key = str(item.payload["key"])
            if not budget.try_consume(key):
                outcomes.append(self._deferred(item.sku, key))
                deferred.append(item.sku)
                continue
            try:
                if item.payload["op"] == "delete":
                    client.delete(key, sku=item.sku)
                    outcomes.append(ItemOutcome(item.sku, ItemStatus.DELETED, remote_id=key))
                else:
                    client.insert(item.payload["body"], sku=item.sku)
                    outcomes.append(ItemOutcome(item.sku, ItemStatus.PENDING, remote_id=key))
                    waiting[item.sku] = key
            except GoogleRejection as exc:
                outcomes.append(ItemOutcome(item.sku, ItemStatus.REJECTED, issues_from_rejection(
                    item.sku, exc.google_message, exc.fields), remote_id=key))
            except ItemRejected as exc:
                outcomes.append(ItemOutcome(item.sku, ItemStatus.REJECTED, issues_from_rejection(
                    item.sku, exc.message, []), remote_id=key))
        state = SubmissionState.PENDING if waiting else SubmissionState.DONE
        sent_at = self.clock.time()
        # poll_after: nothing is worth asking before then (a hint for the core's poll loop).
        detail: dict[str, Any] = {"sent_at": sent_at, "waiting": waiting,
                                  "poll_after": sent_at + self.config.settle_seconds}
        if deferred:
            detail["deferred"] = deferred
        if waiting:
            # The core keeps only detail for a pending submission: park the final outcomes.
            detail["settled"] = {o.sku: outcome_to_json(o) for o in outcomes
                                 if o.sku not in waiting}
        return Submission(self.name, None, state, batch.skus, outcomes, detail)

    def poll(self, submission: Submission) -> Submission:
        """Read the processed products of a pending submission once Google had time to."""
        waiting: dict[str, str] = dict(submission.detail.get("waiting") or {})
        if submission.state is not SubmissionState.PENDING or not waiting:
            return submission
        now = self.clock.time()
        sent_at = float(submission.detail.get("sent_at") or 0.0)
        if now - sent_at < self.config.settle_seconds:
            return submission
        timed_out = now - sent_at > self.config.status_timeout_hours * 3600
        settled = submission.detail.get("settled") or {}
        by_sku = {sku: outcome_from_json(sku, data) for sku, data in settled.items()}
        for sku, key in list(waiting.items()):
            product = self.reader.lookup(key)
            if product is not None and (_processed_after(product, sent_at) or timed_out):
                outcome = outcome_from_product(sku, product)
                outcome.remote_id = key
                by_sku[sku] = outcome
                del waiting[sku]
            elif timed_out:
                by_sku[sku] = ItemOutcome(sku, ItemStatus.REJECTED, [Issue(
                    sku=sku, severity=Severity.ERROR, code="not_processed",
                    message=(f"Google accepted the insert but had not processed the product "
                             f"after {self.config.status_timeout_hours:g} h"),
                    source=self.name)], remote_id=key)
                del waiting[sku]
        submission.outcomes = [by_sku.get(sku) or ItemOutcome(sku, ItemStatus.PENDING)
                               for sku in submission.skus]
        submission.detail = {**submission.detail, "waiting": waiting, "settled": {
            sku: outcome_to_json(o) for sku, o in by_sku.items()}}
        if not waiting:
            submission.state = SubmissionState.DONE
        return submission

    # --- read-back ------------------------------------------------------------------------

    def read_status(self, offers: Mapping[str, str]) -> Iterator[ItemOutcome]:
        """Walk ``products.list`` once; yield the outcome of every product whose offer id is in
        ``offers`` (offer id → SKU), with Google's item-level issues."""
        for product in self.client.list_products():
            sku = offers.get(str(product.get("offerId", "")))
            if sku is not None:
                yield outcome_from_product(sku, product)

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What Merchant Center shows for ``skus`` (offer id = SKU): price, in/out of stock,
        status and issues, from one ``products.list`` walk per run (:mod:`.live`)."""
        from .live import ProductsWalk

        walk = self.__dict__.get("_live_walk")
        if walk is None:
            walk = self.__dict__["_live_walk"] = ProductsWalk(self.client.list_products,
                                                              self.target)
        return walk.fetch_live(skus)


def _processed_after(product: Mapping[str, Any], sent_at: float) -> bool:
    """True if Google's ``lastUpdateDate`` shows it processed an input sent at ``sent_at``."""
    stamp = (product.get("productStatus") or {}).get("lastUpdateDate")
    if not stamp:
        return False
    try:
        moment = parse_iso(str(stamp))
    except ValueError:
        return False
    return moment.timestamp() >= sent_at - CLOCK_SKEW


ADAPTER = GoogleAdapter
