"""The double of the file channel: it writes the files the adapter reads (orders, switches) and
reads the ones it writes (acknowledgements, shipments, listings), so the contract suite drives
the file channel exactly as it drives an HTTP channel's double."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from feedsync.clock import FakeClock, iso_z
from feedsync.testing.capabilities import OrderSpec

__all__ = ["FileChannelDouble"]


class FileChannelDouble:
    """The channel side of a workspace at ``root`` (its ``orders.json`` and ``fake_state/``)."""

    def __init__(self, root: Path, *, orders_file: str = "orders.json",
                 state_dir: str = "fake_state") -> None:
        self.root = root
        self.orders_path = root / orders_file
        self.state = root / state_dir
        self.clock = FakeClock()
        self.page_size = 2  # the adapter's ``page_size`` setting (default 2)
        self._orders: dict[str, dict[str, Any]] = {}
        self._skus_of: dict[str, dict[str, str]] = {}  # order id → line id → SKU

    def _write(self, name: str, value: Any) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / name).write_text(json.dumps(value))

    def _lines(self, name: str) -> list[Any]:
        path = self.state / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    # --- ChannelDouble ----------------------------------------------------------------------

    def context_extras(self) -> dict[str, Any]:
        """Nothing: the adapter reads the workspace's files."""
        return {}

    def reject(self, skus: Collection[str]) -> None:
        """Refuse these SKUs from now on."""
        current = set(json.loads((self.state / "rejected.json").read_text())
                      if (self.state / "rejected.json").exists() else [])
        self._write("rejected.json", sorted(current | set(skus)))

    def fail_once_transiently(self) -> None:
        """The next submission fails with a TransientError."""
        self._write("transient.json", 1)

    def refuse_auth(self) -> None:
        """Every submission from now on is refused as unauthorised."""
        self._write("auth_refused.json", True)

    @property
    def request_count(self) -> int:
        """Submissions and order pulls the adapter made."""
        return len(self._lines("pushes.jsonl")) + len(self._lines("pulls.jsonl"))

    # --- the capability protocol (feedsync.testing.capabilities) ----------------------------

    def add_order(self, order: OrderSpec) -> None:
        """Publish or update an order in ``orders.json``."""
        ids = [f"{order.order_id}-{i + 1}" for i in range(len(order.lines))]
        lines = [{"line_id": line_id, "sku": line.sku, "quantity": line.quantity,
                  "price": str(line.unit_price)} for line_id, line in zip(ids, order.lines,
                                                                          strict=True)]
        self._skus_of[order.order_id] = {line_id: line.sku
                                         for line_id, line in zip(ids, order.lines, strict=True)}
        self._orders[order.order_id] = {
            "order_id": order.order_id, "status": order.status,
            "created_at": iso_z(order.placed_at), "updated_at": iso_z(order.updated_at),
            "currency": order.currency,
            "total": str(sum(line.unit_price * line.quantity for line in order.lines)),
            "lines": lines}
        self.orders_path.parent.mkdir(parents=True, exist_ok=True)
        self.orders_path.write_text(json.dumps(list(self._orders.values())))

    @property
    def acknowledged(self) -> list[str]:
        """Every order id acknowledged so far."""
        return [order_id for batch in self._lines("acks.jsonl") for order_id in batch]

    @property
    def confirmations(self) -> list[dict[str, Any]]:
        """Every shipment confirmation received."""
        found = []
        for entry in self._lines("shipments.jsonl"):
            skus = self._skus_of.get(entry["order_id"], {})
            quantities: dict[str, int] = {}
            for line_id, quantity in entry["lines"]:
                sku = skus.get(line_id, line_id)
                quantities[sku] = quantities.get(sku, 0) + int(quantity)
            found.append({"order_id": entry["order_id"],
                          "tracking_number": entry["tracking_number"],
                          "quantities": quantities})
        return found

    def remove_live(self, sku: str) -> None:
        """The channel stops showing ``sku``."""
        path = self.state / "listings.json"
        listings = json.loads(path.read_text()) if path.exists() else {}
        listings.pop(sku, None)
        path.write_text(json.dumps(listings, sort_keys=True))
