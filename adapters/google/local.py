"""Google local inventory through the Merchant API: ``localInventories.insert`` per product and
store, ``localInventories.delete`` for a store that no longer stocks the product.

- ``POST inventories/v1/{parent=accounts/*/products/*}/localInventories:insert`` with a
  ``LocalInventory`` body (discovery document ``merchantapi.inventories_v1.json``). "Inserts a
  LocalInventory resource for a given product… replaces the full LocalInventory resource if an
  entry with the same storeCode already exists": an insert is idempotent, so a lost answer is
  resolved by sending the same record again.
- ``DELETE inventories/v1/{name=accounts/*/products/*/localInventories/*}``; a 404 means it is
  already gone.
- The product is named by the same key the product inputs use (``lang~label~offerId``, base64url
  encoded, :func:`~feedsync.adapters.google.render.resource_segment`), so local records attach
  to the products this channel listed.

Only records whose content changed since Google last accepted them are sent
(:mod:`feedsync.local_inventory` keeps their hashes). One refused record never stops the others;
a channel-level failure (credentials, configuration, a spent quota) stops the run and keeps
every unsent record for the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from feedsync.db import utcnow_iso
from feedsync.errors import ItemRejected
from feedsync.local_inventory import (
    IN_STOCK,
    LocalRecord,
    LocalSummary,
    ensure_schema,
    local_records,
    locations_report,
)

from .limits import LOCAL_WRITE
from .render import encode, product_key, resource_segment

if TYPE_CHECKING:
    import sqlite_utils

    from .adapter import GoogleAdapter

_AVAILABILITY = {IN_STOCK: "IN_STOCK", "out_of_stock": "OUT_OF_STOCK"}


def local_inventory_body(record: LocalRecord) -> dict[str, Any]:
    """The ``LocalInventory`` request body of one record (int64 quantity as a decimal string,
    as Google's JSON mapping writes int64)."""
    attributes: dict[str, Any] = {"availability": _AVAILABILITY[record.availability]}
    if record.quantity is not None:
        attributes["quantity"] = str(record.quantity)
    return {"storeCode": record.store_code, "localInventoryAttributes": attributes}


@dataclass
class LocalPushResult:
    """What one local inventory push did."""

    summary: LocalSummary
    sent: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    stopped: str | None = None  # a channel-level failure that ended the push
    stopped_code: int | None = None  # its exit code (4: needs a human, 75: try later)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"records": self.summary.records, "stores": sorted(self.summary.stores),
                "sent": self.sent, "unchanged": self.unchanged, "deleted": self.deleted,
                "failed": self.failed, "stopped": self.stopped,
                "unmapped_locations": self.summary.unmapped_locations,
                "missing_locations": self.summary.missing_locations}


class LocalInventoryClient:
    """The two Merchant API calls of local inventory, over the adapter's HttpClient."""

    def __init__(self, adapter: GoogleAdapter) -> None:
        self.http = adapter.http
        self.target = adapter.target

    def _product_path(self, sku: str) -> str:
        key = product_key(self.target.content_language, self.target.feed_label, sku)
        return f"inventories/v1/{self.target.parent}/products/{resource_segment(key)}"

    def insert(self, record: LocalRecord) -> None:
        """Insert or replace one product's inventory at one store (idempotent)."""
        self.http.post(f"{self._product_path(record.sku)}/localInventories:insert",
                       operation=LOCAL_WRITE, idempotent=True, item=record.sku,
                       data=encode(local_inventory_body(record)),
                       headers={"Content-Type": "application/json"})

    def delete(self, sku: str, store_code: str) -> None:
        """Remove one product's inventory at one store; already gone is fine."""
        path = f"{self._product_path(sku)}/localInventories/{quote(store_code, safe='')}"
        self.http.request("DELETE", path,
                          operation=LOCAL_WRITE, item=sku, ok_statuses=(404,))


def push_local_inventory(adapter: GoogleAdapter, db: sqlite_utils.Database,
                         store_codes: Mapping[str, str], *,
                         dry_run: bool = False) -> LocalPushResult:
    """Send every changed local record, delete the ones that no longer exist (see module doc)."""
    from feedsync.errors import FeedsyncError

    ensure_schema(db)
    result = LocalPushResult(summary=locations_report(db, store_codes))
    client = None if dry_run else LocalInventoryClient(adapter)
    # Memory stays flat in SKUs × stores: what was sent is looked up per record, and the
    # records seen this run go to a temporary table that finds the stale ones afterwards.
    db.execute("CREATE TEMP TABLE IF NOT EXISTS local_inventory_seen ("
               " sku TEXT NOT NULL, store_code TEXT NOT NULL, PRIMARY KEY (sku, store_code))"
               " WITHOUT ROWID")
    db.execute("DELETE FROM local_inventory_seen")
    try:
        for record in local_records(db, store_codes):
            key = (record.sku, record.store_code)
            db.execute("INSERT OR IGNORE INTO local_inventory_seen VALUES (?, ?)", key)
            result.summary.records += 1
            result.summary.stores.add(record.store_code)
            digest = record.digest()
            row = db.execute("SELECT record_hash FROM local_inventory_sent WHERE sku = ?"
                             " AND store_code = ?", key).fetchone()
            if row is not None and row[0] == digest:
                result.unchanged += 1
                continue
            if client is not None:
                try:
                    client.insert(record)
                except ItemRejected as exc:
                    result.failed.append({"sku": record.sku, "store_code": record.store_code,
                                          "message": exc.message})
                    continue
                _remember(db, key, digest)
            result.sent += 1
        stale = db.execute(
            "SELECT s.sku, s.store_code FROM local_inventory_sent s"
            " LEFT JOIN local_inventory_seen t ON t.sku = s.sku AND t.store_code = s.store_code"
            " WHERE t.sku IS NULL ORDER BY s.sku, s.store_code").fetchall()
        for sku, code in stale:
            if client is not None:
                client.delete(sku, code)
                db.execute("DELETE FROM local_inventory_sent WHERE sku = ? AND store_code = ?",
                           [sku, code])
                db.conn.commit()
            result.deleted += 1
    except FeedsyncError as exc:  # auth, configuration, quota: about the channel, not a SKU
        result.stopped = exc.message
        result.stopped_code = int(exc.exit_code)
    return result


def _remember(db: sqlite_utils.Database, key: tuple[str, str], digest: str) -> None:
    # Committed per record: a crash loses at most the record in flight, which the next run
    # sends again (insert replaces, so sending twice is harmless).
    db.execute("INSERT INTO local_inventory_sent (sku, store_code, record_hash, sent_at)"
               " VALUES (?, ?, ?, ?) ON CONFLICT (sku, store_code) DO UPDATE SET"
               " record_hash = excluded.record_hash, sent_at = excluded.sent_at",
               [*key, digest, utcnow_iso()])
    db.conn.commit()
