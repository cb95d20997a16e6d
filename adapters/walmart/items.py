"""What Walmart shows now, for ``feedsync reconcile``: GET /v3/items and inventory reads (pure).

- GET /v3/items (getAllItems, ``ItemResponses``): ``ItemResponse[]`` with sku, wpid, price
  {currency, amount}, publishedStatus (PUBLISHED, UNPUBLISHED, …), lifecycleStatus (ACTIVE,
  ARCHIVED, RETIRED), and ``nextCursor`` for the next page (the first request sends
  ``nextCursor=*``).
- GET /v3/inventory?sku=…&shipNode=… (getInventory, ``Inventory``): one SKU at one ship node.
- GET /v3/inventories (getMultiNodeInventoryForAllSkuAndAllShipNodes): pages of
  ``elements.inventories[]`` with per ship node ``inputQty`` (what the seller sent) and
  ``availToSellQty``; ``meta.nextCursor`` for the next page.

The official examples disagree with their own schema in two places (tests note both):
``ItemSearchPrice.amount`` is declared a string but every example has a number, and
``VariantGroupInfo.groupingAttributes`` is declared an object but the example has a list. The
parsers accept both shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.errors import ChannelError

SOURCE = "walmart"
GONE = frozenset({"RETIRED", "ARCHIVED"})


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def live_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """One ``ItemResponse`` as reconcile's live view (quantity comes from inventory reads)."""
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku:
        raise ChannelError("walmart getAllItems: an item without sku", channel=SOURCE)
    raw_price = item.get("price")
    price: Mapping[str, Any] = raw_price if isinstance(raw_price, Mapping) else {}
    lifecycle = str(item.get("lifecycleStatus") or "")
    published = str(item.get("publishedStatus") or "")
    record: dict[str, Any] = {
        "sku": sku,
        "present": lifecycle not in GONE,
        "status": published or lifecycle or None,
        "remote_id": item.get("wpid"),
    }
    amount = _decimal(price.get("amount"))
    if amount is not None:
        record["price"] = amount
        record["currency"] = price.get("currency")
    reasons = (item.get("unpublishedReasons") or {}).get("reason")
    if isinstance(reasons, list) and reasons:
        record["issues"] = [str(r) for r in reasons]
    group = item.get("variantGroupId")
    if group:
        record["variant_group_id"] = group
    return record


def parse_items_page(body: Any) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """A getAllItems answer: live records, the next cursor (None on the last page), the total."""
    if not isinstance(body, Mapping) or not isinstance(body.get("ItemResponse"), list):
        raise ChannelError("walmart getAllItems: the answer has no ItemResponse list",
                           channel=SOURCE)
    records = [live_record(item) for item in body["ItemResponse"]]
    cursor = body.get("nextCursor") or None
    total = body.get("totalItems")
    return records, cursor, total if isinstance(total, int) else None


def _amount(quantity: Any) -> int | None:
    if not isinstance(quantity, Mapping):
        return None
    value = _decimal(quantity.get("amount"))
    return int(value) if value is not None else None


def parse_inventory(body: Any) -> tuple[str, int | None]:
    """A getInventory answer: (sku, quantity)."""
    if not isinstance(body, Mapping) or not body.get("sku"):
        raise ChannelError("walmart getInventory: the answer has no sku", channel=SOURCE)
    return str(body["sku"]), _amount(body.get("quantity"))


def node_quantities(nodes: Any, ship_node: str | None) -> int | None:
    """The quantity feedsync set (``inputQty``) at ``ship_node`` (summed over all ship nodes
    when none is configured)."""
    if not isinstance(nodes, list):
        return None
    found = [n for n in nodes if isinstance(n, Mapping)
             and (ship_node is None or str(n.get("shipNode")) == ship_node)]
    amounts = [a for a in (_amount(n.get("inputQty")) for n in found) if a is not None]
    return sum(amounts) if amounts else None


def parse_inventories_page(body: Any, ship_node: str | None
                           ) -> tuple[dict[str, int | None], str | None]:
    """A getMultiNodeInventoryForAllSkuAndAllShipNodes page: sku → quantity, next cursor."""
    if not isinstance(body, Mapping):
        raise ChannelError("walmart inventories: the answer is not an object", channel=SOURCE)
    inventories = (body.get("elements") or {}).get("inventories") or []
    found: dict[str, int | None] = {}
    for entry in inventories:
        if isinstance(entry, Mapping) and entry.get("sku"):
            found[str(entry["sku"])] = node_quantities(entry.get("nodes"), ship_node)
    return found, (body.get("meta") or {}).get("nextCursor") or None


def parse_sku_inventories(body: Any, ship_node: str | None) -> tuple[str, int | None]:
    """A getMultiNodeInventoryForSkuAndAllShipnodes answer: (sku, quantity)."""
    if not isinstance(body, Mapping) or not body.get("sku"):
        raise ChannelError("walmart inventories/{sku}: the answer has no sku", channel=SOURCE)
    return str(body["sku"]), node_quantities(body.get("nodes"), ship_node)
