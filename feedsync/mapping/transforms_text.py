"""Text transforms: HTML stripping, whitespace, case, truncation, replacement, affixes.

Registered in :mod:`feedsync.mapping.transforms_base` when imported (by
:mod:`feedsync.mapping.transforms`).
"""

from __future__ import annotations

import html
import re

from pydantic import Field, field_validator

from feedsync.mapping.linear_regex import PatternTimeout, check_replacement, compile_linear
from feedsync.mapping.transforms_base import (
    Args,
    NoArgs,
    Problem,
    Step,
    Value,
    _register,
    per_item,
)
from feedsync.models import Severity

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
# The end of a list item, paragraph, heading, cell or a line break ends a sentence: the pieces
# are kept apart ("<li>Brand: Ridgeline</li><li>Ships in …" → "Brand: Ridgeline. Ships in …")
# rather than run together into one. Marked with a private-use character while tags go, then
# joined with ". " unless the piece already ends with punctuation.
_BLOCK_END = re.compile(
    r"</(?:[lL][iI]|[pP]|[hH][1-6]|[dD][iI][vV]|[dD][dDtT]|[tT][dDhHrR]|[bB][lL][oO][cC][kK]"
    r"[qQ][uU][oO][tT][eE])\s*>|<[bB][rR]\s*/?>")
_BREAK = "\ue000"
_TERMINAL = frozenset(".!?:;…")


def _join_pieces(text: str) -> str:
    out = ""
    for piece in text.split(_BREAK):
        piece = piece.strip()
        if not piece:
            continue
        if out:
            out += " " if out[-1] in _TERMINAL else ". "
        out += piece
    return out
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _strip_html_once(text: str) -> str:
    if "<" in text:
        if "<s" in text or "<S" in text:
            text = _SCRIPT.sub(" ", text)
        if "<!--" in text:
            text = _COMMENT.sub(" ", text)
        text = _INLINE_TAG.sub("", text)
        text = _BLOCK_END.sub(_BREAK, text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isprintable():  # cheap test; the regex only runs on text with odd characters
        text = _CONTROL.sub("", text)
        if _BREAK in text:
            text = _join_pieces(text)
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
