"""Reading a shipments file for ``feedsync orders ship FILE`` (CSV or JSONL).

CSV: a header row, then one row per shipped line. Columns ``order_id``, ``carrier`` and
``tracking_number`` are required; ``channel``, ``account``, ``line_id``, ``sku``, ``quantity``,
``shipped_at`` (ISO 8601) and ``ship_method`` are optional. Rows with the same order id and
tracking number make one shipment. A row without ``line_id`` and ``sku`` ships every line of the
order that is not shipped yet; a line without ``quantity`` ships what is left of it.

JSONL: one shipment per line, ``{"order_id", "carrier", "tracking_number", "channel"?,
"account"?, "shipped_at"?, "ship_method"?, "lines": [{"line_id" | "sku", "quantity"?}]}``.

A bad row or line is reported with its file and line number and never stops the others.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from feedsync.errors import InputError

REQUIRED = ("order_id", "carrier", "tracking_number")
OPTIONAL = ("channel", "account", "line_id", "sku", "quantity", "shipped_at", "ship_method")


@dataclass(slots=True)
class RequestedLine:
    """A line as the file names it: by line id or SKU, with an optional quantity."""

    line_id: str | None
    sku: str | None
    quantity: int | None


@dataclass
class ShipmentRequest:
    """One shipment read from the file, before it is matched to a stored order."""

    where: str  # "file:line" of its first row, for messages
    order_id: str
    carrier: str
    tracking_number: str
    channel: str | None = None
    account: str | None = None
    shipped_at: datetime | None = None
    ship_method: str | None = None
    lines: list[RequestedLine] = field(default_factory=list)
    all_lines: bool = False  # no line named: ship everything still unshipped


@dataclass(slots=True)
class BadEntry:
    """A row or line of the file that could not be read."""

    where: str
    order_id: str | None
    message: str


def detect_format(path: Path, explicit: str | None = None) -> str:
    """``csv`` or ``jsonl``: ``explicit``, else by extension."""
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InputError(f"{path}: cannot tell the format from the extension; use --format csv|jsonl")


def read_shipments(path: Path, fmt: str | None = None
                   ) -> tuple[list[ShipmentRequest], list[BadEntry]]:
    """All shipments of ``path`` (grouped) and the entries that could not be read."""
    kind = detect_format(path, fmt)
    try:
        reader = _csv_entries(path) if kind == "csv" else _jsonl_entries(path)
        shipments: dict[tuple[str, str, str], ShipmentRequest] = {}
        bad: list[BadEntry] = []
        for entry in reader:
            if isinstance(entry, BadEntry):
                bad.append(entry)
                continue
            key = (entry.channel or "", entry.order_id, entry.tracking_number)
            found = shipments.get(key)
            if found is None:
                shipments[key] = entry
            else:
                found.lines.extend(entry.lines)
                found.all_lines = found.all_lines or entry.all_lines
        return list(shipments.values()), bad
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _csv_entries(path: Path) -> Iterator[ShipmentRequest | BadEntry]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; "
                             f"required: {', '.join(REQUIRED)}")
        reader.fieldnames = header
        for row in reader:
            where = f"{path}:{reader.line_num}"
            values = {k: (v or "").strip() for k, v in row.items() if k}
            yield _entry(where, values, _csv_lines(values))


def _csv_lines(values: dict[str, str]) -> list[dict[str, Any]]:
    if not values.get("line_id") and not values.get("sku"):
        if values.get("quantity"):
            return [{"quantity": values["quantity"], "_bad": "a quantity needs a line_id or sku"}]
        return []
    return [{"line_id": values.get("line_id"), "sku": values.get("sku"),
             "quantity": values.get("quantity")}]


def _jsonl_entries(path: Path) -> Iterator[ShipmentRequest | BadEntry]:
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadEntry(where, None, f"invalid JSON: {exc.msg}")
                continue
            if not isinstance(data, dict):
                yield BadEntry(where, None, "each line must be a JSON object")
                continue
            lines = data.get("lines") or []
            if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
                yield BadEntry(where, _text(data.get("order_id")),
                               "lines must be a list of objects")
                continue
            yield _entry(where, {k: _text(v) for k, v in data.items() if k != "lines"}, lines)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _entry(where: str, values: dict[str, str], lines: list[dict[str, Any]]
           ) -> ShipmentRequest | BadEntry:
    order_id = values.get("order_id") or None
    for column in REQUIRED:
        if not values.get(column):
            return BadEntry(where, order_id, f"{column} is empty")
    shipped_at = None
    if values.get("shipped_at"):
        try:
            shipped_at = datetime.fromisoformat(values["shipped_at"])
        except ValueError:
            return BadEntry(where, order_id,
                            f"shipped_at {values['shipped_at']!r} is not an ISO 8601 time")
    request = ShipmentRequest(
        where=where, order_id=values["order_id"], carrier=values["carrier"],
        tracking_number=values["tracking_number"], channel=values.get("channel") or None,
        account=values.get("account") or None, shipped_at=shipped_at,
        ship_method=values.get("ship_method") or None, all_lines=not lines,
    )
    for line in lines:
        if line.get("_bad"):
            return BadEntry(where, order_id, str(line["_bad"]))
        line_id, sku = _text(line.get("line_id")) or None, _text(line.get("sku")) or None
        if line_id is None and sku is None:
            return BadEntry(where, order_id, "each line needs a line_id or a sku")
        quantity: int | None = None
        raw_quantity = _text(line.get("quantity"))
        if raw_quantity:
            try:
                quantity = int(raw_quantity)
            except ValueError:
                return BadEntry(where, order_id, f"quantity {raw_quantity!r} is not a whole number")
            if quantity <= 0:
                return BadEntry(where, order_id, f"quantity {quantity} must be positive")
        request.lines.append(RequestedLine(line_id, sku, quantity))
    return request
