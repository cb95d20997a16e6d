"""The field plan of one mapping as a single generated function (the engine's hot path).

A feed build runs the same ~30 fields for every product. As a loop over a list of
``(name, rule, run, check)`` entries, the loop itself (unpacking, a call per field, a call per
check) cost about as much as the values did (issue #19). So the plan is written out once per
mapping, field after field, as the source of one function and compiled with :func:`exec`, the way
:mod:`dataclasses` writes ``__init__``:

- a field that is a plain column of the product, as it is, reads it in place
  (``v = product.mpn``, ``v = product.attributes.get('custom_label_0')`` …) instead of calling
  a getter (:func:`feedsync.mapping.hotpath.inline_read` writes these expressions);
- a field whose only rule is a length limit is checked in place (``len(v) > 70``), and not at
  all when its chain ends with a ``truncate`` no longer than the limit;
- every other field calls its closure from :mod:`feedsync.mapping.hotpath` and its check from
  :class:`~feedsync.mapping.validate.SchemaValidator`, as before;
- problems are attributed to a field only after the fields that can report one.

The generated text holds no code from the mapping file: field names and attribute keys are
written with ``repr``, columns are Product attribute names (identifiers), closures are passed in
by name. The result is
the same values, the same "passed every check" answer and the same issues, in the same order, as
the field-by-field walk that ``feedsync explain`` uses (tests/mapping/test_unrolled.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedsync.mapping.record import FieldValue, MappedRecord
from feedsync.mapping.sources import Row
from feedsync.mapping.transforms import Problem
from feedsync.models import Issue

if TYPE_CHECKING:
    from feedsync.mapping.hotpath import ChainMemo

FieldsRun = Callable[[Row, MappedRecord], tuple[dict[str, FieldValue], bool]]


@dataclass(frozen=True)
class FieldStep:
    """What the generated function does for one field.

    ``read``: an expression over ``product`` giving the value in place, where ``{run}`` stands
    for ``run(row)`` (the general way, for values the expression does not cover); otherwise
    ``run(row)`` gives the value. ``limit``: the check is ``len(value) <= limit``,
    done in place; otherwise ``check`` (None: nothing to check). ``reports``: ``run`` may add
    problems to ``row.problems``.
    """

    name: str
    rule: str
    run: Callable[[Row], FieldValue | None]
    check: Callable[[Any], bool] | None = None
    read: str | None = None
    limit: int | None = None
    reports: bool = True
    # the chain's memo, and the expression over ``product`` giving its key: a remembered text
    # result without problems is replayed in place, anything else goes through ``run``
    memo: ChainMemo | None = None
    memo_key: str | None = None


def _blame(record: MappedRecord, problems: list[Problem], name: str, rule: str) -> None:
    """Turn the problems one field reported into the record's issues (rare: out of line)."""
    sku = record.sku
    record.issues.extend(Issue(sku, severity, code, message, name, rule)
                         for severity, code, message in problems)
    problems.clear()


def unroll(steps: Sequence[FieldStep]) -> FieldsRun:
    """One function ``run(row, record) -> (values, passed)`` doing ``steps`` in order.

    ``values`` holds the non-empty values by field name, in the order of ``steps``; ``passed``
    is True when every value passed its check (the validator then only looks for missing
    values); problems become ``record.issues`` naming the field and its rule.
    """
    namespace: dict[str, Any] = {"_blame": _blame}
    lines = ["def run_fields(row, record):",
             "    product = row.product",
             "    problems = row.problems",
             "    values = {}",
             "    passed = True"]
    for index, step in enumerate(steps):
        name = repr(step.name)
        namespace[f"rule_{index}"] = step.rule
        namespace[f"run_{index}"] = step.run
        call = f"run_{index}(row)"
        if step.memo is not None and step.memo_key is not None:
            namespace[f"memo_{index}"] = step.memo
            namespace[f"entries_{index}"] = step.memo.entries  # cleared, never replaced
            lines += [f"    if memo_{index}.useful and (h := entries_{index}.get("
                      f"{step.memo_key} or '')) is not None and not h[1] "
                      "and h[0].__class__ is str:",
                      f"        if not memo_{index}.decided:",
                      f"            memo_{index}.hits += 1",
                      "        v = h[0]",
                      "    else:",
                      f"        v = {call}"]
        else:
            lines.append(f"    v = {step.read.format(run=call) if step.read else call}")
        lines.append("    if v:")
        lines.append(f"        values[{name}] = v")
        if step.limit is not None:
            lines.append(f"        if len(v) > {int(step.limit)}:")
            lines.append("            passed = False")
        elif step.check is not None:
            namespace[f"check_{index}"] = step.check
            lines.append(f"        if passed and not check_{index}(v):")
            lines.append("            passed = False")
        if step.reports and (step.read is None or "{run}" in step.read):
            lines.append("    if problems:")
            lines.append(f"        _blame(record, problems, {name}, rule_{index})")
    lines.append("    return values, passed")
    exec(compile("\n".join(lines), "<feedsync field plan>", "exec"), namespace)
    run_fields: FieldsRun = namespace["run_fields"]
    return run_fields
