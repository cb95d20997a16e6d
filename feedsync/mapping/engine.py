"""The mapping engine: catalog products → channel records (pure, streaming, explainable).

    mapper = ChannelMapper.for_workspace(workspace, "google")
    for record in mapper.map_catalog(catalog, now=now):
        if record.sendable: ...            # included and without error issues
        else: report(record.exclusion, record.issues)

Per product, in this order: the catalog exclusion (``catalog.exclude``), then [filters], then each
[fields] rule in the channel's field order (source → transforms → [values.<field>] map), then
[variants] attributes, then the per-SKU overrides stored in the catalog, then the channel's rules
(:mod:`feedsync.mapping.validate`). ``explain=True`` records every step in ``record.trace``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from feedsync.mapping.compile import CompiledMapping, compile_mapping
from feedsync.mapping.hotpath import field_step
from feedsync.mapping.record import ENGINE_VERSION, FieldValue, MappedRecord, TraceStep
from feedsync.mapping.schema import ChannelSchema
from feedsync.mapping.sources import NO_STORE, Row, Store
from feedsync.mapping.spec import read_mapping
from feedsync.mapping.stream import SkuRange, iter_catalog
from feedsync.mapping.unrolled import unroll
from feedsync.mapping.validate import SchemaValidator
from feedsync.models import Issue, Product, Severity

if TYPE_CHECKING:
    from feedsync.catalog import Catalog
    from feedsync.config import Workspace

log = logging.getLogger(__name__)

OVERRIDE_SEPARATOR = "|"  # a repeated field's override lists its values separated by "|"


class ChannelMapper:
    """One channel's compiled mapping. Build it once per run; it is immutable and reusable."""

    def __init__(self, schema: ChannelSchema, mapping_path: Path, *,
                 rates: Mapping[str, Decimal] | None = None,
                 base_currency: str = "USD", store: Store = NO_STORE) -> None:
        """Load, validate and compile ``mapping_path`` for ``schema`` (ConfigError if invalid).

        ``store``: the workspace's store name and address (``store_name``, ``store_url`` and
        ``product_url`` columns)."""
        self.store = store
        self.channel: str = schema.channel
        self.schema: ChannelSchema = schema
        self.mapping_path = mapping_path
        spec, raw, problems = read_mapping(mapping_path)
        rates = dict(rates or {})
        self.compiled: CompiledMapping = compile_mapping(
            spec, schema, problems, rates=rates, base_currency=base_currency)
        self.spec = spec
        self.validator = SchemaValidator(schema)
        # feedsync.sync.channels.DeferredMapper computes this digest without compiling (a test
        # in tests/cli/test_startup.py keeps them equal): change both together.
        digest = hashlib.sha256()
        for part in (raw, schema.version.encode(), ENGINE_VERSION.encode(),
                     base_currency.encode(), store.name.encode(), store.url.encode()):
            digest.update(part)
            digest.update(b"\x00")
        target = spec.price.currency
        if target and target in rates:  # a changed rate changes every price
            digest.update(f"{target}={rates[target]}".encode())
        self.version: str = digest.hexdigest()[:16]
        self._rules = {f.name: f.rule for f in self.compiled.fields}
        self._order = {name: index for index, name in enumerate(schema.field_names)}
        self._repeated = {f.name for f in schema.fields if f.repeated}
        self._max_items = {f.name: f.max_items for f in schema.fields
                           if f.repeated and f.max_items}
        self._steps = [field_step(f, f.name in self._repeated,
                                  self.validator.check_of(f.name, f.name in self._repeated),
                                  self.validator.length_limit(f.name, f.name in self._repeated))
                       for f in self.compiled.fields]
        self._run_fields = unroll(self._steps)  # the hot path: every field, one function
        self._variant_by_axis = {a.axis: a for a in self.compiled.variants}

    @classmethod
    def for_workspace(cls, workspace: Workspace, channel: str) -> ChannelMapper:
        """The mapper of ``channel`` in ``workspace`` (its mapping file and currency rates)."""
        from feedsync.registry import channel_schema

        settings = workspace.settings
        schema = channel_schema(channel, workspace.channel(channel).adapter)
        store = Store(settings.workspace.name, settings.workspace.store_url or "")
        return cls(schema, workspace.mapping_path(channel), rates=settings.currency_rates,
                   base_currency=settings.catalog.default_currency, store=store)

    def rule_of(self, field_name: str) -> str | None:
        """How the mapping produces ``field_name`` (for reports), or None when it does not."""
        return self._rules.get(field_name)

    # --- one product --------------------------------------------------------------------------

    def map_product(self, product: Product, *, available: int | None, now: datetime,
                    overrides: Mapping[str, str] | None = None, exclusion: str | None = None,
                    explain: bool = False) -> MappedRecord:
        """Map one product. ``exclusion``: the reason stored with a catalog exclusion, if any.
        ``available`` None: the store does not track this SKU's stock (in stock, no count).

        A record that is not included carries no fields unless ``explain`` is set.
        """
        record = MappedRecord(product.sku, self.channel)
        # positional: Row(product, available, now, trace, problems, price, quantity, tracked,
        # store) — this runs for every product of every feed
        if available is None:
            row = Row(product, self.compiled.quantity.untracked_quantity, now,
                      [] if explain else None, [], None, None, False, self.store)
        else:
            row = Row(product, available, now, [] if explain else None, [], None, None, True,
                      self.store)
        if exclusion is not None:
            record.included = False
            record.exclusion = ("excluded in the catalog" + (f": {exclusion}" if exclusion
                                                               else ""))
            why = record.exclusion
        else:
            included, why = self.compiled.filters.decide(row)
            if not included:
                record.included = False
                record.exclusion = why
        if row.trace is not None:
            row.trace.append(TraceStep("(record)", "inclusion", None, why))
        if not record.included and not explain:
            return record
        if row.trace is not None:
            values, passed = self._map_fields(row, record), False
        else:
            values, passed = self._run_fields(row, record)
        rules = self._rules
        if self.compiled.variants:
            rules = self._apply_variants(row, values, record, rules)
        if overrides:
            rules = self._apply_overrides(row, values, overrides, record, rules)
        for name, limit in self._max_items.items():
            value = values.get(name)
            if isinstance(value, list) and len(value) > limit:
                record.issues.append(Issue(product.sku, Severity.WARNING, "too_many_items",
                                           f"{name} has {len(value)} values; only the first "
                                           f"{limit} are sent", name, rules.get(name)))
                values[name] = value[:limit]
                passed = False
        if record.included:
            # variants and overrides copy the rules when they change a value
            if passed and rules is self._rules:  # every value passed its check as it was made
                record.issues.extend(self.validator.presence(product.sku, values, rules))
            else:
                record.issues.extend(self.validator.validate(product.sku, values, rules))
        record.fields = values
        if row.trace is not None:
            record.trace = row.trace
        return record

    def _map_fields(self, row: Row, record: MappedRecord) -> dict[str, FieldValue]:
        values: dict[str, FieldValue] = {}
        problems = row.problems
        trace = row.trace
        sku = record.sku
        repeated = self._repeated
        for cf in self.compiled.fields:
            seen = len(problems)
            value = cf.source(row)
            if trace is not None:
                trace.append(TraceStep(cf.name, cf.source_text, None, _show(value)))
            for text, step in cf.steps:
                before = value
                value = step(value, problems)
                if trace is not None:
                    trace.append(TraceStep(cf.name, text, _show(before), _show(value)))
            if cf.value_map is not None and value:
                before = value
                lookup = cf.value_map
                value = lookup(value) if isinstance(value, str) else [lookup(v) for v in value]
                if trace is not None:
                    trace.append(TraceStep(cf.name, f"[values.{cf.name}]", _show(before),
                                           _show(value)))
            if cf.name in repeated:
                value = ([value] if value else []) if isinstance(value, str) else \
                    [v for v in value if v]
            elif not isinstance(value, str):
                value = ", ".join(v for v in value if v)
            if value:
                values[cf.name] = value
            if len(problems) > seen:
                record.issues.extend(Issue(sku, severity, code, message, cf.name, cf.rule)
                                     for severity, code, message in problems[seen:])
        return values

    def _apply_variants(self, row: Row, values: dict[str, FieldValue], record: MappedRecord,
                        rules: dict[str, str]) -> dict[str, str]:
        product = row.product
        group = self.compiled.group_getter(row)
        if not group:
            return rules
        added = False
        unmapped: list[str] = []
        for axis_name in product.variant_axes:
            axis = axis_name.casefold()
            attr = self._variant_by_axis.get(axis)
            if attr is None:
                unmapped.append(axis)
                continue
            if attr.field in values:  # [fields] gave it a value: that wins
                continue
            value = attr.getter(row)
            text = value if isinstance(value, str) else ", ".join(value)
            rule = f"variants.attributes.{attr.axis} → {attr.field}"
            if text:
                value_map = self.compiled.value_maps.get(attr.field)
                final = value_map(text) if value_map else text
                values[attr.field] = [final] if attr.field in self._repeated else final
                if not added:
                    rules = dict(rules)
                rules.setdefault(attr.field, rule)
                added = True
                if row.trace is not None:
                    row.trace.append(TraceStep(attr.field, rule, text, final))
            elif self.compiled.require_variant_values:
                record.issues.append(Issue(product.sku, Severity.ERROR, "variant_value_missing",
                                           f"variant of family {group!r} has no {attr.axis} "
                                           f"value, so {self.channel} cannot tell it apart",
                                           attr.field, rule))
        for axis in sorted(set(unmapped)):
            record.issues.append(Issue(product.sku, Severity.WARNING, "variant_axis_unmapped",
                                       f"variation axis {axis!r} has no channel field in "
                                       f"[variants.attributes]", None, "variants.attributes"))
        if added:
            self._reorder(values)
        return rules

    def _apply_overrides(self, row: Row, values: dict[str, FieldValue],
                         overrides: Mapping[str, str], record: MappedRecord,
                         rules: dict[str, str]) -> dict[str, str]:
        rules = dict(rules)
        for name in sorted(overrides):
            raw = overrides[name]
            if name not in self.schema:
                record.issues.append(Issue(record.sku, Severity.WARNING, "override_unknown_field",
                                           f"catalog override of {name!r} ignored: not a "
                                           f"{self.channel} field", name, "override"))
                continue
            new: FieldValue = raw
            if name in self._repeated:
                new = [v.strip() for v in raw.split(OVERRIDE_SEPARATOR) if v.strip()]
            if row.trace is not None:
                row.trace.append(TraceStep(name, "override (catalog)", _show(values.get(name)),
                                           _show(new)))
            if new:
                values[name] = new
            else:
                values.pop(name, None)
            rules[name] = f"override of {name} stored in the catalog"
        self._reorder(values)
        return rules

    def _reorder(self, values: dict[str, FieldValue]) -> None:
        order = self._order
        items = sorted(values.items(), key=lambda kv: order[kv[0]])
        values.clear()
        values.update(items)

    # --- the catalog --------------------------------------------------------------------------

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None, explain: bool = False,
                    sku_range: SkuRange | None = None) -> Iterator[MappedRecord]:
        """Stream one record per product in SKU order, included or not; memory stays flat.

        ``skus`` limits the run to those SKUs (unknown ones are skipped); ``sku_range`` to the
        SKUs from its first (included) to its end (excluded), None for an open side (one worker's
        share of a feed, feedsync/feeds/parallel.py). Stock, overrides and exclusions are merged
        from sorted cursors, not fetched per SKU.
        """
        moment = now or datetime.now(UTC)
        rows = iter_catalog(catalog, self.channel, skus, sku_range)
        for product, available, overrides, exclusion in rows:
            try:
                yield self.map_product(product, available=available, now=moment,
                                       overrides=overrides, exclusion=exclusion, explain=explain)
            except Exception as exc:  # one SKU's unexpected failure never stops the others
                log.warning("%s: mapping %s failed", self.channel, product.sku, exc_info=True)
                record = MappedRecord(sku=product.sku, channel=self.channel)
                record.issues.append(Issue(product.sku, Severity.ERROR, "mapping_failed",
                                           f"mapping failed: {type(exc).__name__}: {exc}"))
                yield record


def _show(value: object) -> object:
    """Trace values: copies of lists, so later steps do not change what the trace shows."""
    return list(value) if isinstance(value, list) else value
