"""Mapping regexes cannot hang a run (issue #16, point 10).

`regex_replace` with `(a+)+$` ran past 60 s on Python's backtracking engine while holding the
workspace lock. Patterns now run on RE2 (linear time) when it reads them the same way; the rest
run on a bounded backtracking engine, where nested repetition is refused when the mapping loads
and each value has a time bound (an error for that SKU, never a hung run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsync.errors import ConfigError
from feedsync.mapping import linear_regex
from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.transforms import build_transform
from feedsync.registry import channel_schema


def run(step: object, value: str) -> tuple[object, list[tuple[object, str, str]]]:
    problems: list[tuple[object, str, str]] = []
    return step(value, problems), problems  # type: ignore[operator]


def test_catastrophic_pattern_runs_on_the_linear_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """``(a+)+$`` (longer than the universe on Python's re for this text) is given to RE2,
    whose matching is linear by construction; the backtracking engine is never asked. What
    is asserted is the engine chosen and the answer, not a duration (no timed unit tests)."""
    assert linear_regex.compile_linear("(a+)+$").engine == "re2"

    def backtracking(*args: object, **kwargs: object) -> None:
        raise AssertionError("(a+)+$ reached the backtracking engine")

    monkeypatch.setattr(linear_regex.regex, "compile", backtracking)
    step = build_transform("regex_replace", {"pattern": "(a+)+$", "replacement": "x"})
    text = "a" * 50_000 + "!"
    assert run(step, text) == (text, [])
    assert run(step, "aaa") == ("x", [])


def mapping_with(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "google.toml"
    pattern_toml = pattern.replace("\\", "\\\\")
    path.write_text(
        '[fields]\nid = "sku"\ntitle = { from = "title", transforms = '
        f'[{{ name = "regex_replace", args = {{ pattern = "{pattern_toml}" }} }}] }}\n',
        encoding="utf-8")
    return path


@pytest.mark.parametrize("pattern, reason", [
    (r"(\d+)+$", "can take exponential time"),
    (r"(\s*x)*y", "can take exponential time"),
    ("(unclosed", "invalid regular expression"),
])
def test_catastrophic_or_invalid_pattern_is_a_load_error(tmp_path: Path, pattern: str,
                                                          reason: str) -> None:
    path = mapping_with(tmp_path, pattern)
    with pytest.raises(ConfigError) as exc:
        ChannelMapper(channel_schema("google"), path)
    text = exc.value.message + "\n".join(exc.value.problems)
    assert str(path) in text and reason in text, text


@pytest.mark.parametrize("pattern, engine", [
    ("(a+)+$", "re2"), (r"^Size:[ ]*", "re2"),
    (r"^(?!\d{12}$).*$", "regex"),  # lookahead (mappings/ebay.toml)
    (r"[^\w\s'-]|_", "regex"),  # Unicode \w: keeps "é" (mappings/etsy.toml)
])
def test_engine_choice_keeps_python_meaning(pattern: str, engine: str) -> None:
    assert linear_regex.compile_linear(pattern).engine == engine
    assert linear_regex.compile_linear(r"[^\w\s'-]|_").sub(" ", "Café_crème!") == "Café crème "


def test_a_value_over_the_time_bound_is_an_error_for_that_sku(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linear_regex, "CALL_TIMEOUT", 1e-9)
    step = build_transform("regex_replace", {"pattern": r"\s*lb$"})
    value, problems = run(step, " " * 200_000 + "x")
    assert value == " " * 200_000 + "x"  # left as it was
    assert [p[1] for p in problems] == ["regex_timeout"]
    assert "regex_replace '\\\\s*lb$'" in problems[0][2]  # names the rule


class _SlowFor:
    """Stands in for a compiled ``regex`` pattern: the values in ``slow`` time out, the others
    are replaced; ``spend`` is the CPU time a timed-out call is said to have used."""

    def __init__(self, real: object, slow: set[str], spend: float) -> None:
        self.real, self.slow, self.spend, self.calls = real, slow, spend, 0
        self.groups, self.groupindex = 0, {}

    def sub(self, replacement: str, text: str, timeout: float) -> str:
        self.calls += 1
        if text in self.slow:
            _CPU.append(_CPU[-1] + self.spend)
            raise TimeoutError("regex timed out")
        return self.real.sub(replacement, text)  # type: ignore[attr-defined, no-any-return]


_CPU = [0.0]


def test_timeouts_never_poison_the_rule_for_later_skus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reviewer: after 3 values over the bound, every later SKU using the rule got a
    regex_timeout for the whole run. The bound is per value: later values are replaced."""
    monkeypatch.setattr(linear_regex.time, "thread_time", lambda: _CPU[-1])
    pattern = linear_regex.compile_linear(r"\s*lb$")
    assert pattern.engine == "regex"
    fake = _SlowFor(pattern.compiled, {"slow"}, spend=1.0)  # a real CPU-bound timeout
    pattern.compiled = fake
    for _ in range(5):
        with pytest.raises(linear_regex.PatternTimeout, match="CPU"):
            pattern.sub("", "slow")
    assert fake.calls == 5  # one attempt each: it used its whole CPU budget
    assert pattern.sub("", "Mug 2 lb") == "Mug 2"


def test_a_timeout_caused_by_machine_load_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regex module's timeout is wall time; an attempt that timed out having used little
    of this thread's CPU (time.thread_time: the machine was busy) is tried again, up to
    MAX_ATTEMPTS, so a loaded machine does not turn a cheap value into an error."""
    monkeypatch.setattr(linear_regex.time, "thread_time", lambda: _CPU[-1])
    pattern = linear_regex.compile_linear(r"\s*lb$")
    fake = _SlowFor(pattern.compiled, {"busy"}, spend=0.0)
    pattern.compiled = fake
    with pytest.raises(linear_regex.PatternTimeout, match="busy"):
        pattern.sub("", "busy")
    assert fake.calls == linear_regex.MAX_ATTEMPTS
    fake.slow = set()
    assert pattern.sub("", "busy 1 lb") == "busy 1"


def test_bad_group_reference_is_still_a_load_error() -> None:
    with pytest.raises(ValueError, match="invalid replacement"):
        build_transform("regex_replace", {"pattern": "(a)", "replacement": r"\2"})
    step = build_transform("regex_replace", {"pattern": "(?P<c>[a-z]+)-([0-9]+)",
                                             "replacement": r"\2 \g<c>", "ignore_case": True})
    assert run(step, "Blue-42") == ("42 Blue", [])
