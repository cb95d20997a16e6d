"""[filters]: which products a channel gets, with the reason for every decision.

A product is included when no ``include`` condition set is given or at least one matches, and
no ``exclude`` set matches. Inside one set every key must hold (AND); across sets any may (OR).
Per-SKU exclusions stored in the catalog (``catalog.exclude``) win over everything and are
applied by the engine before these filters.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from feedsync.mapping.sources import Row, column_getter
from feedsync.mapping.spec import Condition, FiltersSpec

Predicate = Callable[[Row], bool]


def category_parts(path: str) -> tuple[str, ...]:
    """``"Apparel > Shirts"`` → ``("apparel", "shirts")`` (case- and spacing-insensitive)."""
    return tuple(p for part in path.split(">") if (p := " ".join(part.split()).casefold()))


DEFAULT_STATUS = "active"


def _status(values: set[str]) -> Predicate:
    return lambda row: row.product.status in values  # a StrEnum hashes and compares as its text


def _brand_in(values: set[str]) -> Predicate:
    return lambda row: (row.product.brand or "").strip().casefold() in values


def _tag(tag: str) -> Predicate:
    # membership in a list, not any(genexpr): this runs for every SKU, and tags are few
    return lambda row: tag in [t.strip().casefold() for t in row.product.tags]


def _price_min(limit: Decimal) -> Predicate:
    return lambda row: row.product.price >= limit


def _price_max(limit: Decimal) -> Predicate:
    return lambda row: row.product.price <= limit


def _available_min(limit: int) -> Predicate:
    return lambda row: row.available >= limit


def _in_stock(wanted: bool) -> Predicate:
    return lambda row: (row.available > 0) is wanted


def _category_under(prefix: tuple[str, ...]) -> Predicate:
    size = len(prefix)
    return lambda row: category_parts(row.product.category)[:size] == prefix


def _sku_in(values: set[str]) -> Predicate:
    return lambda row: row.product.sku in values


def _has(columns: list[str]) -> Predicate:
    getters = [column_getter(c) for c in columns]
    return lambda row: all(g(row) for g in getters)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def compile_condition(cond: Condition) -> tuple[Predicate, str]:
    """One condition set → (predicate, human description like ``status = active, in_stock``)."""
    checks: list[Predicate] = []
    words: list[str] = []
    if cond.status is not None:
        values = _as_list(cond.status)
        checks.append(_status(set(values)))
        words.append(f"status in {values}" if len(values) > 1 else f"status = {values[0]}")
    if cond.brand_in is not None:
        checks.append(_brand_in({b.strip().casefold() for b in cond.brand_in}))
        words.append(f"brand in {cond.brand_in}")
    if cond.tag_contains is not None:
        checks.append(_tag(cond.tag_contains.strip().casefold()))
        words.append(f"tags contain {cond.tag_contains!r}")
    if cond.price_min is not None:
        checks.append(_price_min(cond.price_min))
        words.append(f"price ≥ {cond.price_min}")
    if cond.price_max is not None:
        checks.append(_price_max(cond.price_max))
        words.append(f"price ≤ {cond.price_max}")
    if cond.available_min is not None:
        checks.append(_available_min(cond.available_min))
        words.append(f"available ≥ {cond.available_min}")
    if cond.in_stock is not None:
        checks.append(_in_stock(cond.in_stock))
        words.append("available > 0" if cond.in_stock else "available ≤ 0")
    if cond.category_under is not None:
        checks.append(_category_under(category_parts(cond.category_under)))
        words.append(f"category under {cond.category_under!r}")
    if cond.sku_in is not None:
        checks.append(_sku_in(set(cond.sku_in)))
        words.append(f"sku in {cond.sku_in}")
    if cond.has is not None:
        columns = _as_list(cond.has)
        checks.append(_has(columns))
        words.append(f"has {', '.join(columns)}")
    if len(checks) == 1:
        return checks[0], words[0]
    return (lambda row: all(check(row) for check in checks)), ", ".join(words)


class Filters:
    """A compiled [filters] section."""

    def __init__(self, spec: FiltersSpec) -> None:
        # every reason is a constant of the mapping, so it is written once here, not per SKU
        none_excluded = "; no filters.exclude set matched" if spec.exclude else ""
        self.include = [
            (check, f"filters.include[{i}] matched ({text}){none_excluded}")
            for i, (check, text) in enumerate(map(compile_condition, spec.include))]
        self.exclude = [
            (check, f"filtered out: filters.exclude[{i}] matched ({text})")
            for i, (check, text) in enumerate(map(compile_condition, spec.exclude))]
        wanted = " or ".join(f"({compile_condition(c)[1]})" for c in spec.include)
        self.no_include = f"filtered out: no filters.include set matched: {wanted}"
        self.default = ("no filters.exclude set matched" if spec.exclude
                        else "no [filters]: every active product is included")
        # Drafts and archived products never reach a channel unless the mapping names a status
        # itself (issue #17): "active only" is the engine's default, not a line each mapping
        # must remember.
        self.active_only = not any(c.status is not None for c in (*spec.include, *spec.exclude))

    def decide(self, row: Row) -> tuple[bool, str]:
        """(included, why): ``why`` names the filter that decided, for explain and reports."""
        if self.active_only and row.product.status != DEFAULT_STATUS:
            return False, (f"filtered out: status '{row.product.status!s}' is not "
                           f"{DEFAULT_STATUS!r} (the default; a [filters] set with a status "
                           "key decides instead)")
        why = self.default
        if self.include:
            for check, text in self.include:
                if check(row):
                    why = text
                    break
            else:
                return False, self.no_include
        for check, text in self.exclude:
            if check(row):
                return False, text
        return True, why
