"""Simulated buyers: orders on listed SKUs at the listed price, within the listed quantity.

Buyers go through each marketplace module's buyer hooks (``offers``, ``place_order``,
``cancel_order``), so an order looks exactly like the marketplace's own (its ids, its
statuses) and takes the units off the marketplace's listed quantity, as the real one does.
They run in-process or in another process over the same state file (``feedsync sandbox
orders``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from feedsync.sandbox.app import SandboxApp
from feedsync.sandbox.module import BuyerOrder, Offer, OrderLine

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")


class BuyerError(ValueError):
    """Buyers cannot act (unknown channel, a channel that takes no orders, nothing listed)."""


@dataclass
class PlacedOrders:
    """What the buyers did on one channel."""

    channel: str
    orders: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    units: int = 0
    lines: int = 0
    by_sku: dict[str, int] = field(default_factory=dict)  # units still ordered (not cancelled)


def _market(app: SandboxApp, channel: str) -> None:
    market = app.markets.get(channel)
    if market is None:
        emulated = ", ".join(sorted(app.markets))
        raise BuyerError(f"{channel!r} is not emulated (emulated: {emulated})")
    if not market.sells:
        raise BuyerError(f"{channel} takes no orders (it is a catalog/ads channel)")


def _buyer(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def place_orders(app: SandboxApp, channel: str, count: int, *, seed: int = 0,
                 max_lines: int = 3, multi_line_share: float = 0.3,
                 cancel_share: float = 0.0, placed_ago: float = 0.0,
                 skus: list[str] | None = None) -> PlacedOrders:
    """Place ``count`` orders on ``channel``: single- and multi-line (``multi_line_share`` of
    them, up to ``max_lines`` distinct SKUs), each line within the listed quantity; then the
    buyers cancel ``cancel_share`` of them. Stops early when nothing is left to buy.

    ``placed_ago`` backdates the orders (Amazon's searchOrders only shows orders two minutes
    old, so demos and tests place them "126 seconds ago"); ``skus`` limits what is bought."""
    _market(app, channel)
    market = app.markets[channel]
    rng = random.Random(f"{seed}:{channel}:orders")
    placed = PlacedOrders(channel)
    contents: dict[str, list[OrderLine]] = {}
    with app.store.transaction() as db:
        wanted = set(skus) if skus is not None else None
        stock = {offer.sku: offer for offer in market.offers(app.exchange(channel, db))
                 if offer.quantity > 0 and (wanted is None or offer.sku in wanted)}
    for _ in range(count):
        if not stock:
            break
        width = rng.randint(2, max_lines) if rng.random() < multi_line_share else 1
        skus = rng.sample(sorted(stock), min(width, len(stock)))
        lines = []
        for sku in skus:
            offer = stock[sku]
            quantity = rng.randint(1, min(offer.quantity, 2))
            lines.append(OrderLine(sku, quantity, offer.price, offer.currency))
            left = offer.quantity - quantity
            if left > 0:
                stock[sku] = Offer(sku, left, offer.price, offer.currency)
            else:
                del stock[sku]
        with app.store.transaction() as db:
            order_id = market.place_order(app.exchange(channel, db, ago=placed_ago),
                                          BuyerOrder(tuple(lines), _buyer(rng)))
        placed.orders.append(order_id)
        placed.lines += len(lines)
        placed.units += sum(line.quantity for line in lines)
        contents[order_id] = lines
        for line in lines:
            placed.by_sku[line.sku] = placed.by_sku.get(line.sku, 0) + line.quantity
    for order_id in list(placed.orders):
        if rng.random() < cancel_share:
            with app.store.transaction() as db:
                if market.cancel_order(app.exchange(channel, db, ago=placed_ago), order_id):
                    placed.cancelled.append(order_id)
                    for line in contents[order_id]:
                        placed.by_sku[line.sku] -= line.quantity
    return placed


@dataclass
class Race:
    """Two buyers ordering the same SKU's last units on two channels at once."""

    sku: str
    orders: dict[str, str]  # channel → order id
    units: dict[str, int]  # channel → units ordered


def race_last_unit(app: SandboxApp, channels: tuple[str, str], *, sku: str | None = None,
                   seed: int = 0, placed_ago: float = 0.0) -> Race:
    """Order everything one SKU shows as available on both channels, in one transaction (so
    neither marketplace has heard of the other's sale): the oversell feedsync must catch.
    Prefers a SKU showing exactly one unit on both."""
    first, second = channels
    _market(app, first)
    _market(app, second)
    with app.store.transaction() as db:
        offers = [{o.sku: o for o in app.markets[c].offers(app.exchange(c, db)) if o.quantity}
                  for c in channels]
        common = sorted(set(offers[0]) & set(offers[1]))
        if sku is not None:
            if sku not in common:
                raise BuyerError(f"SKU {sku} is not buyable on both {first} and {second}")
            chosen = sku
        elif not common:
            raise BuyerError(f"no SKU is buyable on both {first} and {second}")
        else:
            ones = [s for s in common if offers[0][s].quantity == offers[1][s].quantity == 1]
            pool = ones or sorted(common, key=lambda s: offers[0][s].quantity
                                  + offers[1][s].quantity)[:10]
            chosen = random.Random(f"{seed}:race").choice(pool)
        race = Race(chosen, {}, {})
        rng = random.Random(f"{seed}:race:buyers")
        for channel, offer_map in zip(channels, offers, strict=True):
            offer = offer_map[chosen]
            line = OrderLine(chosen, offer.quantity, offer.price, offer.currency)
            race.orders[channel] = app.markets[channel].place_order(
                app.exchange(channel, db, ago=placed_ago), BuyerOrder((line,), _buyer(rng)))
            race.units[channel] = offer.quantity
    return race
