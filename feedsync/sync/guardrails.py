"""Guardrails: limits a plan must respect before anything is sent, per channel.

Configured under ``[channels.<name>.guardrails]`` in feedsync.toml::

    [channels.google.guardrails]
    max_delete_share = 0.2         # at most 20 % of the listed items deleted by one plan
    max_zero_quantity_share = 0.3  # at most 30 % of the listed items going to quantity 0
    max_price_change_pct = 50      # no SKU's price moving by more than 50 % in one plan
    min_items = 0                  # never leave fewer items listed than this
    max_feed_drop_share = 0.3      # file delivery: the feed publish gate (feedsync.feeds)

A plan that breaks one is refused with :class:`~feedsync.errors.GuardrailError` (exit 5) naming
the guardrail, the figures and a sample of SKUs, unless the run is forced (``--force``). A
truncated import would otherwise delist a catalog, and a decimal-point slip would reprice it.

Shares are always taken over every item the channel lists (``PlanFigures.listed_before``),
also for a plan of a few SKUs: three sell-outs are three of the channel's items, not three of
three.

The orders fast path is exempt from the rules that judge quantities (:data:`QUANTITY_RULES`):
they are there to catch a bad catalog or inventory import zeroing many items, not the sell-outs
of orders feedsync itself recorded. Refusing those would leave the last unit for sale on the
other channels — the oversell the loop exists to prevent (on a three-item channel one sell-out
is already 33 %). The exemption is asked for explicitly (``exempt_quantity_guardrails=True`` in
:func:`feedsync.sync.plan.build_plan`, ``PushOptions.exempt_quantity_guardrails``), is set only
by the fast path, and is allowed only for a plan restricted to given SKUs and to the quantity
part, so no create, delete, price or content change can ride on it; every other push keeps every
guardrail.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from feedsync.errors import ConfigError

SAMPLE = 5

# The guardrails that judge quantities: the orders fast path is exempt from these (see above).
QUANTITY_RULES: frozenset[str] = frozenset({"max_zero_quantity_share"})


class Guardrails(BaseModel):
    """The guardrails of one channel (defaults apply when feedsync.toml says nothing)."""

    model_config = ConfigDict(extra="forbid")

    max_delete_share: float = Field(default=0.20, ge=0.0, le=1.0)
    max_zero_quantity_share: float = Field(default=0.30, ge=0.0, le=1.0)
    max_price_change_pct: Decimal = Field(default=Decimal(50), gt=0)
    min_items: int = Field(default=0, ge=0)
    # The feed publish gate's limit (file delivery; read by feedsync.feeds.channel): a share of
    # the previous feed's items a new feed may lose.
    max_feed_drop_share: float = Field(default=0.30, ge=0.0, le=1.0)


def load_guardrails(channel: str, raw: Any, source: str = "feedsync.toml") -> Guardrails:
    """Validate ``[channels.<channel>.guardrails]``; bad values are named by their TOML path."""
    if raw is None:
        return Guardrails()
    prefix = f"channels.{channel}.guardrails"
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {prefix} must be a table",
                          [f"{source}: {prefix}: expected a table, got {raw!r}"])
    try:
        return Guardrails.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join([prefix, *(str(p) for p in err["loc"])])
            why = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{source}: {where}: {why} (got {err.get('input')!r})")
        raise ConfigError(f"{source}: invalid guardrails for channel {channel!r}",
                          problems) from None


@dataclass
class PlanFigures:
    """What guardrails look at, gathered while a plan is built."""

    listed_before: int = 0  # items the channel holds now
    creates: int = 0
    deletes: int = 0
    to_zero: int = 0  # listed items whose quantity goes from >0 to 0
    to_zero_sample: list[str] = field(default_factory=list)
    delete_sample: list[str] = field(default_factory=list)
    price_limit: Decimal = Decimal(50)  # moves above this are counted and sampled
    price_over: int = 0
    # (pct, sku, field, old, new) of the largest moves above the limit (a bounded heap)
    price_sample: list[tuple[Decimal, str, str, Decimal, Decimal]] = field(default_factory=list)

    def note_price(self, sku: str, name: str, old: Decimal, new: Decimal, pct: Decimal) -> None:
        """Count a price move; keep the few largest above ``price_limit`` for the message."""
        if pct <= self.price_limit:
            return
        self.price_over += 1
        entry = (pct, sku, name, old, new)
        if len(self.price_sample) < SAMPLE:
            heapq.heappush(self.price_sample, entry)
        elif entry > self.price_sample[0]:
            heapq.heapreplace(self.price_sample, entry)

    def note_sample(self, sample: list[str], sku: str) -> None:
        """Keep the first few SKUs of a kind for messages."""
        if len(sample) < SAMPLE:
            sample.append(sku)

    @property
    def projected(self) -> int:
        """Items the channel will hold once the plan is applied."""
        return self.listed_before + self.creates - self.deletes


def check(rails: Guardrails, figures: PlanFigures,
          exempt: frozenset[str] = frozenset()) -> list[str]:
    """Human descriptions of every guardrail the plan breaks (empty: the plan may go).

    ``exempt``: names of rules not applied to this plan (the orders fast path passes
    :data:`QUANTITY_RULES`); the figures are still gathered and reported.
    """
    broken: list[str] = []
    base = figures.listed_before
    if base and figures.deletes / base > rails.max_delete_share:
        broken.append(
            f"max_delete_share: the plan deletes {figures.deletes} of {base} listed items "
            f"({figures.deletes / base:.1%} > {rails.max_delete_share:.0%}); "
            f"e.g. {', '.join(figures.delete_sample[:SAMPLE])}"
        )
    if "max_zero_quantity_share" not in exempt and base \
            and figures.to_zero / base > rails.max_zero_quantity_share:
        broken.append(
            f"max_zero_quantity_share: the plan sets quantity 0 on {figures.to_zero} of {base} "
            f"listed items ({figures.to_zero / base:.1%} > "
            f"{rails.max_zero_quantity_share:.0%}); "
            f"e.g. {', '.join(figures.to_zero_sample[:SAMPLE])}"
        )
    if figures.price_over:
        shown = "; ".join(f"{sku} {name} {old} → {new} ({pct}%)" for pct, sku, name, old, new
                          in sorted(figures.price_sample, reverse=True))
        broken.append(
            f"max_price_change_pct: {figures.price_over} price change(s) exceed "
            f"{rails.max_price_change_pct}%: {shown}"
        )
    # Only a plan that changes how many items are listed is judged by min_items: refusing a
    # price or quantity update (the orders fast path) would protect nothing.
    if (figures.creates or figures.deletes) and figures.projected < rails.min_items:
        broken.append(
            f"min_items: the plan would leave {figures.projected} item(s) listed, "
            f"fewer than {rails.min_items}"
        )
    return broken
