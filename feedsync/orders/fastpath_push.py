"""The fast path's pusher: the sync engine's push, restricted to the SKUs orders moved.

Only SKUs the target channel already lists are pushed: one it does not hold has nothing to
update there and gets its current quantity when the full push creates it. For the others
:func:`engine_pusher` calls :func:`feedsync.sync.push.push_channel` with
``PushOptions(skus=…, parts={"quantity"})``: the engine plans only those SKUs and only their
quantity part. On a channel with a price/quantity path that is a ``price_quantity`` action
carrying the quantity (Amazon: a PATCH of ``fulfillment_availability``; Meta: an items_batch
UPDATE of the price/quantity fields, whose price is the one the channel already has). A channel
whose every update replaces the whole item (Google's ``productInputs.insert``) gets an
``update`` built from what it already holds with only the quantity replaced. Either way a
content or price edit of the same SKU is not sent here: the listing records the new quantity
hash only, so the run's own push (or the next run) still plans, guards and sends the rest.

The fast path is exempt from the guardrails that judge quantities
(``PushOptions.exempt_quantity_guardrails``; :data:`feedsync.sync.guardrails.QUANTITY_RULES`,
today ``max_zero_quantity_share``). They exist to catch a bad catalog or inventory import zeroing
many items; the quantities pushed here are those of SKUs that orders feedsync itself recorded
just moved, and refusing a sell-out would leave the last unit for sale on this channel — the
oversell the loop exists to prevent (on a three-item channel one sell-out is 33 %). The
exemption covers nothing else: the plan holds only quantity updates of listed SKUs (no create,
delete, price or content change), the run's own push still guards everything it sends, and a
bulk zeroing by an import is still refused there. Pending submissions are not waited for here
(``wait=0``): the run's own push, or the next run, polls them.

How the engine's verdict settles the queue: a channel that went through (even with some SKUs
rejected — their reasons live in the listing state and are reported) settles every SKU; a
refusal, a temporary failure or a configuration problem raises, so the SKUs stay queued for the
next run and the error is reported with its exit code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlite_utils

from feedsync.catalog import Catalog
from feedsync.config import Workspace
from feedsync.errors import ConfigError, FeedsyncError, GuardrailError, TransientError
from feedsync.orders.channels import utcnow
from feedsync.orders.fastpath import QuantityPusher, QuantityPushResult
from feedsync.sync.channels import bind_channel
from feedsync.sync.push import PushOptions, push_channel
from feedsync.sync.runs import Outcome
from feedsync.sync.state import ensure_schema

if TYPE_CHECKING:
    from feedsync.sync.channels import ChannelBinding

# The one part the fast path sends (feedsync.sync.parts.PARTS).
QUANTITY_ONLY = frozenset({"quantity"})


def engine_pusher(workspace: Workspace, db: sqlite_utils.Database,
                  clock: Callable[[], datetime] = utcnow, run_id: int | None = None,
                  force: bool = False,
                  binder: Callable[[str], ChannelBinding] | None = None) -> QuantityPusher:
    """A :class:`QuantityPusher` over the sync engine (see the module docstring).

    The quantity guardrails never apply to it (see the module docstring); ``force`` skips the
    others too, as ``feedsync sync --force`` does for the run's own push."""
    catalog = Catalog(db)
    ensure_schema(db)
    bindings: dict[str, ChannelBinding] = {}

    def push(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        # Which SKUs the channel lists is read before binding it: a channel feedsync only
        # pulls orders from (no mapping, nothing listed) has nothing to update and needs none.
        listed = _listed(db, channel, workspace.channel(channel).account, skus)
        if not listed:
            return QuantityPushResult(not_listed=list(skus))
        if channel not in bindings:
            bindings[channel] = (binder(channel) if binder is not None
                                 else bind_channel(workspace, db, channel, clock=clock))
        binding = bindings[channel]
        options = PushOptions(skus=listed, wait=0.0, force=force, parts=QUANTITY_ONLY,
                              exempt_quantity_guardrails=True)
        result = push_channel(binding, catalog, options, run_id=run_id)
        if result.outcome in (Outcome.OK, Outcome.PARTIAL, Outcome.SKIPPED):
            wanted = set(skus)
            failed = {
                item["sku"]: "; ".join(f"{i.get('code')}: {i.get('message')}"
                                       for i in item.get("issues", []))
                for item in result.details.get("rejected", []) if item.get("sku") in wanted
            }
            # Only SKUs in a batch that went out were pushed; a SKU whose quantity the channel
            # already had is settled without a call (issue #16: it was counted as pushed).
            sent = set(result.details.get("sent_skus", ()))
            return QuantityPushResult(
                done=[s for s in listed if s not in failed and s in sent], failed=failed,
                unchanged=[s for s in listed if s not in failed and s not in sent],
                not_listed=[s for s in skus if s not in set(listed)])
        if result.outcome is Outcome.REFUSED:
            raise GuardrailError(result.message)
        if result.outcome is Outcome.TRANSIENT:
            raise TransientError(result.message)
        if result.outcome is Outcome.NEEDS_HUMAN:
            raise ConfigError(result.message)
        raise FeedsyncError(result.message)

    return push


def _listed(db: sqlite_utils.Database, channel: str, account: str,
            skus: Sequence[str]) -> list[str]:
    """The SKUs of ``skus`` the channel holds. The others have nothing to update there: the
    channel gets them, with their current quantity, when the full push creates them."""
    rows = db.execute(
        "SELECT sku FROM listings WHERE channel = ? AND account = ? AND remote_exists = 1"
        " AND sku IN (SELECT value FROM json_each(?)) ORDER BY sku",
        [channel, account, json.dumps(list(skus))],
    ).fetchall()
    return [row[0] for row in rows]
