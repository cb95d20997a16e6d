"""The import driver: parsed rows → duplicate check → batched upserts → stock → prune.

One file imports in one transaction (``catalog.db.atomic()``): if anything fails — an invalid row
without ``--skip-invalid``, a refused prune, a broken file — the transaction rolls back and the
catalog is exactly as it was. By default every problem is collected before failing, so one run
lists them all; writing stops at the first problem since it would be rolled back anyway.

With ``--skip-invalid`` each invalid row is reported and left out; the rest commit. Rows are
SKUs, so a skipped variant never leaves half a product: a family imports without the variants
that failed, and a family whose parent row (Shopify's first row, WooCommerce's variable product)
is invalid is skipped whole. SKUs that were skipped are still counted as present for
``--prune``, so a typo never deletes the product it belongs to.

Reading (parsing, validating, building row values) is done by ``reading.py``, in a child
process for large files, while this module writes the previous batch: a large import uses two
cores.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedsync.catalog.importers import reading, unchanged
from feedsync.catalog.importers.base import DEFAULT_LOCATION, ParseOptions
from feedsync.catalog.importers.derive import (
    SHOPIFY_PLACEHOLDERS,
    WOOCOMMERCE_PLACEHOLDERS,
    RuleError,
    SkuRule,
)
from feedsync.catalog.importers.detect import FORMATS, detect_format
from feedsync.catalog.importers.inventory import StockRow
from feedsync.catalog.importers.source import MAX_LISTED_PROBLEMS, Problem, Source
from feedsync.catalog.rows import CONTENT_COLUMNS
from feedsync.catalog.store import Catalog, UpsertSummary
from feedsync.db import utcnow_iso
from feedsync.errors import GuardrailError, InputError, UsageError
from feedsync.models import InventoryLevel

_IN_LIMIT = 900
_EXAMPLES = 5  # derived SKUs shown in the summary
_BRAND_AT = CONTENT_COLUMNS.index("brand")


@dataclass
class ImportResult:
    """What one import did, for the human summary and ``--json``."""

    file: str
    format: str
    rows: int = 0
    summary: UpsertSummary = field(default_factory=UpsertSummary)
    problem_count: int = 0
    seconds: float = 0.0
    pruned: bool = False

    def accounted(self) -> int:
        """Rows of the file the summary accounts for (equals ``rows`` after a product import:
        created + updated + unchanged + skipped + rows that are not products)."""
        s = self.summary
        if self.format == "inventory":
            return s.inventory_rows + s.skipped + sum(s.not_products.values())
        return s.created + s.updated + s.unchanged + s.skipped + sum(s.not_products.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (``--json``)."""
        data: dict[str, Any] = {"ok": True, "file": self.file, "format": self.format,
                                "rows": self.rows}
        data.update(self.summary.as_dict())
        data["problem_count"] = self.problem_count
        data["rows_accounted"] = self.accounted()
        data["seconds"] = round(self.seconds, 3)
        return data


def import_file(
    catalog: Catalog,
    path: Path | str,
    *,
    format: str = "auto",
    skip_invalid: bool = False,
    prune: bool = False,
    force: bool = False,
    location: str | None = None,
    default_currency: str = "USD",
    prune_max_share: float = 0.20,
    progress: Callable[[int], None] | None = None,
    label: str | None = None,
    columns: tuple[tuple[str, str], ...] = (),
    sku_rules: dict[str, str] | None = None,
) -> ImportResult:
    """Import one file into ``catalog`` atomically; see the module docstring for the rules.

    Raises InputError (listing every problem) when a row is invalid and ``skip_invalid`` is off,
    GuardrailError when ``prune`` would remove more than ``prune_max_share`` of the catalog and
    ``force`` is off, and UsageError for option combinations that cannot work.

    ``columns``: the file's column names → documented ones (``--columns``). ``sku_rules``:
    ``shopify_sku_rule`` / ``woocommerce_sku_rule`` overrides (:mod:`.derive`).
    """
    sku_rules = _checked_rules(sku_rules or {})
    path = Path(path)
    source = Source(path, label or str(path), progress)
    head = source.check()
    if format == "auto":
        format = detect_format(source, head, columns)
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if prune and format == "inventory":
        raise UsageError("--prune applies to product files, not to an inventory file")
    options = ParseOptions(source.label, default_currency, location or DEFAULT_LOCATION,
                           columns=columns, **sku_rules)
    run = _Run(catalog, source.label, skip_invalid, prune, progress)
    run.quantity_is_total = format == "shopify"
    run.total_location = options.location
    result = ImportResult(source.label, format, summary=run.summary)
    started = time.perf_counter()
    try:
        with reading.relaxed_gc(), catalog.db.atomic():
            run.open()
            before = catalog.count()
            if prune:
                catalog.start_tracking_seen()
            strict = not skip_invalid
            run.consume(reading.batches(
                lambda ask: reading.read_batches(format, source, options, strict, ask),
                source.size, run.unchanged_lookup() if format == "native" else None),
                stock=format == "inventory")
            run.finish()
            if prune:
                _prune(catalog, run.summary, before, prune_max_share, force)
                result.pruned = True
    finally:
        catalog.stop_tracking_seen()
        run.close()
    result.rows = run.rows
    result.problem_count = run.problem_count
    result.seconds = time.perf_counter() - started
    return result


_MAX_REASONS = 50
_OTHER_REASONS = "(other reasons: see the listed problems)"


def _tally(counts: dict[str, int], reason: str, count: int = 1) -> None:
    """Count ``reason``; past 50 distinct reasons (each naming its own value) into one bucket,
    so the summary stays short whatever the file holds."""
    if reason not in counts and len(counts) >= _MAX_REASONS:
        reason = _OTHER_REASONS
    counts[reason] = counts.get(reason, 0) + count


def _checked_rules(rules: dict[str, str]) -> dict[str, str]:
    """SKU rules that compile (UsageError naming the bad one otherwise)."""
    allowed = {"shopify_sku_rule": SHOPIFY_PLACEHOLDERS,
               "woocommerce_sku_rule": WOOCOMMERCE_PLACEHOLDERS}
    for key, template in rules.items():
        if key not in allowed:
            raise UsageError(f"unknown SKU rule {key!r}; use {', '.join(allowed)}")
        try:
            SkuRule(template, allowed[key])
        except RuleError as exc:
            raise UsageError(f"[catalog] {key}: {exc}") from None
    return rules


def _prune(catalog: Catalog, summary: UpsertSummary, before: int, max_share: float,
           force: bool) -> None:
    unseen = catalog.unseen_count()
    if unseen and not force and unseen > max_share * before:
        raise GuardrailError(
            f"--prune would remove {unseen} of {before} products ({unseen / before:.0%}), more "
            f"than catalog.prune_max_share ({max_share:.0%}); nothing was imported. If the file "
            "really is a complete export, re-run with --force; otherwise drop --prune"
        )
    summary.removed = catalog.prune_unseen()


class _Run:
    """The writing half of one import: counts, problems, and the SKUs (or stock keys) seen."""

    def __init__(self, catalog: Catalog, label: str, skip_invalid: bool, prune: bool,
                 progress: Callable[[int], None] | None) -> None:
        self.catalog = catalog
        self.label = label
        self.prune = prune
        self.progress = progress
        self.conn = catalog.db.conn
        self.skip_invalid = skip_invalid
        self.summary = UpsertSummary()
        self.problem_count = 0
        self.rows = 0
        self.every_location = False  # a stock file listing every location of its SKUs
        self.quantity_is_total = False  # a product file whose quantity sums all locations
        self.total_location = DEFAULT_LOCATION  # where a product export's total is stored

    def open(self) -> None:
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_keys "
                          "(key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")
        self.conn.execute("DELETE FROM temp.import_keys")

    def close(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.import_keys")

    @property
    def writing(self) -> bool:
        # Without --skip-invalid the first problem dooms the transaction: keep validating (to
        # list every problem) but stop writing rows that would be rolled back.
        return self.skip_invalid or self.problem_count == 0

    def report(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.problem_count += 1
            if len(self.summary.problems) < MAX_LISTED_PROBLEMS:
                self.summary.problems.append(problem.describe(self.label))

    def consume(self, batches: Iterator[reading.Batch], *, stock: bool) -> None:
        """Write every batch the reading half produces, in file order."""
        try:
            for batch in batches:
                self.rows = batch.records
                if stock:
                    self._stock_batch(batch.rows)
                else:
                    self._product_batch(batch.rows)
                if self.progress is not None:
                    self.progress(batch.position)
        except InputError as exc:  # the file broke off: list what was found before it too
            raise InputError(exc.message, [*self.summary.problems, *exc.problems]) from None

    def unchanged_lookup(self) -> reading.Lookup | None:
        """How the reader learns which native rows are unchanged since the last import (None
        when no import recorded any row: nothing can match)."""
        conn = self.conn
        if not unchanged.any_recorded(conn):
            return None
        return lambda pairs: unchanged.unchanged_flags(conn, pairs)

    def _product_batch(self, batch: list[reading.Row]) -> None:
        self._mark_duplicates(batch, lambda r: r.sku if r.note is None else None, "SKU")
        good = [r for r in batch if not r.problems and r.prepared is not None]
        same = [r for r in batch if r.unchanged and not r.problems]
        skipped = [r for r in batch if r.problems]
        summary = self.summary
        for row in skipped:
            self.report(row.problems)
            reason = row.problems[-1].reason
            _tally(summary.skipped_reasons, reason)
        summary.skipped += len(skipped)
        for row in batch:
            if row.note is not None and not row.problems:
                summary.not_products[row.note] = summary.not_products.get(row.note, 0) + 1
            if row.warnings and not row.problems:
                self.warn(row.warnings)
        if not self.writing:
            return
        self.catalog.upsert_prepared([r.prepared for r in good if r.prepared], summary)
        unchanged.record(self.conn, [(r.sku, r.row_hash) for r in good if r.row_hash and r.sku])
        summary.unchanged += len(same)
        summary.without_brand += sum(r.brandless for r in same)
        if same and self.prune:
            self.catalog.mark_seen([r.sku for r in same if r.sku])
        good += same  # their stock is written like any other row's
        levels = [InventoryLevel(r.sku, r.location or DEFAULT_LOCATION, r.quantity)
                  for r in good if r.sku and r.quantity is not None]
        if self.quantity_is_total and levels:
            levels = self._without_located_stock(levels)
        summary.inventory_rows += self.catalog.set_inventory(levels)
        untracked = [r.sku for r in good if r.sku and r.tracked is False]
        summary.stock_not_tracked += len(untracked)
        summary.without_stock_count += sum(1 for r in good
                                           if r.quantity is None and r.tracked is not False)
        self.catalog.set_stock_tracking(
            [r.sku for r in good if r.sku and (r.tracked or r.quantity is not None)], untracked)
        for row in good:
            if row.derived_sku:
                summary.derived_skus += 1
                if len(summary.derived_sku_examples) < _EXAMPLES:
                    summary.derived_sku_examples.append(f"{self.label}:{row.line}: {row.sku}")
            if row.prepared is not None and row.prepared[0][_BRAND_AT] is None:
                summary.without_brand += 1
        if self.prune:
            self.catalog.mark_seen([r.sku for r in skipped if r.sku])

    def _without_located_stock(self, levels: list[InventoryLevel]) -> list[InventoryLevel]:
        """Drop totals for SKUs stocked at other locations (from a per-location stock file):
        a Shopify product export's quantity is the sum over the store's locations, and storing
        it beside the per-location rows would count the same units twice."""
        located: set[str] = set()
        for start in range(0, len(levels), _IN_LIMIT):
            chunk = levels[start:start + _IN_LIMIT]
            marks = ", ".join("(?, ?)" for _ in chunk)
            located.update(row[0] for row in self.conn.execute(
                f"SELECT DISTINCT i.sku FROM inventory i JOIN (VALUES {marks}) AS f"
                " ON f.column1 = i.sku AND f.column2 != i.location",
                [value for lv in chunk for value in (lv.sku, lv.location)]))
        if located:
            reason = ("stock total of the product export not stored: the SKU's stock is kept "
                      "per location (from an inventory export)")
            self.summary.warning_count += len(located)
            _tally(self.summary.warning_reasons, reason, len(located))
        return [lv for lv in levels if lv.sku not in located]

    def warn(self, warnings: list[Problem]) -> None:
        """Count warnings by reason and keep the first ones for the report."""
        summary = self.summary
        for warning in warnings:
            summary.warning_count += 1
            reason = warning.reason
            _tally(summary.warning_reasons, reason)
            if len(summary.warnings) < MAX_LISTED_PROBLEMS:
                summary.warnings.append(warning.describe(self.label))

    def _stock_batch(self, batch: list[StockRow]) -> None:
        known = self.catalog.existing_skus([r.sku for r in batch if r.sku])
        for row in batch:
            if row.sku and row.sku not in known:
                row.problems.append(Problem(
                    row.line, "this SKU is not in the catalog (import its product first)",
                    "sku", row.sku, row.sku))
        self._mark_duplicates(batch, lambda r: f"{r.sku}\x1f{r.location}" if r.sku else None,
                              "SKU and location")
        good = [r for r in batch if not r.problems and r.sku and r.quantity is not None]
        skipped = [r for r in batch if r.problems]
        summary = self.summary
        self.every_location = self.every_location or any(r.every_location for r in good)
        for row in skipped:
            self.report(row.problems)
            reason = row.problems[-1].reason
            _tally(summary.skipped_reasons, reason)
        summary.skipped += len(skipped)
        for row in batch:
            if row.problems:
                continue
            if row.note is not None:
                summary.not_products[row.note] = summary.not_products.get(row.note, 0) + 1
            if row.warnings:
                self.warn(row.warnings)
        if self.writing:
            self.summary.inventory_rows += self.catalog.set_inventory(
                InventoryLevel(r.sku, r.location, r.quantity)  # type: ignore[arg-type]
                for r in good)
            # a count for a SKU means the store counts it (again)
            self.catalog.set_stock_tracking([r.sku for r in good if r.sku], [])

    def _zero_unlisted_locations(self) -> None:
        """Stock of the file's SKUs at a location the file names, but not for that SKU, goes to
        0, and so does their product-export total (at --location, else 'default'); their
        reservations stay. Such a file (Shopify's inventory export) lists every location it
        covers for each variant, so a row there — or the total — would count the same units
        twice. Shopify also exports a single location
        (https://help.shopify.com/en/manual/products/inventory/inventory-csv): locations the
        file never names are not its to judge and keep their stock."""
        cursor = self.conn.execute(
            "UPDATE inventory SET on_hand = 0, updated_at = ? WHERE on_hand != 0"
            " AND sku IN (SELECT substr(key, 1, instr(key, char(31)) - 1)"
            "             FROM temp.import_keys)"
            " AND (location = ? OR location IN"
            "      (SELECT substr(key, instr(key, char(31)) + 1) FROM temp.import_keys))"
            " AND sku || char(31) || location NOT IN (SELECT key FROM temp.import_keys)",
            [utcnow_iso(), self.total_location])
        if cursor.rowcount > 0:
            reason = ("stock the Shopify inventory file replaces set to 0 (the product "
                      "export's total, or a location the file lists but not for that SKU)")
            self.summary.warning_count += cursor.rowcount
            _tally(self.summary.warning_reasons, reason, cursor.rowcount)

    def _mark_duplicates(self, batch: list[Any], key_of: Callable[[Any], str | None],
                         what: str) -> None:
        """Flag rows whose key appeared earlier in the file (kept in a temp table, not RAM)."""
        keys = {key: None for item in batch if (key := key_of(item))}
        earlier: dict[str, int] = {}
        key_list = list(keys)
        for start in range(0, len(key_list), _IN_LIMIT):
            chunk = key_list[start:start + _IN_LIMIT]
            marks = ", ".join("?" for _ in chunk)
            earlier.update(self.conn.execute(
                f"SELECT key, line FROM temp.import_keys WHERE key IN ({marks})", chunk))
        fresh: dict[str, int] = {}
        for item in batch:
            key = key_of(item)
            if key is None:
                continue
            first = earlier.get(key) or fresh.get(key)
            if first is None:
                fresh[key] = item.line
                continue
            shown = key.replace("\x1f", " @ ")
            item.problems.append(Problem(
                item.line, f"duplicate {what}: {shown!r} is already on line {first} of this file",
                "sku", shown, getattr(item, "sku", None)))
        self.conn.executemany("INSERT INTO temp.import_keys (key, line) VALUES (?, ?)",
                              fresh.items())

    def finish(self) -> None:
        if self.every_location and self.writing:
            self._zero_unlisted_locations()
        if self.problem_count and not self.skip_invalid:
            listed = list(self.summary.problems)
            if self.problem_count > len(listed):
                listed.append(f"… and {self.problem_count - len(listed)} more problem(s)")
            raise InputError(
                f"{self.label}: {self.problem_count} problem(s) in {self.rows} row(s); nothing "
                "was imported (fix them, or use --skip-invalid to import the valid rows)",
                listed,
            )
