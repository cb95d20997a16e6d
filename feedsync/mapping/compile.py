"""Turning a validated mapping file into plain closures, once, with every problem named.

Compilation checks what pydantic cannot: that each field is the channel's, each column is the
catalog's, each transform exists and takes the given arguments, templates parse, and the price
currency has a rate. All problems are collected and raised together as one ConfigError whose
problems read ``file:line: key: why``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from feedsync.mapping.categories import CategoryMap
from feedsync.mapping.filters import Filters
from feedsync.mapping.record import TraceStep
from feedsync.mapping.rules import (
    PriceRule,
    availability_word,
    shown_quantity,
    untracked_quantity,
)
from feedsync.mapping.schema import ChannelSchema, FieldSpec
from feedsync.mapping.sources import (
    Getter,
    Row,
    TemplateError,
    column_getter,
    compile_template,
    is_column,
    known_columns,
    parse_template,
    template_names,
    text_column,
    to_value,
)
from feedsync.mapping.spec import FieldRule, MappingFile, ProblemCollector, QuantitySpec
from feedsync.mapping.transforms import REGISTRY, Step, Value, build_transform, value_map
from feedsync.mapping.transforms_text import TruncateArgs
from feedsync.models import VARIANT_COLUMNS, Severity


@dataclass
class CompiledField:
    """One channel field: where its value comes from and what happens to it."""

    name: str
    spec: FieldSpec
    rule: str  # human description, used in issues and explain
    source: Getter
    source_text: str
    steps: list[tuple[str, Step]] = field(default_factory=list)
    value_map: Callable[[str], str] | None = None
    column: str | None = None  # the catalog column, when the source is one
    gives_text: bool = False  # the source always gives text, never a list
    # the longest text the chain can give, when its last step is a truncate (the engine then
    # need not check a length limit at least that long)
    longest: int | None = None


@dataclass
class VariantAttribute:
    """A variation axis of the store (``color``) and the channel field it fills."""

    axis: str  # casefolded
    field: str
    getter: Getter


@dataclass
class CompiledMapping:
    """Everything the engine needs for one channel, compiled."""

    fields: list[CompiledField]
    value_maps: dict[str, Callable[[str], str]]
    price: PriceRule
    quantity: QuantitySpec
    filters: Filters
    variants: list[VariantAttribute]
    require_variant_values: bool
    group_getter: Getter


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _args_text(args: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def category_getter_text(value: Value) -> str:
    """A getter's value as one string (a list joined with " > ")."""
    return value.strip() if isinstance(value, str) else " > ".join(value)


class _Compiler:
    def __init__(self, spec: MappingFile, schema: ChannelSchema, problems: ProblemCollector,
                 rates: Mapping[str, Decimal], base_currency: str) -> None:
        self.spec = spec
        self.schema = schema
        self.problems = problems
        self.rates = rates
        self.base_currency = base_currency
        self.price = PriceRule(spec.price, rates, base_currency)
        self.categories = CategoryMap(spec.categories)
        self.category_getter = self._column(spec.categories.source, ("categories", "source"))
        prefer = spec.categories.prefer
        self.category_prefer = (self._column(prefer, ("categories", "prefer"))
                                if prefer else None)
        self.group_getter = self._column(spec.variants.group_id, ("variants", "group_id"))

    # --- sources ----------------------------------------------------------------------------

    def _column(self, name: str, loc: tuple[str | int, ...]) -> Getter:
        if is_column(name):
            return column_getter(name)
        self.problems.add(loc, f"unknown column {name!r}{_suggest(name, known_columns())}; "
                               f"columns are {', '.join(known_columns())}", hint=name)
        return lambda row: ""

    def _rule_getter(self, name: str, label: str) -> Getter:
        price, quantity = self.price, self.spec.quantity
        categories, category_getter = self.categories, self.category_getter
        category_prefer = self.category_prefer
        group_getter = self.group_getter

        def priced(row: Row) -> Any:
            result = row.price
            if result is None:
                result = row.price = price.compute(row.product, row.now, row.trace)
                row.problems.extend(result.problems)
            return result

        def shown(row: Row) -> int:
            amount = row.quantity
            if amount is None:
                if not row.tracked:  # in stock without a count: reserve/buffer do not apply
                    amount = untracked_quantity(quantity)
                    if row.trace is not None:
                        row.trace.append(TraceStep(
                            label, "[quantity] untracked_quantity (stock not tracked)",
                            None, amount))
                    row.quantity = amount
                else:
                    amount = row.quantity = shown_quantity(row.available, quantity, row.trace,
                                                           label)
            return amount

        def category(row: Row) -> Value:
            if category_prefer is not None:
                own = category_getter_text(category_prefer(row))
                if own:
                    if row.trace is not None:
                        row.trace.append(TraceStep(label, "[categories] prefer",
                                                   self.spec.categories.prefer, own))
                    return own
            path = category_getter(row)
            path = path if isinstance(path, str) else " > ".join(path)
            value, matched = categories.lookup(path)
            if matched is None:
                shown_path = path or "(no category)"
                if value:
                    row.problems.append((Severity.WARNING, "category_default",
                                         f"store category {shown_path!r} is not in "
                                         f"[categories.map]; the default {value!r} is used"))
                else:
                    row.problems.append((Severity.WARNING, "category_unmapped",
                                         f"store category {shown_path!r} is not in "
                                         f"[categories.map] and there is no default"))
            elif row.trace is not None:
                row.trace.append(TraceStep(label, f"[categories] {matched!r}", path, value))
            return value

        getters: dict[str, Getter] = {
            "price": lambda row: priced(row).text,
            "sale_price": lambda row: priced(row).sale_text,
            "sale_price_effective_date": lambda row: priced(row).sale_window,
            "quantity": lambda row: str(shown(row)),
            "availability": lambda row: availability_word(shown(row), quantity),
            "category": category,
            "item_group_id": group_getter,
        }
        return getters[name]

    def _source(self, name: str, rule: FieldRule | str) -> tuple[Getter, str]:
        loc: tuple[str | int, ...] = ("fields", name)
        if isinstance(rule, str):
            return self._column(rule, loc), f"column {rule}"
        if rule.from_ is not None:
            return self._column(rule.from_, (*loc, "from")), f"column {rule.from_}"
        if rule.template is not None:
            try:
                names = template_names(parse_template(rule.template))
            except TemplateError as exc:
                self.problems.add((*loc, "template"), f"bad template: {exc}")
                return (lambda row: ""), "template"
            bad = [n for n in names if not is_column(n)]
            for n in bad:
                self.problems.add((*loc, "template"),
                                  f"unknown column {n!r} in template{_suggest(n, known_columns())}")
            if bad:
                return (lambda row: ""), "template"
            return compile_template(rule.template), f"template {rule.template!r}"
        if rule.const is not None:
            const = to_value(rule.const)
            if isinstance(const, list):
                items = list(const)
                return (lambda row: list(items)), f"const {items!r}"
            return (lambda row: const), f"const {const!r}"
        if rule.first is not None:
            getters = [self._column(c, (*loc, "first")) for c in rule.first]

            def first(row: Row) -> Value:
                for getter in getters:
                    value = getter(row)
                    if value:
                        return value
                return ""

            return first, f"first of {', '.join(rule.first)}"
        if rule.rule is not None:
            return (self._rule_getter(rule.rule, name),
                    f"rule [{_rule_section(rule.rule)}] {rule.rule}")
        if is_column(name):
            return column_getter(name), f"column {name}"
        self.problems.add(loc, "no source: give from, template, const, first or rule")
        return (lambda row: ""), "nothing"

    def _gives_text(self, rule: FieldRule | str, column: str | None) -> bool:
        """Whether the source :meth:`_source` made for ``rule`` always gives text."""
        if column is not None:
            return text_column(column)
        if isinstance(rule, str):
            return False
        if rule.const is not None:
            return not isinstance(to_value(rule.const), list)
        if rule.first is not None:
            return all(text_column(c) for c in rule.first)
        if rule.rule == "item_group_id":
            return text_column(self.spec.variants.group_id)
        return True  # a template, the other rules, or no source at all ("")

    def _steps(self, name: str, rule: FieldRule | str) -> list[tuple[str, Step]]:
        if isinstance(rule, str):
            return []
        steps: list[tuple[str, Step]] = []
        single = rule.transform is not None
        for index, ref in enumerate(rule.chain):
            loc: tuple[str | int, ...] = (("fields", name, "transform") if single
                                          else ("fields", name, "transforms", index))
            if ref.name not in REGISTRY:
                self.problems.add(loc, f"unknown transform {ref.name!r}"
                                       f"{_suggest(ref.name, list(REGISTRY))}; transforms are "
                                       f"{', '.join(sorted(REGISTRY))}", hint=ref.name)
                continue
            try:
                step = build_transform(ref.name, ref.args)
            except ValidationError as exc:
                for err in exc.errors():
                    where = [p for p in err["loc"] if isinstance(p, str | int)]
                    arg_loc = (("fields", name, "args") if single else (*loc, "args"))
                    message = ("unknown argument" if err["type"] == "extra_forbidden"
                               else err["msg"].removeprefix("Value error, "))
                    self.problems.add((*arg_loc, *where),
                                      f"transform {ref.name}: {message}", hint=ref.name)
                continue
            except ValueError as exc:
                self.problems.add(loc, f"transform {ref.name}: {exc}", hint=ref.name)
                continue
            text = f"{ref.name}({_args_text(ref.args)})" if ref.args else ref.name
            steps.append((text, step))
        return steps

    # --- sections ---------------------------------------------------------------------------

    def compile(self) -> CompiledMapping:
        spec, schema = self.spec, self.schema
        if spec.channel is not None and spec.channel != schema.channel:
            self.problems.add(("channel",), f"this file is for {spec.channel!r}, not "
                                            f"{schema.channel!r}", hint=spec.channel)
        names = list(schema.field_names)
        for name in spec.fields:
            if name not in schema:
                self.problems.add(("fields", name), f"{name!r} is not a {schema.channel} field"
                                                    f"{_suggest(name, names)}")
        value_maps: dict[str, Callable[[str], str]] = {}
        for name, table in spec.values.items():
            if name not in schema:
                self.problems.add(("values", name), f"{name!r} is not a {schema.channel} field"
                                                    f"{_suggest(name, names)}")
            value_maps[name] = value_map(table)
        compiled: list[CompiledField] = []
        for fspec in schema.fields:
            rule = spec.fields.get(fspec.name)
            if rule is None:
                continue
            source, source_text = self._source(fspec.name, rule)
            steps = self._steps(fspec.name, rule)
            text = " → ".join([source_text, *(s for s, _ in steps)])
            if fspec.name in value_maps:
                text += f" → [values.{fspec.name}]"
            column = (rule if isinstance(rule, str) else rule.from_ if rule.from_ is not None
                      else fspec.name if source_text == f"column {fspec.name}" else None)
            gives_text = self._gives_text(rule, column)
            compiled.append(CompiledField(fspec.name, fspec, f"fields.{fspec.name}: {text}",
                                          source, source_text, steps,
                                          value_maps.get(fspec.name), column,
                                          gives_text, _truncated_to(rule, steps, gives_text)))
        self._check_price()
        for index, cond in enumerate(spec.filters.include + spec.filters.exclude):
            if cond.has is not None:
                section = "include" if index < len(spec.filters.include) else "exclude"
                position = index if section == "include" else index - len(spec.filters.include)
                for column in [cond.has] if isinstance(cond.has, str) else cond.has:
                    if not is_column(column):
                        self.problems.add(("filters", section, position, "has"),
                                          f"unknown column {column!r}", hint=column)
        variants = []
        for axis, channel_field in spec.variants.attributes.items():
            if channel_field not in schema:
                self.problems.add(("variants", "attributes", axis),
                                  f"{channel_field!r} is not a {schema.channel} field"
                                  f"{_suggest(channel_field, names)}", hint=channel_field)
                continue
            key = axis.casefold()
            column = key if key in VARIANT_COLUMNS else f"attributes.{axis}"
            variants.append(VariantAttribute(key, channel_field, column_getter(column)))
        self.problems.raise_if_any()
        return CompiledMapping(compiled, value_maps, self.price, spec.quantity,
                               Filters(spec.filters), variants, spec.variants.require_values,
                               self.group_getter)

    def _check_price(self) -> None:
        price = self.spec.price
        target = price.currency
        if target is not None and target != self.base_currency and target not in self.rates:
            self.problems.add(("price", "currency"),
                              f"no rate for {target} in feedsync.toml [currency_rates] "
                              f"(rates are per 1 {self.base_currency})", hint=target)
        try:
            price.format.format(amount="1.00", currency="USD")
        except (KeyError, IndexError, ValueError) as exc:
            self.problems.add(("price", "format"),
                              f"format may only use {{amount}} and {{currency}} ({exc})")


# Transforms that turn text into text (never a list): a chain of these on a text source gives
# text, so its final truncate bounds the value the engine sends.
_TEXT_TO_TEXT = frozenset({"strip_html", "collapse_whitespace", "strip", "truncate", "upper",
                           "lower", "title_case", "sentence_case", "replace", "regex_replace",
                           "prefix", "suffix"})


def _truncated_to(rule: FieldRule | str, steps: list[tuple[str, Step]],
                  gives_text: bool) -> int | None:
    """``max`` of the chain's last step when it is a truncate of text (its result is never
    longer: :func:`~feedsync.mapping.transforms_text.truncate_text`), else None."""
    if isinstance(rule, str) or not steps or not gives_text:
        return None
    chain = rule.chain
    if len(chain) != len(steps) or chain[-1].name != "truncate":
        return None  # a step failed to compile (reported) or the chain ends otherwise
    if any(ref.name not in _TEXT_TO_TEXT for ref in chain):
        return None  # e.g. split: a list, joined with ", " for a single-valued field
    return TruncateArgs.model_validate(chain[-1].args).max


def _rule_section(rule: str) -> str:
    return {"quantity": "quantity", "availability": "quantity", "category": "categories",
            "item_group_id": "variants"}.get(rule, "price")


def compile_mapping(spec: MappingFile, schema: ChannelSchema, problems: ProblemCollector, *,
                    rates: Mapping[str, Decimal], base_currency: str) -> CompiledMapping:
    """Compile a mapping for ``schema``; raise ConfigError listing every problem."""
    return _Compiler(spec, schema, problems, rates, base_currency).compile()
