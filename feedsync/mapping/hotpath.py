"""The engine's hot path: each compiled field as one closure, and a memo of its transforms.

``feedsync explain`` walks the compiled fields step by step and records a trace; everything else
(feed builds, validate, sync) runs these closures instead, which give the same values and the
same problems without the bookkeeping.

Why a memo: transforms are pure functions of the value they receive (their arguments are fixed
when the mapping is loaded), and a catalog repeats values: the variants of a family share a
description, brands, conditions and categories come from a short list. So each field keeps the
result of its transform chain (and the problems the chain reported) per distinct input text and
replays it; ``strip_html`` on a family's description runs once, not once per variant. The memo
is bounded (entries and characters), so memory stays flat as the catalog grows, and a field
whose values never repeat (GTINs, titles naming the variant) stops using it after a trial.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from feedsync.mapping.compile import CompiledField
from feedsync.mapping.record import FieldValue
from feedsync.mapping.sources import ATTRIBUTE_PREFIX, Row, column_type
from feedsync.mapping.transforms import Problem, Step, Value
from feedsync.mapping.unrolled import FieldStep

Runner = Callable[[Row], FieldValue | None]

MEMO_ENTRIES = 8192  # per field
MEMO_CHARS = 1 << 20  # per field: inputs and results held, in characters (a few MB at most)
MEMO_TRIAL = 4096  # misses before deciding whether a field's values repeat enough
MEMO_MIN_HIT_SHARE = 0.125

Remembered = tuple[str | tuple[str, ...], tuple[Problem, ...]]


class ChainMemo:
    """Results of one field's transform chain by input text, with the problems it reported.

    The closure reads ``entries`` itself and counts ``hits``; :meth:`remember` does the rest.
    """

    __slots__ = ("_chars", "decided", "entries", "hits", "misses", "useful")

    def __init__(self) -> None:
        self.entries: dict[str, Remembered] = {}
        self._chars = 0
        self.hits = 0
        self.misses = 0
        self.useful = True  # False once the trial showed the values do not repeat
        self.decided = False  # the trial is over: hits no longer need counting

    def remember(self, text: str, result: str | tuple[str, ...],
                 problems: tuple[Problem, ...]) -> None:
        """Keep ``result`` after a miss; when a bound is reached, start over (no ageing)."""
        self.misses += 1
        if self.misses == MEMO_TRIAL:
            self.useful = self.hits >= MEMO_MIN_HIT_SHARE * (self.hits + self.misses)
            self.decided = True
            if not self.useful:
                self.entries.clear()
                return
        size = len(text) + (len(result) if result.__class__ is str else sum(map(len, result)))
        if size > MEMO_CHARS:
            return
        if self._chars + size > MEMO_CHARS or len(self.entries) >= MEMO_ENTRIES:
            self.entries.clear()
            self._chars = 0
        self.entries[text] = (result, problems)
        self._chars += size


def field_step(cf: CompiledField, repeated: bool, check: Callable[[Any], bool] | None,
               length_limit: int | None) -> FieldStep:
    """What the unrolled plan does for one field (:mod:`feedsync.mapping.unrolled`).

    ``check``: the validator's yes/no test of the field's value; ``length_limit``: set when
    that test is only ``len(value) <= length_limit``."""
    run, memo = _runner(cf, repeated)
    read = inline_read(cf) if not cf.steps and cf.value_map is None and not repeated else None
    key = f"product.{cf.column}" if memo is not None else None  # a text column: see _runner
    if length_limit is not None and cf.longest is not None and cf.longest <= length_limit \
            and cf.value_map is None and not repeated:
        # the truncate keeps it short
        return FieldStep(cf.name, cf.rule, run, read=read, memo=memo, memo_key=key)
    return FieldStep(cf.name, cf.rule, run, None if length_limit is not None else check,
                     read, length_limit, memo=memo, memo_key=key)


def inline_read(cf: CompiledField) -> str | None:
    """The field's value as an expression over ``product`` (``{run}``: the field's getter,
    for what the expression does not cover), when its source is a column read as it is;
    None otherwise. A missing value may read as None, which the engine treats as empty."""
    column = cf.column
    if column is None:
        return None
    if column_type(column) in ("str", "str | None"):
        if not column.isidentifier():  # Product's own field names always are
            return None
        return f"product.{column}"
    if column == "image":
        return "product.images[0] if product.images else None"
    if column == "product_url":
        return "product.link or {run}"  # product_url() gives the link first when there is one
    if column.startswith(ATTRIBUTE_PREFIX):
        key = repr(column[len(ATTRIBUTE_PREFIX):]).replace("{", "{{").replace("}", "}}")
        # text (most attributes) as it is, a missing one as None; lists and numbers as to_value
        return (f"a if (a := product.attributes.get({key})) is None or a.__class__ is str "
                "else {run}")
    return None


def _finisher(steps: tuple[Step, ...], lookup: Callable[[str], str] | None,
              repeated: bool) -> Callable[[Value, list[Problem]], FieldValue]:
    """Transforms → value map → the field's shape (a list for repeated fields, else text)."""

    def finish(value: Value, problems: list[Problem]) -> FieldValue:
        for step in steps:
            value = step(value, problems)
        if lookup is not None and value:
            value = lookup(value) if value.__class__ is str else [lookup(v) for v in value]
        if value.__class__ is str:
            return ([value] if value else []) if repeated else value
        return [v for v in value if v] if repeated else ", ".join(v for v in value if v)

    return finish


def _product_text(cf: CompiledField) -> Callable[[Row], str | None] | None:
    """Reads the field's text column straight off ``row.product`` (one C call), when its
    source is a plain text column of the product; None otherwise."""
    if cf.column is not None and column_type(cf.column) in ("str", "str | None"):
        return attrgetter(f"product.{cf.column}")
    return None


def runner(cf: CompiledField, repeated: bool) -> Runner:
    """One field's source → transforms → value map → shape, as few calls as it allows:
    most fields of most mappings are a column as it is, or a column through transforms."""
    return _runner(cf, repeated)[0]


def _runner(cf: CompiledField, repeated: bool) -> tuple[Runner, ChainMemo | None]:
    """:func:`runner`, and the memo of its chain when its source is a text column of the
    product (the unrolled plan then replays a remembered text itself)."""
    source, lookup = cf.source, cf.value_map
    steps = tuple(step for _, step in cf.steps)
    read = _product_text(cf)

    if not steps and lookup is None and not repeated:
        if read is not None:
            return read, None  # a missing value is None, which the engine treats as empty
        if cf.gives_text:
            return source, None

        def joined(row: Row) -> FieldValue:
            value = source(row)
            return value if value.__class__ is str else ", ".join(v for v in value if v)

        return joined, None

    finish = _finisher(steps, lookup, repeated)
    known = ChainMemo()
    entries = known.entries

    def remembered(value: str, problems: list[Problem]) -> FieldValue:
        """A miss: run the chain and keep its result (hits are handled by the callers)."""
        before = len(problems)
        result = finish(value, problems)
        kept = result if result.__class__ is str else tuple(result)  # never shared
        known.remember(value, kept, tuple(problems[before:]))
        return result

    if read is not None:  # a text column through transforms (title, description, brand …)
        def run_text(row: Row) -> FieldValue:
            value = read(row) or ""
            if not known.useful:
                return finish(value, row.problems)
            hit = entries.get(value)
            if hit is None:
                return remembered(value, row.problems)
            if not known.decided:  # hits only count until the trial is over
                known.hits += 1
            kept, found = hit
            if found:
                row.problems.extend(found)
            # records never share a list: a caller may change its record's values
            return kept if kept.__class__ is str else list(kept)

        return run_text, known

    def run(row: Row) -> FieldValue:
        # a source's own problems (a rule's) are never remembered
        value = source(row)
        if value.__class__ is not str or not known.useful:  # lists are not worth a key
            return finish(value, row.problems)
        hit = entries.get(value)
        if hit is None:
            return remembered(value, row.problems)
        if not known.decided:
            known.hits += 1
        kept, found = hit
        if found:
            row.problems.extend(found)
        return kept if kept.__class__ is str else list(kept)

    return run, None
