"""Mapping regexes that cannot hang a run (issue #16).

Python's ``re`` backtracks: ``regex_replace`` with ``(a+)+$`` ran for more than 60 s on one
title while holding the workspace lock. Two engines, chosen per pattern when the mapping loads:

* **RE2** (https://github.com/google/re2, the ``google-re2`` wheel) whenever it accepts the
  pattern and the pattern does not use ``\\w \\d \\s \\b`` (or their negations): matching time
  is linear in the text whatever the pattern, so ``(a+)+$`` is harmless there.
* Otherwise the ``regex`` module (Python-compatible, Unicode ``\\w``/``\\d``/``\\s``, lookaround
  and backreferences), for the patterns RE2 would read differently (RE2's shorthands are ASCII:
  ``[^\\w\\s]`` would strip "é") or cannot run (``(?!…)``, ``\\1``). On that engine a pattern
  with nested repetition (``(\\d+)+``, ``(x*)*``) is refused at load — it can take exponential
  time — and every value has a time bound (:data:`CALL_TIMEOUT`): a value that exceeds it is an
  error for that SKU (``regex_timeout``, naming the rule), and only for that SKU — the next
  value gets the whole bound again (a rule is never given up for the run: one huge title must
  not hold every later SKU from the channel).

The bound is CPU time of the evaluating thread (:func:`time.thread_time`), so a loaded machine
does not turn a cheap value into an error: the ``regex`` module's own ``timeout`` is wall time,
so an attempt that runs out of wall time having used less than the bound in CPU (the machine was
busy) is tried again with the CPU time left, up to :data:`MAX_ATTEMPTS` attempts (at most
``MAX_ATTEMPTS × CALL_TIMEOUT`` seconds of wall time per value, however loaded the machine).

RE2's syntax: https://github.com/google/re2/wiki/Syntax
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import re2
import regex

SYNTAX_URL = "https://github.com/google/re2/wiki/Syntax"
MAX_PROGRAM_BYTES = 8 << 20  # RE2's memory budget per pattern
CALL_TIMEOUT = 0.25  # CPU seconds one value may take on the backtracking engine
MAX_ATTEMPTS = 3  # wall-time windows per value when the machine's load stole its CPU time
_UNICODE_SHORTHAND = re.compile(r"(?<!\\)(?:\\\\)*\\[wWdDsSbB]")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


class UnsupportedPattern(ValueError):
    """The pattern is invalid, or could take exponential time; the message says why."""


class PatternTimeout(Exception):
    """One value took longer than :data:`CALL_TIMEOUT` of CPU time (that value only)."""


@dataclass
class BoundedPattern:
    """A compiled mapping regex: ``sub`` like ``re``'s, bounded in time on either engine."""

    pattern: str
    engine: str  # "re2" or "regex"
    compiled: Any

    @property
    def groups(self) -> int:
        return int(self.compiled.groups)

    @property
    def groupindex(self) -> dict[str, int]:
        return dict(self.compiled.groupindex)

    def sub(self, replacement: str, text: str) -> str:
        """Replace every match; PatternTimeout if the backtracking engine runs out of time."""
        if self.engine == "re2":
            return str(self.compiled.sub(replacement, text))
        cpu_left = CALL_TIMEOUT
        for _attempt in range(MAX_ATTEMPTS):
            started = time.thread_time()
            try:  # the regex module's timeout is wall time: at least the CPU time left
                return str(self.compiled.sub(replacement, text, timeout=cpu_left))
            except TimeoutError:
                cpu_left -= time.thread_time() - started
            if cpu_left <= 0:
                raise PatternTimeout(f"took over {CALL_TIMEOUT} s of CPU time on a "
                                     f"{len(text)}-character value") from None
        raise PatternTimeout(f"did not finish a {len(text)}-character value in "
                             f"{MAX_ATTEMPTS} windows of {CALL_TIMEOUT} s (the machine is busy; "
                             "the next run maps it again)")


def compile_linear(pattern: str, *, ignore_case: bool = False) -> BoundedPattern:
    """The pattern on RE2 when it means the same there, else on ``regex`` with bounds."""
    if not _UNICODE_SHORTHAND.search(pattern):
        options = re2.Options()
        options.log_errors = False  # RE2 would print every refused pattern on stderr
        options.case_sensitive = not ignore_case
        options.max_mem = MAX_PROGRAM_BYTES
        try:
            return BoundedPattern(pattern, "re2", re2.compile(pattern, options=options))
        except re2.error:
            pass  # lookaround, backreferences …: the bounded backtracking engine below
    try:
        compiled = regex.compile(pattern, (regex.IGNORECASE if ignore_case else 0)
                                 | regex.VERSION0)
    except regex.error as exc:
        raise UnsupportedPattern(f"invalid regular expression {pattern[:80]!r}: {exc}") from None
    nested = _nested_repetition(pattern)
    if nested:
        raise UnsupportedPattern(
            f"regular expression {pattern[:80]!r} repeats a repetition ({nested}), which can "
            "take exponential time: remove the outer or inner quantifier; or, to run it on the "
            "linear-time engine (RE2), write [0-9] / [A-Za-z0-9_] / [ \\t\\n] instead of "
            f"\\d / \\w / \\s and avoid lookaround and backreferences ({SYNTAX_URL})")
    return BoundedPattern(pattern, "regex", compiled)


def _nested_repetition(pattern: str) -> str | None:
    """A description of the first unbounded repeat inside another repeat, if any."""
    try:
        import re._parser as sre_parse  # Python's own parser: the tree of the pattern
        tree = sre_parse.parse(pattern)
    except Exception:  # syntax only the regex module knows: the per-call time bound remains
        return None
    return _walk(list(tree), inside_repeat=False)


def _walk(items: list[Any], *, inside_repeat: bool) -> str | None:
    for op, argument in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, body = argument
            unbounded = high > 1  # includes MAXREPEAT
            if inside_repeat and unbounded:
                return "a quantifier inside a repeated group"
            found = _walk(list(body), inside_repeat=inside_repeat or unbounded)
            if found:
                return found
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            body = argument[-1] if name == "SUBPATTERN" else argument
            found = _walk(list(body), inside_repeat=inside_repeat)
            if found:
                return found
        elif name == "BRANCH":
            for branch in argument[1]:
                found = _walk(list(branch), inside_repeat=inside_repeat)
                if found:
                    return found
    return None


def check_replacement(compiled: BoundedPattern, replacement: str) -> None:
    """Raise ``re.error`` if ``replacement`` names a group the pattern lacks (``\\2``, ``\\g<x>``).

    RE2 only notices a bad reference on the first match, i.e. per SKU at run time; Python's
    template parser checks it now, against a stand-in pattern with the same groups.
    """
    names = {index: name for name, index in compiled.groupindex.items()}
    stand_in = "".join(f"(?P<{names[i]}>)" if i in names else "()"
                       for i in range(1, compiled.groups + 1))
    re.compile(stand_in).sub(replacement, "")
