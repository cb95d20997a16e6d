"""Etsy's rules for listing text, as regular expressions the mapping's validation applies.

From the createDraftListing / updateListing reference
(https://developers.etsy.com/documentation/reference#operation/createDraftListing):

- title: "valid title strings contain only letters, numbers, punctuation marks, mathematical
  symbols, whitespace characters, ™, © and ®. (regex: /[^\\p{L}\\p{Nd}\\p{P}\\p{Sm}\\p{Zs}™©®]/u)
  You can only use the %, :, & and + characters once each." At most 140 characters (the
  limit of Etsy's listing editor; the API reference does not repeat it).
- tags: "only letters, numbers, whitespace characters, -, ', ™, ©, and ®"; at most 13 tags of at
  most 20 characters (Etsy's listing editor and help center, "How to add tags").
- materials and styles: "only letters, numbers, and whitespace characters".

The patterns are used as ``FieldSpec.pattern`` (full match), so ``feedsync validate etsy``
holds a SKU whose title Etsy would refuse instead of spending a call on it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from feedsync.adapters.etsy.charclasses import LETTERS_DIGITS_SPACES, PUNCTUATION_MATH

TITLE_MAX = 140
TAG_MAX = 20
TAGS_MAX = 13
# The API reference gives no limit for materials; Etsy's listing editor takes 13 materials of
# at most 45 characters each, and feedsync applies the same so the editor can still open it.
MATERIAL_MAX = 45
MATERIALS_MAX = 13
# "You can only use the %, :, & and + characters once each."
ONCE_ONLY = "%:&+"


def _class(ranges: tuple[tuple[int, int], ...], extra: str = "") -> str:
    parts = [re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
             for a, b in ranges]
    return "".join(parts) + "".join(re.escape(c) for c in extra)


@lru_cache(maxsize=1)
def title_pattern() -> str:
    """Full-match pattern of a valid title (characters, and %:&+ at most once each)."""
    once = "".join(f"(?!(?:[^{re.escape(c)}]*{re.escape(c)}){{2}})" for c in ONCE_ONLY)
    allowed = _class(LETTERS_DIGITS_SPACES) + _class(PUNCTUATION_MATH, "™©®")
    return f"{once}[{allowed}]+"


@lru_cache(maxsize=1)
def tag_pattern() -> str:
    """Full-match pattern of one valid tag."""
    allowed = _class(LETTERS_DIGITS_SPACES, "-'™©®")
    return f"[{allowed}]+"


@lru_cache(maxsize=1)
def material_pattern() -> str:
    """Full-match pattern of one valid material (or style)."""
    return f"[{_class(LETTERS_DIGITS_SPACES)}]+"


@lru_cache(maxsize=1)
def _title_char() -> re.Pattern[str]:
    return re.compile(f"[{_class(LETTERS_DIGITS_SPACES)}{_class(PUNCTUATION_MATH, '™©®')}]")


def title_problem(title: str) -> str | None:
    """Why Etsy would refuse ``title`` in words a merchant can act on (None if it is fine)."""
    if len(title) > TITLE_MAX:
        return f"longer than {TITLE_MAX} characters"
    repeated = [c for c in ONCE_ONLY if title.count(c) > 1]
    if repeated:
        return "uses " + ", ".join(f"{c!r} {title.count(c)} times" for c in repeated) + (
            " (Etsy allows each of % : & + once)")
    allowed = _title_char()
    bad = sorted({c for c in title if not allowed.fullmatch(c)})
    if bad:
        return "contains characters Etsy does not allow: " + " ".join(repr(c) for c in bad)
    return None
