"""Finding the line of a key in a TOML file, so mapping errors can name file, line and key.

``tomllib`` keeps no positions, so this scans the text: it finds the table header (``[a.b]`` or
``[[a.b]]``) that opens the longest prefix of the key path, then the line inside that table where
the next key is assigned, then (for keys inside inline tables and arrays) the first later line that
mentions the deeper key or the offending value. It is a best effort: when a key cannot be found,
the line of its closest enclosing table is given, never a wrong file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def split_dotted(text: str) -> list[str] | None:
    """``a."b.c".d`` → ``["a", "b.c", "d"]`` (None when it is not a plain dotted key)."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        match = _KEY_PART.match(text, pos)
        if not match or match.end() == pos:
            return None
        parts.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
        if pos < len(text):
            if text[pos] != ".":
                return None
            pos += 1
    return parts


def _key_pattern(key: str) -> re.Pattern[str]:
    escaped = re.escape(key)
    return re.compile(
        rf"""(?:^|[{{,\s])(?:"{escaped}"|'{escaped}'|{escaped})\s*(?:=|\.)"""
        if re.fullmatch(r"[A-Za-z0-9_-]+", key)
        else rf"""(?:"{escaped}"|'{escaped}')\s*(?:=|\.)"""
    )


class Locator:
    """Line lookup for one TOML file's text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (line index, header path, array-of-tables?) for every table header, in file order
        self.headers: list[tuple[int, list[str], bool]] = []
        for index, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match and not line.lstrip().startswith("#"):
                path = split_dotted(match.group(1))
                if path is not None:
                    self.headers.append((index, path, line.lstrip().startswith("[[")))

    def _region(self, path: Sequence[str | int]) -> tuple[int, int, int]:
        """(start, end, depth): the lines of the table that holds the most of ``path``.

        ``depth`` counts the path elements the header covers; for ``[[a.b]]`` the element after
        ``a.b`` is the array index, which picks the n-th ``[[a.b]]`` table.
        """
        best: tuple[int, int, int] = (0, self.headers[0][0] if self.headers else len(self.lines), 0)
        seen: dict[tuple[str, ...], int] = {}
        for number, (index, header, is_array) in enumerate(self.headers):
            size = len(header)
            if list(path[:size]) != header:
                continue
            depth = size
            if is_array:
                occurrence = seen.get(tuple(header), 0)
                seen[tuple(header)] = occurrence + 1
                if len(path) > size and path[size] != occurrence:
                    continue
                depth = size + 1 if len(path) > size else size
            if depth > best[2]:
                end = (self.headers[number + 1][0] if number + 1 < len(self.headers)
                       else len(self.lines))
                best = (index + 1, end, depth)
        return best

    def line_of(self, path: Sequence[str | int], hint: str | None = None) -> int:
        """1-based line where ``path`` is set (``hint``: a value to look for on deeper lines)."""
        start, end, depth = self._region(path)
        line = start  # the header line itself (1-based == index of the next line)
        remaining = [p for p in path[depth:] if isinstance(p, str)]
        cursor = start
        for position, key in enumerate(remaining):
            pattern = _key_pattern(key)
            # the first key must start a line (or be a dotted prefix); deeper keys may be inline
            found = None
            for index in range(cursor, end):
                text = self.lines[index].split("#", 1)[0] if '"' not in self.lines[index] \
                    else self.lines[index]
                if position == 0 and not text.lstrip().startswith(
                        (key, f'"{key}"', f"'{key}'")):
                    continue
                if pattern.search(text):
                    found = index
                    break
            if found is None:
                break
            cursor, line = found, found + 1
        if hint:
            needle_quoted = re.compile(rf"""["']{re.escape(hint)}["']""")
            for index in range(cursor, end):
                if needle_quoted.search(self.lines[index]):
                    return index + 1
        return max(line, 1)


def dotted(path: Sequence[str | int]) -> str:
    """A key path for messages: ``fields.title.transforms[1].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            needs_quotes = not re.fullmatch(r"[A-Za-z0-9_-]+", part)
            shown = f'"{part}"' if needs_quotes else part
            out += f".{shown}" if out else shown
    return out
