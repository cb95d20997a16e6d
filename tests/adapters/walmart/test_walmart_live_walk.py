"""Reconcile reads Walmart once per run: ``fetch_live`` over N chunks costs one walk of GET
/v3/inventories and GET /v3/items, not one walk per chunk (review finding: 2,000 SKUs in chunks
of 100 made 1,600 calls instead of 80).

The pages are built from the official examples (specs/walmart/examples:
``items.getAllItems.200.Get_All_Items.json`` and
``inventory.getMultiNodeInventoryForAllSkuAndAllShipNodes.200.json``), one element per SKU with
the SKU, price and quantity changed, and read by the real parsers.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from feedsync.adapters.walmart.adapter import FEW_SKUS, WalmartAdapter
from walmart_oracle import example

from feedsync.orders.reconcile import CHUNK

NODE = "100009"  # a ship node of the official inventories example
PAGE = 50  # GET /v3/inventories pages at most 50 SKUs (client sends limit=50)


class OfficialPages:
    """A seller with ``skus``: paged answers shaped like the official examples, calls counted."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        self.calls: dict[str, int] = {"inventories": 0, "items": 0, "item": 0, "inventory": 0}
        self.item = example("items.getAllItems.200.Get_All_Items.json")["ItemResponse"][0]
        inventories = example("inventory.getMultiNodeInventoryForAllSkuAndAllShipNodes.200.json")
        self.inventory = inventories["elements"]["inventories"][0]

    def _item(self, index: int) -> dict[str, Any]:
        item = copy.deepcopy(self.item)
        item.update(sku=self.skus[index], wpid=f"WP{index:08d}",
                    price={"currency": "USD", "amount": f"{index}.10"})
        return item

    def _next(self, start: int) -> str | None:
        return str(start + PAGE) if start + PAGE < len(self.skus) else None

    def get_inventories(self, cursor: str | None = None) -> dict[str, Any]:
        self.calls["inventories"] += 1
        start = int(cursor or 0)
        elements = []
        for index in range(start, min(start + PAGE, len(self.skus))):
            entry = copy.deepcopy(self.inventory)
            entry["sku"] = self.skus[index]
            for node in entry["nodes"]:
                node["inputQty"]["amount"] = index if node["shipNode"] == NODE else 999
            elements.append(entry)
        return {"meta": {"totalCount": len(self.skus), "nextCursor": self._next(start)},
                "elements": {"inventories": elements}}

    def get_items(self, *, cursor: str = "*", sku: str | None = None) -> dict[str, Any] | None:
        if sku is not None:
            self.calls["item"] += 1
            if sku not in self.skus:
                return None
            return {"ItemResponse": [self._item(self.skus.index(sku))], "totalItems": 1}
        self.calls["items"] += 1
        start = 0 if cursor == "*" else int(cursor)
        body: dict[str, Any] = {
            "ItemResponse": [self._item(i) for i in range(start, min(start + PAGE,
                                                                       len(self.skus)))],
            "totalItems": len(self.skus)}
        if self._next(start):
            body["nextCursor"] = self._next(start)
        return body

    def get_inventory(self, sku: str, ship_node: str | None) -> dict[str, Any] | None:
        self.calls["inventory"] += 1
        index = self.skus.index(sku)
        return {"sku": sku, "quantity": {"unit": "EACH", "amount": index}}


def _adapter(client: OfficialPages) -> WalmartAdapter:
    adapter = object.__new__(WalmartAdapter)  # no context needed: only the client is used
    adapter._client = client  # type: ignore[assignment]
    adapter.config = SimpleNamespace(ship_node=NODE)  # type: ignore[assignment]
    return adapter


def test_reconcile_chunks_cost_one_walk(walmart_specs: Path) -> None:
    skus = [f"SKU-{i:05d}" for i in range(1_000)]
    client = OfficialPages(skus)
    adapter = _adapter(client)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(skus) + 5, CHUNK):  # the last chunk asks for 5 unknown SKUs too
        asked = skus[start:start + CHUNK] or ["GONE-1", "GONE-2", "GONE-3", "GONE-4", "GONE-5"]
        for record in adapter.fetch_live(asked):
            assert record["sku"] in asked
            found[record["sku"]] = record
    one_walk = len(skus) // PAGE
    assert client.calls == {"inventories": one_walk, "items": one_walk, "item": 0,
                            "inventory": 0}
    assert set(found) == set(skus)
    assert found["SKU-00042"]["quantity"] == 42  # inputQty at the configured ship node
    assert found["SKU-00042"]["price"] == Decimal("42.10")
    assert found["SKU-00042"]["remote_id"] == "WP00000042"


def test_a_few_skus_are_read_one_by_one(walmart_specs: Path) -> None:
    skus = [f"SKU-{i:05d}" for i in range(1_000)]
    client = OfficialPages(skus)
    records = list(_adapter(client).fetch_live(skus[:FEW_SKUS]))
    assert [r["sku"] for r in records] == skus[:FEW_SKUS]
    assert client.calls == {"inventories": 0, "items": 0, "item": FEW_SKUS,
                            "inventory": FEW_SKUS}
    assert records[3]["quantity"] == 3
