"""One family's batch on Etsy: draft → inventory → images → activate, resumable at each step.

The core hands the adapter the changed SKUs of one listing (``batch_key`` = ``listing_key``).
:class:`ListingFlow` brings the listing to what they want, in calls that are each recorded in
``adapters.etsy.steps`` as soon as Etsy confirms them:

1. **draft** — no listing yet: createDraftListing. The attempt (time, title) is stored
   *before* the call; a run that finds an attempt without a listing id reads the shop's drafts
   back and adopts the draft that call made (same title, created after the attempt, owned by
   no other family) instead of creating a duplicate. A shop's listings can be read a while
   before a fresh draft shows up in them, so a lost answer whose draft is not found yet leaves
   the family "drafting" and deferred to the next run; a new attempt is made only once the
   read-back still finds nothing :data:`DRAFT_SETTLE_SECONDS` after the last one (at most one
   createDraftListing per family and run).
2. **content** — an existing listing whose content changed: updateListing.
3. **inventory** — getListingInventory, the change applied, updateListingInventory (Etsy
   replaces the whole inventory: variants outside the change are kept as Etsy has them, a
   removed variant is dropped). A fresh draft is written without the read.
4. **images** — each rank whose URL changed: download once (size cap) → uploadListingImage
   at that rank with overwrite. An image that cannot be fetched is reported on the SKUs and
   skipped; a listing without any image stays a draft (Etsy does not publish it).
5. **activate** — a draft (or a withdrawn listing whose family is back): ``state=active``.

A family whose every variant is deleted is withdrawn (``state=inactive``) or deleted
(``delete_mode``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from feedsync.adapters.etsy import render
from feedsync.adapters.etsy.client import EtsyClient
from feedsync.adapters.etsy.config import EtsyConfig
from feedsync.adapters.etsy.limits import MAX_IMAGES
from feedsync.adapters.etsy.render import InventoryChange, Variant
from feedsync.adapters.etsy.steps import ListingSteps, StepStore

from feedsync.adapter import Action, ItemOutcome, ItemStatus, RenderedItem
from feedsync.errors import (
    BudgetExhausted,
    ChannelError,
    FeedsyncError,
    ItemRejected,
    TransientError,
)
from feedsync.models import Issue, Severity

CHANNEL = "etsy"
# A draft created this long before the recorded attempt cannot be the attempt's (clock skew).
DRAFT_SKEW_SECONDS = 300
READ_BACK_PAGES = 5
# How long after a createDraftListing its draft may still be missing from getListingsByShop.
# Etsy documents no bound on that lag (a listing read can trail a write), so this is chosen
# wide: waiting costs a late draft after a rare lost answer, a guess costs a duplicate listing.
# The same pattern as a lost Amazon createFeed (adapters/amazon/readback.py, SETTLE_SECONDS).
DRAFT_SETTLE_SECONDS = 900.0


def estimated_calls(items: Sequence[RenderedItem], steps: ListingSteps) -> int:
    """Calls the flow will make for ``items`` at most (for the budget check)."""
    creates = steps.listing_id is None and any(i.action is not Action.DELETE for i in items)
    content = any("content" in i.payload["parts"] for i in items)
    images = len(_wanted_images(items)) if content else 0
    inventory = 2 if any(i.payload.get("inventory", True) for i in items) else 0
    return (1 if creates else int(content)) + inventory + images + 1


def _wanted_images(items: Sequence[RenderedItem]) -> list[str]:
    urls: list[str] = []
    for item in items:
        if item.action is Action.DELETE:
            continue
        for url in item.payload.get("images") or []:
            if url not in urls:
                urls.append(url)
    return urls[:MAX_IMAGES]


@dataclass
class FlowResult:
    """What happened to a family: per-SKU issues, and the listing id."""

    listing_id: int | None = None
    issues: dict[str, list[Issue]] = field(default_factory=dict)
    rejected: str | None = None  # Etsy refused the listing itself: every SKU is rejected
    deferred: str | None = None  # cannot go on this run (an unconfirmed draft): planned again

    def warn(self, skus: Sequence[str], code: str, message: str) -> None:
        for sku in skus:
            self.issues.setdefault(sku, []).append(
                Issue(sku=sku, severity=Severity.WARNING, code=code, message=message,
                      source=CHANNEL))

    def outcomes(self, items: Sequence[RenderedItem]) -> list[ItemOutcome]:
        remote = str(self.listing_id) if self.listing_id else None
        result = []
        for item in items:
            issues = list(self.issues.get(item.sku, []))
            if self.deferred is not None:
                issues.insert(0, Issue(sku=item.sku, severity=Severity.WARNING,
                                       code="draft_unconfirmed", message=self.deferred,
                                       source=CHANNEL))
                result.append(ItemOutcome(item.sku, ItemStatus.DEFERRED, issues, remote))
            elif self.rejected is not None:
                issues.insert(0, Issue(sku=item.sku, severity=Severity.ERROR, code="rejected",
                                       message=self.rejected, source=CHANNEL))
                result.append(ItemOutcome(item.sku, ItemStatus.REJECTED, issues, remote))
            elif item.action is Action.DELETE:
                result.append(ItemOutcome(item.sku, ItemStatus.DELETED, issues, remote))
            else:
                result.append(ItemOutcome(item.sku, ItemStatus.ACCEPTED, issues, remote))
        return result


class ListingFlow:
    """Carries out one family's batch (see the module docstring)."""

    def __init__(self, client: EtsyClient, config: EtsyConfig, store: StepStore,
                 now: Callable[[], datetime]) -> None:
        self.client = client
        self.config = config
        self.store = store
        self.now = now

    def run(self, items: Sequence[RenderedItem]) -> FlowResult:
        """Bring the listing of ``items`` (one listing_key) to what they want."""
        key = items[0].payload["listing_key"]
        steps = self.store.get(key)
        result = FlowResult(listing_id=steps.listing_id)
        upserts = [i for i in items if i.action is not Action.DELETE]
        if upserts and steps.state == "deleted":  # deleted on Etsy, back in the catalog
            steps = ListingSteps(key)
        try:
            fresh = False
            if upserts and steps.listing_id is None:
                fresh = self._draft(steps, upserts, result)
                if result.deferred is not None:
                    return result
            result.listing_id = steps.listing_id
            if steps.listing_id is None:  # deletes of a family Etsy never had
                return result
            content = [i for i in upserts if "content" in i.payload["parts"]]
            if content and not fresh and steps.state != "deleted":
                self.client.update_listing(steps.listing_id, content[0].payload["content"],
                                           item=content[0].sku)
            touched = fresh or any(i.action is Action.DELETE or i.payload.get("inventory", True)
                                   for i in items)
            kept, stock = self._inventory(steps, items, fresh, result) if touched else (1, 0)
            if kept == 0:
                self._withdraw(steps)
                return result
            if content:
                self._images(steps, content, result)
            # A sold-out family stays withdrawn until stock returns; a content-only edit does
            # not read the stock, so it only completes a draft that was waiting to go live.
            if stock > 0 or (not touched and steps.state == "draft"):
                self._activate(steps, upserts, result)
        except ItemRejected as exc:
            result.rejected = exc.message
        except ChannelError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                result.rejected = exc.message
            else:
                raise
        result.listing_id = steps.listing_id
        return result

    # --- steps ------------------------------------------------------------------------------

    def _draft(self, steps: ListingSteps, upserts: Sequence[RenderedItem],
               result: FlowResult) -> bool:
        """Create (or adopt) the draft; True when the listing is new in this run. Sets
        ``result.deferred`` when an earlier attempt's draft may exist but is not listed yet."""
        first = upserts[0]
        title = dict(first.payload["content"]).get("title", "")
        if steps.state == "drafting" and steps.draft_started_at is not None:
            if self._adopt(steps, steps.draft_title or title):
                return True
            waited = self.now().timestamp() - steps.draft_started_at
            if waited < DRAFT_SETTLE_SECONDS:
                result.deferred = self._unconfirmed(waited)
                return False
        variants = [variant_of(i) for i in upserts]
        form = render.draft_form_from_content(first.payload["content"], variants)
        steps.state, steps.draft_started_at, steps.draft_title = (
            "drafting", self.now().timestamp(), title)
        self.store.put(steps)  # the attempt is on record before the call leaves
        try:
            answer = self.client.create_draft_listing(form, item=first.sku)
        except BudgetExhausted:
            self._forget_attempt(steps)  # a 429 (or no budget left to send): nothing made
            raise
        except TransientError:
            # The answer is unknown (a 5xx or a timeout after sending): read back, never send
            # again in this run; a draft not listed yet may still appear (see the docstring).
            if self._adopt(steps, title):
                return True
            result.deferred = self._unconfirmed(0.0)
            return False
        except FeedsyncError:
            # Etsy answered with a refusal, or the call never left (credentials, an open
            # breaker): no draft was made, so the next run need not wait for one.
            self._forget_attempt(steps)
            raise
        listing_id = answer.get("listing_id")
        if not isinstance(listing_id, int):
            raise ChannelError("etsy createDraftListing answered without a listing_id",
                               channel=CHANNEL)
        steps.listing_id, steps.state, steps.draft_started_at = listing_id, "draft", None
        self.store.put(steps)
        return True

    def _adopt(self, steps: ListingSteps, title: str) -> bool:
        """Take over the draft of the recorded attempt if the shop lists it."""
        assert steps.draft_started_at is not None
        adopted = self._read_back(steps.draft_started_at, title)
        if adopted is None:
            return False
        steps.listing_id, steps.state, steps.draft_started_at = adopted, "draft", None
        self.store.put(steps)
        return True

    def _forget_attempt(self, steps: ListingSteps) -> None:
        steps.state, steps.draft_started_at, steps.draft_title = "none", None, None
        self.store.put(steps)

    @staticmethod
    def _unconfirmed(waited: float) -> str:
        left = max(DRAFT_SETTLE_SECONDS - waited, 0.0)
        return (f"createDraftListing's answer was lost and the shop does not list the draft "
                f"yet; the family is deferred: the next run reads the drafts back again and "
                f"creates the listing only if it is still absent (in {left / 60:.0f} min or "
                f"later), so Etsy never gets it twice")

    def _read_back(self, started_at: float, title: str) -> int | None:
        """The draft an earlier, unanswered createDraftListing made, if Etsy has it."""
        found: list[tuple[int, int]] = []
        for page in range(READ_BACK_PAGES):
            body = self.client.get_listings_by_shop(
                {"state": "draft", "limit": 100, "offset": page * 100})
            results = body.get("results") or []
            for listing in results:
                created = int(listing.get("created_timestamp")
                              or listing.get("creation_timestamp") or 0)
                lid = listing.get("listing_id")
                if (isinstance(lid, int) and listing.get("title") == title
                        and created >= started_at - DRAFT_SKEW_SECONDS
                        and not self.store.claimed(lid)):
                    found.append((created, lid))
            if len(results) < 100:
                break
        return min(found)[1] if found else None

    def _inventory(self, steps: ListingSteps, items: Sequence[RenderedItem], fresh: bool,
                   result: FlowResult) -> tuple[int, int]:
        """Rewrite the inventory; returns (products the listing keeps, units for sale).

        A family whose every variant is at 0 is first withdrawn (``state=inactive``: nothing
        can sell, whatever Etsy makes of an inventory without stock), then its inventory is
        written with every offering disabled; if Etsy refuses that, the withdrawal stands and
        the SKUs carry a warning. The next change with stock re-activates it."""
        assert steps.listing_id is not None
        upserts = tuple(variant_of(i) for i in items if i.action is not Action.DELETE)
        parts = {i.sku: frozenset(i.payload["parts"]) for i in items
                 if i.action is Action.PRICE_QUANTITY}
        change = InventoryChange(upserts=upserts,
                                 removals=frozenset(i.sku for i in items
                                                    if i.action is Action.DELETE),
                                 parts=parts)
        current = None if fresh else self.client.get_listing_inventory(steps.listing_id)
        products = render.merge_inventory(current, change)
        if not products or not any(p.get("sku") for p in products):
            return 0, 0
        stock = sum(int(o["quantity"]) for p in products for o in p["offerings"]
                    if o.get("is_enabled", True))
        if stock == 0 and steps.state in ("active", "draft"):
            if steps.state == "active":
                self.client.update_listing(steps.listing_id, render.state_form("inactive"),
                                           item=items[0].sku)
            steps.state = "sold_out"  # a new family without stock stays an unpublished draft
            self.store.put(steps)
        body = render.dumps(render.inventory_body(products))
        try:
            self.client.update_listing_inventory(steps.listing_id, body, item=items[0].sku)
        except ItemRejected as exc:
            if stock > 0 or steps.state != "sold_out":
                raise
            result.warn([i.sku for i in items], "sold_out_withdrawn",
                        f"sold out: the listing is withdrawn; Etsy refused the inventory "
                        f"without stock ({exc.message})")
        return len(products), stock

    def _images(self, steps: ListingSteps, content: Sequence[RenderedItem],
                result: FlowResult) -> None:
        assert steps.listing_id is not None
        skus = [i.sku for i in content]
        exact = len(content) == 1 and content[0].payload["listing_key"] == content[0].sku
        if exact:  # a listing of one product: its record is the whole listing's image list
            wanted = _wanted_images(content)
        else:  # a family: the batch holds only the changed variants, so images are only added
            have = [steps.images[r] for r in sorted(steps.images, key=int)]
            wanted = (have + [u for u in _wanted_images(content) if u not in have])[:MAX_IMAGES]
        for rank, url in enumerate(wanted, start=1):
            if steps.images.get(str(rank)) == url:
                continue
            try:
                data = self.client.download(self.config.image_url(url),
                                            self.config.image_max_bytes)
            except ChannelError as exc:  # 404, too large, refused: the SKU's data, not Etsy
                result.warn(skus, "image_unavailable", f"image {rank} not uploaded: "
                            f"{exc.message}")
                continue
            name = urlsplit(url).path.rsplit("/", 1)[-1] or f"image-{rank}.jpg"
            answer = self.client.upload_listing_image(steps.listing_id, data, filename=name,
                                                      rank=rank, item=skus[0])
            steps.images[str(rank)] = url
            image_id = answer.get("listing_image_id")
            if isinstance(image_id, int):
                steps.image_ids[str(rank)] = image_id
            self.store.put(steps)
        if exact:
            self._drop_images(steps, len(wanted))

    def _drop_images(self, steps: ListingSteps, kept: int) -> None:
        """Images feedsync uploaded at ranks the family no longer has (deleteListingImage);
        never the last one: Etsy shows an active listing only with an image."""
        assert steps.listing_id is not None
        if kept < 1:
            return
        for rank in sorted((r for r in steps.images if int(r) > kept), key=int):
            image_id = steps.image_ids.get(rank)
            if image_id is not None:
                self.client.delete_listing_image(steps.listing_id, image_id)
            steps.images.pop(rank, None)
            steps.image_ids.pop(rank, None)
            self.store.put(steps)

    def _activate(self, steps: ListingSteps, upserts: Sequence[RenderedItem],
                  result: FlowResult) -> None:
        assert steps.listing_id is not None
        if not upserts or steps.state == "active":
            return
        if not steps.images:
            result.rejected = ("Etsy publishes a listing only with at least one image; none "
                               "of this family's images could be uploaded (the listing stays "
                               "a draft; fix the image URLs)")
            return
        self.client.update_listing(steps.listing_id, render.state_form("active"),
                                   item=upserts[0].sku)
        steps.state = "active"
        self.store.put(steps)

    def _withdraw(self, steps: ListingSteps) -> None:
        assert steps.listing_id is not None
        # A draft was never public: it is deleted rather than kept (Etsy only withdraws active
        # listings: https://developers.etsy.com/documentation/reference#operation/updateListing).
        if self.config.delete_mode == "delete" or steps.state in ("draft", "drafting"):
            self.client.delete_listing(steps.listing_id)
            steps.state = "deleted"
        elif steps.state == "active":
            self.client.update_listing(steps.listing_id, render.state_form("inactive"))
            steps.state = "inactive"
        self.store.put(steps)


def variant_of(item: RenderedItem) -> Variant:
    """The Variant a rendered item carries."""
    v: dict[str, Any] = item.payload["variant"]
    return Variant(sku=item.sku,
                   properties=tuple((int(p), str(n), str(x)) for p, n, x in v["properties"]),
                   price=render.money(v["price"], sku=item.sku, name="price"),
                   quantity=int(v["quantity"]))
