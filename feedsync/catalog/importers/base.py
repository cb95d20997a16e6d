"""What every format parser produces, and the per-row checker they share.

A parser turns records into :class:`Parsed` items: a complete, validated
:class:`~feedsync.models.Product` (plus an optional stock quantity), or the list of problems that
keep that SKU out. Parsers never touch the database; the driver (``pipeline.py``) does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from feedsync.catalog.importers import values
from feedsync.catalog.importers.derive import SHOPIFY_RULE, WOOCOMMERCE_RULE
from feedsync.catalog.importers.source import Problem
from feedsync.catalog.importers.values import FieldError
from feedsync.catalog.rows import decimal_text
from feedsync.models import VARIANT_COLUMNS, Product

DEFAULT_LOCATION = "default"
WEIGHT_UNITS = {"g": "g", "kg": "kg", "lb": "lb", "lbs": "lb", "oz": "oz"}
DIMENSION_UNITS = {"mm": "mm", "cm": "cm", "m": "m", "in": "in"}
CONDITIONS = ("new", "refurbished", "used")
# Option names stores use for the variant columns (Shopify "Colour", WooCommerce "Farbe" is not
# mapped: only English names are recognised; others land in attributes).
AXIS_ALIASES = {
    "color": "color", "colour": "color", "size": "size", "material": "material",
    "pattern": "pattern", "gender": "gender", "age group": "age_group", "age_group": "age_group",
}

T = TypeVar("T")
_SCIENTIFIC = re.compile(r"[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+")

NEGATIVE_STOCK = "negative stock (oversold in the store) imported as 0"


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Settings a parser needs from the workspace and the command line.

    ``shopify_sku_rule`` / ``woocommerce_sku_rule``: how a row without a SKU gets one
    (:mod:`feedsync.catalog.importers.derive`; "" refuses such rows). ``columns``: the file's
    own column names → the documented (English) ones, from ``--columns``.
    """

    label: str
    default_currency: str = "USD"
    location: str = DEFAULT_LOCATION
    shopify_sku_rule: str = SHOPIFY_RULE
    woocommerce_sku_rule: str = WOOCOMMERCE_RULE
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Parsed:
    """One row of the file: a SKU to upsert, the problems that keep it out, or — with neither
    product nor problems — a row that is not a product, ``note`` saying what it is (a variable
    parent, a grouped product, an image-only row), so every row of the file is accounted for.

    ``tracked``: True when the row counts stock (``quantity`` set, or 0), False when the store
    does not track this SKU's stock (sellable without a count), None to leave it as it is.
    ``warnings``: what was imported differently from the file (negative stock as 0, an
    unusable barcode left out …); they never keep the row out.
    """

    line: int
    sku: str | None
    product: Product | None
    problems: list[Problem]
    quantity: int | None = None
    location: str | None = None
    tracked: bool | None = None
    warnings: list[Problem] = field(default_factory=list)
    note: str | None = None
    derived_sku: bool = False
    # Native CSV rows (feedsync.catalog.importers.unchanged): the digest of the row's product
    # cells; ``unchanged`` when it matched the last import's, so ``product`` was not built
    # (``brandless`` then says whether that product has no brand, for the summary).
    row_hash: bytes | None = None
    unchanged: bool = False
    brandless: bool = False


class RowCheck:
    """Collects the problems of one row while its cells are parsed."""

    __slots__ = ("line", "problems", "sku", "warnings")

    def __init__(self, line: int, sku: str | None = None) -> None:
        self.line = line
        self.sku = sku
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, column: str | None, value: str | None, reason: str) -> None:
        """Record a problem with this row."""
        self.problems.append(Problem(self.line, reason, column, value, self.sku))

    def warn(self, column: str | None, value: str | None, reason: str) -> None:
        """Record something imported differently from the file (the row still imports)."""
        self.warnings.append(Problem(self.line, reason, column, value, self.sku))

    def stock(self, column: str, text: str) -> int | None:
        """A stock cell of a store export: like :meth:`quantity`, but negative stock (an
        oversold item in the store) imports as 0 with a warning instead of refusing the row."""
        stripped = text.strip()
        if stripped.startswith("-") and stripped[1:].isdigit():
            if stripped[1:].strip("0"):
                self.warn(column, stripped, NEGATIVE_STOCK)
            return 0
        return self.quantity(column, text)

    def parse(self, column: str, text: str, parser: Callable[[str], T]) -> T | None:
        """``parser(text)`` for a non-blank cell; None when blank or invalid (recorded)."""
        if not text or not text.strip():
            return None
        try:
            return parser(text)
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def money(self, column: str, text: str) -> Decimal | None:
        """A price cell."""
        if not text:
            return None
        try:
            return values.parse_money(text, "price") if not text.isspace() else None
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def measure(self, column: str, text: str) -> Decimal | None:
        """A weight or dimension cell."""
        if not text:
            return None
        try:
            return values.parse_measure(text, column) if not text.isspace() else None
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def quantity(self, column: str, text: str) -> int | None:
        """A stock quantity cell."""
        if not text:
            return None
        try:
            return values.parse_quantity(text) if not text.isspace() else None
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def moment(self, column: str, text: str, *, end_of_day: bool = False) -> datetime | None:
        """A date or date-time cell."""
        if not text:
            return None
        try:
            return (values.parse_datetime(text, end_of_day=end_of_day)
                    if not text.isspace() else None)
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def url(self, column: str, text: str) -> str | None:
        """An http(s) URL cell."""
        if not text:
            return None
        try:
            return values.parse_url(text) if not text.isspace() else None
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def barcode(self, column: str, text: str) -> tuple[str | None, str | None]:
        """A store's barcode cell → (GTIN, other code).

        A GTIN-shaped value (8/12/13/14 digits) with a right check digit is the GTIN. What a
        spreadsheet made of it (``3.65275E+11``: digits lost) is unusable and left out with a
        warning, as is a GTIN-shaped value with a wrong check digit. Anything else (an internal
        code such as ``ABC-123``) is returned as the other code. The ``'`` some exports put
        before a number to keep it text is removed.
        """
        code = text.strip().removeprefix("'").strip()
        if not code:
            return None, None
        if _SCIENTIFIC.fullmatch(code):
            self.warn(column, code, "barcode in scientific notation (a spreadsheet rounded it "
                      "and lost digits): unusable, left out; export it again as text")
            return None, None
        if values.looks_like_gtin(code):
            if values.gtin_check_digit_ok(code):
                return code, None
            self.warn(column, code, "barcode has a GTIN's length but a wrong check digit: "
                      "not sent as GTIN")
            return None, None
        return None, code

    def part_number(self, column: str, text: str) -> str | None:
        """A manufacturer part number: kept as written (digits only are fine for an MPN),
        except what a spreadsheet made of a number (``3.65275E+11``), which is left out with a
        warning. The ``'`` some exports put before a number to keep it text is removed."""
        code = text.strip().removeprefix("'").strip()
        if _SCIENTIFIC.fullmatch(code):
            self.warn(column, code, "part number in scientific notation (a spreadsheet rounded "
                      "it): unusable, left out; export it again as text")
            return None
        return code or None

    def gtin(self, column: str, text: str) -> str | None:
        """A GTIN cell."""
        if not text:
            return None
        try:
            return values.parse_gtin(text) if not text.isspace() else None
        except FieldError as exc:
            self.error(column, text, exc.reason)
            return None

    def currency(self, column: str, text: str, default: str) -> str:
        """A currency cell, or ``default`` when blank."""
        return self.parse(column, text, values.parse_currency) or default

    def choice(self, column: str, text: str, allowed: dict[str, str] | tuple[str, ...],
               default: str | None = None) -> str | None:
        """A cell whose lower-cased value must be one of ``allowed`` (a tuple or alias map)."""
        if isinstance(allowed, dict):  # exact spelling first: the common case, and cheap
            if text in allowed:
                return allowed[text]
        elif text in allowed:
            return text
        key = text.strip().lower()
        if not key:
            return default
        if isinstance(allowed, dict):
            if key in allowed:
                return allowed[key]
            names = sorted(set(allowed.values()))
        else:
            if key in allowed:
                return key
            names = list(allowed)
        self.error(column, text, f"must be one of {', '.join(names)}")
        return default

    def required(self, column: str, text: str) -> str:
        """A cell that must not be blank; returns it stripped."""
        text = text.strip()
        if not text:
            self.error(column, None, f"{column} is required")
        return text


def clean(text: str | None) -> str | None:
    """``text`` stripped, or None when blank."""
    if text is None:
        return None
    text = text.strip()
    return text or None


def axis_name(option: str) -> str:
    """The catalog name of a variant option: a VARIANT_COLUMNS name, or the option as given."""
    key = option.strip().lower()
    return AXIS_ALIASES.get(key, option.strip())


def set_option(product: Product, option: str, value: str) -> str:
    """Store one option value on ``product`` (column or attribute); return the axis name."""
    axis = axis_name(option)
    if axis in VARIANT_COLUMNS:
        setattr(product, axis, value)
    else:
        product.attributes[axis] = value
    return axis


def check_product(check: RowCheck, product: Product) -> None:
    """Rules across cells that every format shares (sale price, dates, units, axes)."""
    if product.sale_price is not None and product.sale_price >= product.price:
        check.error("sale_price", decimal_text(product.sale_price),
                    f"sale price must be lower than the regular price "
                    f"{decimal_text(product.price)}")
    if product.sale_price is None and (product.sale_start or product.sale_end):
        check.error("sale_start", None, "sale dates are given but there is no sale price")
    if product.sale_start and product.sale_end and _after(product.sale_start, product.sale_end):
        check.error("sale_end", product.sale_end.isoformat(), "sale ends before it starts")
    if product.weight is not None and product.weight_unit is None:
        check.error("weight_unit", None, "a weight needs its unit (g, kg, lb or oz)")
    if product.dimension_unit is None and (
            product.length is not None or product.width is not None or product.height is not None):
        check.error("dimension_unit", None, "dimensions need their unit (mm, cm, m or in)")
    for axis in product.variant_axes:
        present = (getattr(product, axis) if axis in VARIANT_COLUMNS
                   else product.attributes.get(axis))
        if present in (None, ""):
            check.error("variant_axes", axis, f"variant axis {axis!r} has no value on this row")


def _after(start: datetime, end: datetime) -> bool:
    try:
        return start > end
    except TypeError:  # one has an offset and the other not: compare wall-clock time
        return start.replace(tzinfo=None) > end.replace(tzinfo=None)
