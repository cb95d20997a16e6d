"""The closed set of named transforms a mapping file can chain (docs/mapping.md lists them all).

A transform is built once, when the mapping file is loaded, from its validated arguments into a
plain function ``step(value, problems) -> value``. ``value`` is a string or a list of strings
(repeated fields); the empty string / empty list means "no value". A step that finds bad data
appends ``(severity, code, message)`` to ``problems`` instead of raising, so one bad SKU never
stops a run. There is deliberately no expression language: a merchant who needs more asks for a
new, documented, tested transform.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feedsync.mapping.linear_regex import PatternTimeout, check_replacement, compile_linear
from feedsync.models import Severity

Value = str | list[str]
Problem = tuple[Severity, str, str]  # severity, code, message
Step = Callable[[Value, list[Problem]], Value]


class Args(BaseModel):
    """Base of every transform's arguments: unknown arguments are load errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoArgs(Args):
    """The transform takes no arguments."""


@dataclass(frozen=True)
class TransformDef:
    """A named transform: its argument model, its builder and a documented example."""

    name: str
    summary: str
    args: type[Args]
    build: Callable[[Any], Step]
    example_in: Value
    example_args: dict[str, Any]
    example_out: Value


REGISTRY: dict[str, TransformDef] = {}


def _register(name: str, summary: str, args: type[Args], example: tuple[Value, dict[str, Any],
              Value]) -> Callable[[Callable[[Any], Step]], Callable[[Any], Step]]:
    def decorate(build: Callable[[Any], Step]) -> Callable[[Any], Step]:
        REGISTRY[name] = TransformDef(name, summary, args, build, *example)
        return build

    return decorate


def build_transform(name: str, args: dict[str, Any]) -> Step:
    """Build one step; raises KeyError (unknown name) or pydantic.ValidationError (bad args)."""
    definition = REGISTRY[name]
    return definition.build(definition.args.model_validate(args))


def per_item(fn: Callable[[str], str]) -> Step:
    """Lift a str → str function to values: applied to the string or to each list item."""

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return fn(value) if value else value
        return [out for item in value if item and (out := fn(item))]

    return step


# --- text -----------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Inline (phrasing) tags vanish without a trace, so "<b>cotton</b>," stays "cotton,"; every other
# tag (paragraphs, list items, line breaks …) separates words. The names are spelt out in lower
# and upper case rather than with re.IGNORECASE, which makes the scan ~10x slower; a tag in mixed
# case is still removed, by _TAG, as a word separator.
_INLINE_NAMES = ("a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i",
                 "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
                 "u", "var", "wbr")


def _trie(words: set[str]) -> str:
    """An alternation of ``words`` grouped by common prefix (``b(?:d(?:i|o))?`` for b, bdi,
    bdo): the regex engine then tries one branch per letter at each ``<``, not every name,
    which halves the cost of the scan. It matches exactly the same strings."""
    heads: dict[str, set[str]] = {}
    for word in words:
        heads.setdefault(word[0], set()).add(word[1:])
    branches = []
    for head, tails in sorted(heads.items()):
        rest = tails - {""}
        branch = re.escape(head)
        if len(rest) == 1 and "" not in tails:
            branch += re.escape(rest.pop())  # one way on: plain letters
        elif rest:
            branch += f"(?:{_trie(rest)})" + ("?" if "" in tails else "")
        branches.append(branch)
    return "|".join(branches)


# A name is always followed by whitespace, "/" or ">", so at most one name matches at a "<".
_INLINE_TAG = re.compile(
    r"</?(?:" + _trie({v for n in _INLINE_NAMES for v in (n, n.upper())})
    + r")(?:\s[^<>]*)?/?>")
_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _strip_html_once(text: str) -> str:
    if "<" in text:
        if "<s" in text or "<S" in text:
            text = _SCRIPT.sub(" ", text)
        if "<!--" in text:
            text = _COMMENT.sub(" ", text)
        text = _INLINE_TAG.sub("", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isprintable():  # cheap test; the regex only runs on text with odd characters
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def strip_html_text(text: str) -> str:
    """Remove tags, comments, scripts and entities; collapse whitespace.

    Iterates to a fixed point so that text holding escaped markup (``&lt;b&gt;``) ends up free of
    markup too: the result is stable, ``strip_html(strip_html(x)) == strip_html(x)``. Every pass
    that changes the text makes it shorter (or only normalises whitespace), so this terminates.
    """
    while True:
        stripped = _strip_html_once(text)
        # without "<" or "&" another pass could only repeat work already done
        if stripped == text or ("<" not in stripped and "&" not in stripped):
            return stripped
        text = stripped


@_register("strip_html", "Remove HTML tags, comments, scripts and entities; collapse whitespace.",
           NoArgs, ("<p>Soft &amp; <b>warm</b></p>", {}, "Soft & warm"))
def _strip_html(args: NoArgs) -> Step:
    return per_item(strip_html_text)


@_register("collapse_whitespace", "Trim and turn every run of whitespace into one space.",
           NoArgs, ("  two\n\tlines  ", {}, "two lines"))
def _collapse(args: NoArgs) -> Step:
    return per_item(lambda s: " ".join(s.split()))


class StripArgs(Args):
    chars: str | None = None


@_register("strip", "Trim whitespace (or the given characters) from both ends.",
           StripArgs, ("--SKU--", {"chars": "-"}, "SKU"))
def _strip(args: StripArgs) -> Step:
    chars = args.chars
    return per_item(lambda s: s.strip(chars))


class TruncateArgs(Args):
    max: int = Field(gt=0)
    ellipsis: str = ""
    word_boundary: bool = True


def truncate_text(text: str, limit: int, ellipsis: str = "", word_boundary: bool = True) -> str:
    """Shorten ``text`` to at most ``limit`` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    if len(ellipsis) >= limit:
        ellipsis = ""
    room = limit - len(ellipsis)
    cut = text[:room]
    if word_boundary and not text[room].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        if space > 0:
            cut = cut[:space]
    cut = cut.rstrip(" \t\n,;:-–—")
    return (cut + ellipsis) if cut else text[:room] + ellipsis


@_register("truncate", "Cut to at most `max` characters at a word boundary (optional ellipsis).",
           TruncateArgs, ("Soft organic cotton tee", {"max": 15, "ellipsis": "…"}, "Soft organic…"))
def _truncate(args: TruncateArgs) -> Step:
    limit, ellipsis, words = args.max, args.ellipsis, args.word_boundary
    return per_item(lambda s: truncate_text(s, limit, ellipsis, words))


@_register("upper", "UPPER CASE.", NoArgs, ("Acme", {}, "ACME"))
def _upper(args: NoArgs) -> Step:
    return per_item(str.upper)


@_register("lower", "lower case.", NoArgs, ("Acme", {}, "acme"))
def _lower(args: NoArgs) -> Step:
    return per_item(str.lower)


def _title_word(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


@_register("title_case", "Capitalise the first letter of every word, lower-case the rest.",
           NoArgs, ("soft COTTON tee", {}, "Soft Cotton Tee"))
def _title_case(args: NoArgs) -> Step:
    return per_item(lambda s: " ".join(_title_word(w) for w in s.split(" ")))


_SENTENCE_START = re.compile(r"(^|[.!?]\s+)(\w)")


@_register("sentence_case", "Lower-case everything, then capitalise the start of each sentence.",
           NoArgs, ("SOFT TEE. MACHINE WASH", {}, "Soft tee. Machine wash"))
def _sentence_case(args: NoArgs) -> Step:
    def apply(text: str) -> str:
        return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())

    return per_item(apply)


class ReplaceArgs(Args):
    old: str = Field(min_length=1)
    new: str = ""


@_register("replace", "Replace every occurrence of the text `old` by `new`.",
           ReplaceArgs, ("T-Shirt", {"old": "-", "new": " "}, "T Shirt"))
def _replace(args: ReplaceArgs) -> Step:
    old, new = args.old, args.new
    return per_item(lambda s: s.replace(old, new))


class RegexReplaceArgs(Args):
    pattern: str
    replacement: str = ""
    ignore_case: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        compile_linear(pattern)  # UnsupportedPattern (a ValueError) names what is refused
        return pattern


@_register("regex_replace", "Replace matches of a regular expression (`\\1` refers to groups).",
           RegexReplaceArgs, ("Size: XL", {"pattern": "^Size:\\s*", "replacement": ""}, "XL"))
def _regex_replace(args: RegexReplaceArgs) -> Step:
    # RE2: linear time whatever the pattern and the text (a mapping can never hang a run).
    compiled = compile_linear(args.pattern, ignore_case=args.ignore_case)
    replacement = args.replacement
    try:  # a bad group reference in the replacement is a load error, not a per-SKU crash
        check_replacement(compiled, replacement)
    except (re.error, IndexError) as exc:
        raise ValueError(f"invalid replacement {replacement!r}: {exc}") from None

    def replace(text: str, problems: list[Problem]) -> str:
        try:
            return compiled.sub(replacement, text)
        except PatternTimeout as exc:  # only on the bounded backtracking engine
            problems.append((Severity.ERROR, "regex_timeout",
                             f"regex_replace {args.pattern[:60]!r} {exc}"))
            return text

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return replace(value, problems) if value else value
        return [out for item in value if item and (out := replace(item, problems))]

    return step


class AffixArgs(Args):
    text: str


@_register("prefix", "Put `text` in front of a non-empty value.",
           AffixArgs, ("red", {"text": "Colour: "}, "Colour: red"))
def _prefix(args: AffixArgs) -> Step:
    text = args.text
    return per_item(lambda s: text + s)


@_register("suffix", "Put `text` after a non-empty value.",
           AffixArgs, ("42", {"text": " EU"}, "42 EU"))
def _suffix(args: AffixArgs) -> Step:
    text = args.text
    return per_item(lambda s: s + text)


# --- lists and emptiness --------------------------------------------------------------------

class JoinArgs(Args):
    sep: str = ", "


@_register("join", "Join a list into one string with `sep`.",
           JoinArgs, (["cotton", "linen"], {"sep": " / "}, "cotton / linen"))
def _join(args: JoinArgs) -> Step:
    sep = args.sep

    def step(value: Value, problems: list[Problem]) -> Value:
        return value if isinstance(value, str) else sep.join(v for v in value if v)

    return step


class SplitArgs(Args):
    sep: str = Field(default=",", min_length=1)


@_register("split", "Split a string on `sep` into a list (items trimmed, empty ones dropped).",
           SplitArgs, ("red, blue,", {"sep": ","}, ["red", "blue"]))
def _split(args: SplitArgs) -> Step:
    sep = args.sep

    def step(value: Value, problems: list[Problem]) -> Value:
        items = value.split(sep) if isinstance(value, str) else value
        return [s for item in items if (s := item.strip())]

    return step


class SliceArgs(Args):
    start: int = 0
    stop: int | None = None


@_register("slice", "Keep list items from `start` up to (not including) `stop`.",
           SliceArgs, (["a.jpg", "b.jpg", "c.jpg"], {"start": 1}, ["b.jpg", "c.jpg"]))
def _slice(args: SliceArgs) -> Step:
    start, stop = args.start, args.stop

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            value = [value] if value else []
        return value[start:stop]

    return step


@_register("first_non_empty", "The first non-empty item of a list, as a string.",
           NoArgs, (["", "B-200", "C-300"], {}, "B-200"))
def _first_non_empty(args: NoArgs) -> Step:
    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return value
        return next((v for v in value if v), "")

    return step


class DefaultArgs(Args):
    value: str


@_register("default", "Use `value` when there is no value.",
           DefaultArgs, ("", {"value": "new"}, "new"))
def _default(args: DefaultArgs) -> Step:
    fallback = args.value

    def step(value: Value, problems: list[Problem]) -> Value:
        return value if value else fallback

    return step


class YesNoArgs(Args):
    yes: str = "yes"
    no: str = "no"


@_register("yes_no", "`yes` when there is a value, `no` when there is none.",
           YesNoArgs, ("", {"yes": "", "no": "no"}, "no"))
def _yes_no(args: YesNoArgs) -> Step:
    yes, no = args.yes, args.no

    def step(value: Value, problems: list[Problem]) -> Value:
        return yes if value else no

    return step


class MapArgs(Args):
    values: dict[str, str]
    default: str | None = None
    case_sensitive: bool = False


def value_map(values: dict[str, str], default: str | None = None,
              case_sensitive: bool = False) -> Callable[[str], str]:
    """A str → str lookup: unmatched values pass through unless ``default`` is given."""
    table = dict(values) if case_sensitive else {k.strip().casefold(): v for k, v in values.items()}

    def lookup(text: str) -> str:
        key = text if case_sensitive else text.strip().casefold()
        found = table.get(key)
        if found is not None:
            return found
        return text if default is None else default

    return lookup


@_register("map", "Translate values through a table (`default` for anything not listed).",
           MapArgs, ("Brand new", {"values": {"brand new": "new"}}, "new"))
def _map(args: MapArgs) -> Step:
    lookup = value_map(args.values, args.default, args.case_sensitive)

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return lookup(value) if value else value
        return [out for item in value if (out := lookup(item))]

    return step


# --- numbers, units, prices -----------------------------------------------------------------

_NUMBER_UNIT = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*$")

WEIGHT_UNITS: dict[str, Decimal] = {  # in grams
    "g": Decimal(1), "kg": Decimal(1000), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125"),
}
LENGTH_UNITS: dict[str, Decimal] = {  # in millimetres
    "mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000), "in": Decimal("25.4"),
    "ft": Decimal("304.8"),
}
_UNIT_ALIASES = {"kgs": "kg", "lbs": "lb", "gram": "g", "grams": "g", "inch": "in",
                 "inches": "in"}


def _plain(amount: Decimal, decimals: int) -> str:
    """``amount`` rounded half-up to ``decimals`` places, without trailing zeros or exponent."""
    quantum = Decimal(1).scaleb(-decimals)
    text = format(amount.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unit_converter(units: dict[str, Decimal], kind: str) -> Callable[[Any], Step]:
    def build(args: Any) -> Step:
        to, default_from, decimals = args.to, args.from_, args.decimals

        memo: dict[str, str] = {}  # catalogs repeat the same few weights and sizes

        def convert(text: str, problems: list[Problem]) -> str:
            found = memo.get(text)
            if found is not None:
                return found
            match = _NUMBER_UNIT.match(text)
            unit = ""
            if match:
                unit = match.group(2).lower()
                unit = _UNIT_ALIASES.get(unit, unit) or (default_from or "")
            if not match or unit not in units:
                problems.append((Severity.WARNING, f"bad_{kind}",
                                 f"cannot read {kind} {text!r} (expected a number and one of "
                                 f"{', '.join(units)}); value dropped"))
                return ""
            amount = Decimal(match.group(1).replace(",", "."))
            try:
                result = f"{_plain(amount * units[unit] / units[to], decimals)} {to}"
            except InvalidOperation:
                problems.append((Severity.WARNING, f"bad_{kind}",
                                 f"{kind} {text!r} is out of range; value dropped"))
                return ""
            if len(memo) < 4096:
                memo[text] = result
            return result

        def step(value: Value, problems: list[Problem]) -> Value:
            if isinstance(value, str):
                return convert(value, problems) if value else value
            return [out for item in value if item and (out := convert(item, problems))]

        return step

    return build


class WeightArgs(Args):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    to: Literal["g", "kg", "lb", "oz"]
    from_: Literal["g", "kg", "lb", "oz"] | None = Field(default=None, alias="from")
    decimals: int = Field(default=3, ge=0, le=6)


class LengthArgs(Args):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    to: Literal["mm", "cm", "m", "in", "ft"]
    from_: Literal["mm", "cm", "m", "in", "ft"] | None = Field(default=None, alias="from")
    decimals: int = Field(default=2, ge=0, le=6)


_register("convert_weight", "Convert `<number> <unit>` (or a bare number in unit `from`) to `to`.",
          WeightArgs, ("1.5 lb", {"to": "kg", "decimals": 2}, "0.68 kg"))(
    _unit_converter(WEIGHT_UNITS, "weight"))
_register("convert_length", "Convert `<number> <unit>` (or a bare number in unit `from`) to `to`.",
          LengthArgs, ("12 in", {"to": "cm"}, "30.48 cm"))(
    _unit_converter(LENGTH_UNITS, "length"))


class FormatPriceArgs(Args):
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    decimals: int = Field(default=2, ge=0, le=4)


_PRICE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Z]{3})?\s*$")


@_register("format_price", "Write an amount as `12.99 USD` (currency: the value's or `currency`).",
           FormatPriceArgs, ("12.5", {"currency": "USD"}, "12.50 USD"))
def _format_price(args: FormatPriceArgs) -> Step:
    quantum = Decimal(1).scaleb(-args.decimals)

    def fmt(text: str, problems: list[Problem]) -> str:
        match = _PRICE.match(text)
        currency = (match.group(2) if match else None) or args.currency
        if not match:
            problems.append((Severity.ERROR, "bad_price", f"cannot read price {text!r}"))
            return ""
        try:
            amount = Decimal(match.group(1)).quantize(quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than a price can have
            problems.append((Severity.ERROR, "bad_price", f"cannot read price {text!r}"))
            return ""
        return f"{amount} {currency}" if currency else str(amount)

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return fmt(value, problems) if value else value
        return [out for item in value if item and (out := fmt(item, problems))]

    return step


# --- identifiers and links ------------------------------------------------------------------

_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))


def gtin_check_digit_ok(digits: str) -> bool:
    """GS1 mod-10 check: weights 3,1,3,1… from the right, excluding the check digit.

    ``digits`` holds ASCII digits only; they are turned into their values as bytes at once
    (runs once per SKU and feed).
    """
    values = digits.encode("ascii").translate(_DIGIT_VALUES)
    total = 3 * sum(values[-2::-2]) + sum(values[-3::-2])
    return (10 - total % 10) % 10 == values[-1]


_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")


def normalise_gtin(raw: str) -> tuple[str | None, str]:
    """``(digits, "")`` for a valid GTIN-8/12/13/14, or ``(None, why)``."""
    text = raw.strip()
    if not (text.isdigit() and text.isascii()):
        text = text.replace(" ", "").replace("-", "")
        if _SCIENTIFIC.fullmatch(text):
            return None, "looks like a spreadsheet number in scientific notation"
        if not text.isdigit() or not text.isascii():
            return None, "is not all digits"
    if len(text) not in (8, 12, 13, 14):
        return None, f"has {len(text)} digits (a GTIN has 8, 12, 13 or 14)"
    if not text.strip("0"):
        return None, "is all zeros"
    if not gtin_check_digit_ok(text):
        return None, "has a wrong check digit"
    return text, ""


class GtinArgs(Args):
    invalid: Literal["drop", "error"] = "drop"


@_register("gtin", "Normalise a GTIN (digits only) and verify its check digit.",
           GtinArgs, ("400-638-133393-1", {}, "4006381333931"))
def _gtin(args: GtinArgs) -> Step:
    as_error = args.invalid == "error"

    def check(text: str, problems: list[Problem]) -> str:
        digits, why = normalise_gtin(text)
        if digits is not None:
            return digits
        if as_error:
            problems.append((Severity.ERROR, "invalid_gtin", f"GTIN {text!r} {why}"))
            return ""
        problems.append((Severity.WARNING, "invalid_gtin",
                         f"GTIN {text!r} {why}; sent without a GTIN"))
        return ""

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return check(value, problems) if value else value
        return [out for item in value if item and (out := check(item, problems))]

    return step


class AbsoluteUrlArgs(Args):
    base: str

    @field_validator("base")
    @classmethod
    def _absolute(cls, base: str) -> str:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base must be an absolute http(s) URL")
        return base if base.endswith("/") else base + "/"


_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


@_register("absolute_url", "Resolve a relative link against `base`; encode spaces.",
           AbsoluteUrlArgs, ("/img/tee red.jpg", {"base": "https://shop.example.com"},
                             "https://shop.example.com/img/tee%20red.jpg"))
def _absolute_url(args: AbsoluteUrlArgs) -> Step:
    base = args.base

    def resolve(text: str, problems: list[Problem]) -> str:
        url = urljoin(base, text.strip())
        url = quote(url, safe=_URL_SAFE)
        if urlsplit(url).scheme not in ("http", "https"):
            problems.append((Severity.ERROR, "bad_url", f"{text!r} is not an http(s) link"))
            return ""
        return url

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return resolve(value, problems) if value else value
        return [out for item in value if item and (out := resolve(item, problems))]

    return step


def parse_amount(text: str) -> Decimal | None:
    """A Decimal from text, or None (used by filters and rules on text values)."""
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


__all__ = ["REGISTRY", "Problem", "Step", "TransformDef", "Value", "build_transform",
           "normalise_gtin", "strip_html_text", "truncate_text", "value_map"]
