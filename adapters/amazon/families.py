"""The public title of an Amazon variation parent: the words its whole family shares.

A parent listing's ``item_name`` is what shoppers see above the variations, so it must not move
from run to run. It is therefore computed over the whole family in the catalog (every SKU whose
``item_group_id`` is the parent SKU, as ``mappings/amazon.toml`` maps ``parent_sku``), not over
the children that happen to be in one batch, and on word boundaries: "Ceramic Mug Red" and
"Ceramic Mug Rose" share "Ceramic Mug", never "Ceramic Mug R". Each title is first cleaned as the
default mapping cleans ``item_name`` (HTML removed, whitespace collapsed) and stripped of its own
variation values at the end ("Organic Tee – Black, S" → "Organic Tee").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence

import sqlite_utils

from feedsync.mapping.transforms_text import strip_html_text

# Separators left at the end of a shared prefix ("Organic Tee –", "Mug,") are not part of it.
TRIM = " \t-–—,/|:;"
# Catalog columns holding a variant's variation values (the catalog's variant axes).
VALUE_COLUMNS = ("color", "size", "material", "pattern")
MAX_NAME = 200  # Amazon's item_name length, as mappings/amazon.toml truncates it


def strip_values(name: str, values: Iterable[str]) -> str:
    """``name`` without the variation values it ends with ("Tee – Black, S" → "Tee")."""
    values = [v for v in values if v]
    trimmed = name
    changed = True
    while changed and trimmed:
        changed = False
        stripped = trimmed.rstrip(TRIM)
        for value in values:
            if stripped.lower().endswith(value.lower()):
                trimmed = stripped[: len(stripped) - len(value)]
                changed = True
    return trimmed.rstrip(TRIM) or name


def word_prefix(names: Sequence[str]) -> str:
    """The whole words every name starts with (case-insensitive; a separator glued to a word,
    as in "Tee,", does not count), without trailing separators; "" when none is shared."""
    if not names:
        return ""
    common: list[str] = []
    for words in zip(*(n.split() for n in names), strict=False):
        if len({w.rstrip(TRIM).casefold() for w in words}) != 1:
            break
        common.append(words[0])
    return " ".join(common).rstrip(TRIM)


def family_name(bases: Sequence[str]) -> str:
    """The family's name from its members' base names (a single member: its base name)."""
    if not bases:
        return ""
    return (word_prefix(bases) if len(bases) > 1 else "") or bases[0]


def catalog_family_names(db: sqlite_utils.Database | None, parents: Collection[str]
                         ) -> dict[str, str]:
    """Parent SKU → the name shared by every catalog SKU of that family (families the catalog
    does not hold are left out; so is everything when ``db`` holds no catalog)."""
    if db is None or not parents:
        return {}
    wanted = sorted(parents)
    marks = ", ".join("?" for _ in wanted)
    try:
        rows = db.execute(
            f"SELECT item_group_id, title, {', '.join(VALUE_COLUMNS)} FROM products "
            f"WHERE item_group_id IN ({marks}) ORDER BY item_group_id, sku", wanted).fetchall()
    except sqlite3.OperationalError:  # a database without the catalog tables (unit tests)
        return {}
    bases: dict[str, list[str]] = {}
    for group, title, *values in rows:
        clean = strip_html_text(str(title or ""))
        bases.setdefault(str(group), []).append(
            strip_values(clean, [str(v) for v in values if v]))
    return {group: name[:MAX_NAME].rstrip(TRIM) for group, names in bases.items()
            if (name := family_name(names))}


def agrees(name: str, bases: Sequence[str]) -> bool:
    """Whether ``name`` is a whole-word prefix of every base name (a mapping that builds
    item_name from something else than the catalog title makes them disagree)."""
    return all(word_prefix([name, base]).casefold() == name.rstrip(TRIM).casefold()
               for base in bases)
