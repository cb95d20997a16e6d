"""The layout of a WooCommerce export: its columns, one row's cells, and the parser's scratch
store of parents and waiting variations (see :mod:`feedsync.catalog.importers.woocommerce`)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from feedsync.catalog.importers import values, woo_headers
from feedsync.catalog.importers.base import DIMENSION_UNITS, WEIGHT_UNITS
from feedsync.catalog.importers.source import Problem, Record
from feedsync.errors import InputError

REQUIRED = ("Type", "SKU", "Name", "Regular price")
_FORMULA_TRIGGERS = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_UNIT = re.compile(r"(weight|length|width|height) \((\w+)\)")
_ATTRIBUTE = re.compile(r"attribute (\d+) (name|value\(s\))")


@dataclass
class Columns:
    """Positions of the WooCommerce columns this header has."""

    positions: dict[str, int]
    units: dict[str, tuple[int, str]]  # weight/length/width/height → (position, unit)
    attributes: list[tuple[int, int]]  # (name position, value(s) position) per attribute

    @classmethod
    def from_header(cls, positions: dict[str, int], label: str, line: int) -> Columns:
        """Resolve the header; unknown units and missing required columns are errors."""
        problems = [f"missing required column {name!r}" for name in REQUIRED
                    if name.casefold() not in positions]
        if problems:
            problems.append(
                "the documented columns are " + ", ".join(repr(n) for n in REQUIRED)
                + " (required), and " + ", ".join(repr(n) for n in woo_headers.DOCUMENTED
                                                  if n not in REQUIRED)
                + "; this file has " + ", ".join(repr(n) for n in list(positions)[:30])
                + (" …" if len(positions) > 30 else ""))
            problems.append(
                "if the admin was not in English, map the file's names with --columns FILE, "
                "a TOML file of lines like \"Artikelnummer\" = \"SKU\"")
        units: dict[str, tuple[int, str]] = {}
        attributes: dict[int, dict[str, int]] = {}
        for name, index in positions.items():
            if match := _UNIT.fullmatch(name):
                measure, unit = match.groups()
                table = WEIGHT_UNITS if measure == "weight" else {**DIMENSION_UNITS, "yd": "yd"}
                if unit not in table:
                    problems.append(f"column {name!r}: unknown unit {unit!r}")
                else:
                    units[measure] = (index, table[unit])
            elif match := _ATTRIBUTE.fullmatch(name):
                attributes.setdefault(int(match.group(1)), {})[match.group(2)] = index
        if problems:
            raise InputError(
                f"{label}:{line}: not a complete WooCommerce product export", problems)
        pairs = [(a["name"], a["value(s)"]) for _, a in sorted(attributes.items())
                 if "name" in a and "value(s)" in a]
        return cls(positions, units, pairs)


def unescape(text: str) -> str:
    """Undo the exporter's formula-injection prefix."""
    return text[1:] if text.startswith(_FORMULA_TRIGGERS) else text


def description_text(text: str) -> str:
    """Undo the exporter's newline escaping: ``\\n`` → newline, ``\\\\n`` → ``\\n``."""
    if "\\" not in text:
        return text
    return re.sub(r"\\\\n|\\n", lambda m: "\\n" if len(m.group()) == 3 else "\n", text)


class WooRow:
    """Cell access for one record."""

    __slots__ = ("cells", "columns", "line", "problems")

    def __init__(self, record: Record, columns: Columns) -> None:
        self.cells = record.cells
        self.line = record.line
        self.problems = record.problems
        self.columns = columns

    def get(self, name: str) -> str:
        index = self.columns.positions.get(name.casefold())
        if index is None or index >= len(self.cells):
            return ""
        return unescape(self.cells[index])

    def at(self, index: int) -> str:
        return unescape(self.cells[index]) if index < len(self.cells) else ""

    def types(self) -> set[str]:
        return {t.strip().lower() for t in self.get("Type").split(",") if t.strip()}

    def options(self) -> list[tuple[str, list[str]]]:
        found = []
        for name_at, value_at in self.columns.attributes:
            name = self.at(name_at).strip()
            if name:
                found.append((name, values.split_escaped(self.at(value_at))))
        return found


class Scratch:
    """Parents by key, and variations waiting for a parent seen later, in a private temporary
    SQLite database (on disk, deleted on close): the parser's own connection, so it never
    shares the catalog's connection with the import's writer thread."""

    def __init__(self) -> None:
        self.short_line = 0  # a waiting variation that carries the "short rows" warning
        self.conn = sqlite3.connect("", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("CREATE TABLE woo_parents (key TEXT PRIMARY KEY, line INTEGER, "
                          "cells TEXT)")
        self.conn.execute("CREATE TABLE woo_waiting (line INTEGER PRIMARY KEY, parent TEXT, "
                          "cells TEXT, problems TEXT)")

    def add_parent(self, keys: list[str], record: Record) -> None:
        data = json.dumps(record.cells)
        self.conn.executemany("INSERT OR REPLACE INTO woo_parents VALUES (?, ?, ?)",
                              [(key, record.line, data) for key in keys])

    def parent(self, key: str) -> Record | None:
        row = self.conn.execute("SELECT line, cells FROM woo_parents WHERE key = ?",
                                [key]).fetchone()
        return Record(row[0], json.loads(row[1]), []) if row else None

    def wait(self, key: str, record: Record) -> None:
        problems = [[p.line, p.reason] for p in record.problems]
        self.conn.execute("INSERT INTO woo_waiting VALUES (?, ?, ?, ?)",
                          [record.line, key, json.dumps(record.cells), json.dumps(problems)])

    def waiting(self) -> Iterator[tuple[str, Record]]:
        cursor = self.conn.execute(
            "SELECT line, parent, cells, problems FROM woo_waiting ORDER BY line")
        for line, key, cells, problems in cursor:
            yield key, Record(line, json.loads(cells),
                              [Problem(p[0], p[1]) for p in json.loads(problems)])

    def close(self) -> None:
        self.conn.close()
