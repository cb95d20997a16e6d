"""Where a field's value comes from: catalog columns, derived columns and templates.

Every getter is built once per mapping and reads one :class:`Row` (a product plus its stock) into
a value: a string, or a list of strings for list columns (images, tags). Decimals are written
without exponent, dates in ISO 8601, missing values as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from feedsync.mapping.record import TraceStep
from feedsync.mapping.transforms import Problem, Value
from feedsync.models import Product


@dataclass(frozen=True, slots=True)
class Store:
    """The workspace's store: its name and web address (``[workspace]`` in feedsync.toml)."""

    name: str = ""
    url: str = ""


NO_STORE = Store()


@dataclass(slots=True)
class Row:
    """One product being mapped, with what the catalog knows about it beyond its content.

    ``tracked`` False: the store does not count this SKU's stock; ``available`` then holds the
    mapping's ``[quantity] untracked_quantity``.
    """

    product: Product
    available: int
    now: datetime
    trace: list[TraceStep] | None = None  # filled only when explaining
    problems: list[Problem] = field(default_factory=list)  # found while mapping this row
    # rule results, computed once per row by whichever field needs them first
    price: Any = None  # feedsync.mapping.rules.PriceResult
    quantity: int | None = None
    tracked: bool = True
    store: Store = NO_STORE


Getter = Callable[[Row], Value]

PRODUCT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Product))
# annotation text of each Product field ("str", "str | None", "Decimal | None", "list[str]" …)
_COLUMN_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(Product)}
DERIVED_COLUMNS: dict[str, str] = {
    "image": "the first image URL",
    "additional_images": "every image URL after the first (a list)",
    "available": "units available (Σ on hand − reserved over locations)",
    "category_leaf": "the last segment of the category path",
    "store_name": "[workspace] name of feedsync.toml",
    "store_url": "[workspace] store_url of feedsync.toml",
    "product_url": "the product's link, else its page on the store derived by the platform's "
                   "rule (Shopify: store_url/products/<handle>; WooCommerce: the permalink, "
                   "else store_url/?p=<id>)",
}
ATTRIBUTE_PREFIX = "attributes."


def column_type(name: str) -> str:
    """The annotation text of a Product column ("str", "str | None" …), "" for others."""
    return _COLUMN_TYPES.get(name, "")


def text_column(name: str) -> bool:
    """Whether :func:`column_getter` of ``name`` always gives text (never a list)."""
    if name in DERIVED_COLUMNS:
        return name != "additional_images"
    if name.startswith(ATTRIBUTE_PREFIX):
        return False  # an attribute may hold a list
    return not _COLUMN_TYPES.get(name, "list").startswith("list[")


def is_column(name: str) -> bool:
    """Whether ``name`` is something a field can read (a column, derived column or attribute)."""
    return (name in PRODUCT_COLUMNS or name in DERIVED_COLUMNS
            or (name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX)))


def known_columns() -> list[str]:
    """Names for error messages."""
    return [*PRODUCT_COLUMNS, *DERIVED_COLUMNS, "attributes.<name>"]


def plain_text(amount: Decimal) -> str:
    """``format(amount, "f")``, faster for the usual case: ``str()`` writes the same digits
    unless it needs an exponent (then it contains an "E")."""
    text = str(amount)
    return format(amount, "f") if "E" in text else text


def to_value(raw: Any) -> Value:
    """Catalog data → a mapping value (str or list of str)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Enum):
        return str(raw.value)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, Decimal):
        return plain_text(raw)
    if isinstance(raw, datetime):
        return raw.isoformat()
    if isinstance(raw, list | tuple):
        return [s for item in raw if (s := to_scalar(item))]
    return str(raw)


def to_scalar(raw: Any) -> str:
    """Like :func:`to_value` but always one string (lists joined with ", ")."""
    value = to_value(raw)
    return value if isinstance(value, str) else ", ".join(value)


def column_getter(name: str) -> Getter:
    """A getter for one column; ``name`` must satisfy :func:`is_column`."""
    if name == "image":
        return lambda row: row.product.images[0] if row.product.images else ""
    if name == "additional_images":
        return lambda row: row.product.images[1:]
    if name == "available":
        return lambda row: str(row.available)
    if name == "category_leaf":
        return lambda row: row.product.category.rsplit(">", 1)[-1].strip()
    if name == "store_name":
        return lambda row: row.store.name
    if name == "store_url":
        return lambda row: row.store.url
    if name == "product_url":
        return lambda row: product_url(row.product, row.store.url)
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name[len(ATTRIBUTE_PREFIX):]
        return lambda row: to_value(row.product.attributes.get(key))
    # text columns need no conversion (the hot path of most mappings): read them directly
    read = attrgetter(name)
    kind = _COLUMN_TYPES.get(name, "")
    if kind == "str":
        return lambda row: read(row.product)
    if kind == "str | None":
        return lambda row: read(row.product) or ""
    if kind.startswith("list["):
        return lambda row: list(read(row.product))
    if kind == "Decimal | None":  # weights and sizes, often in templates
        return lambda row: "" if (value := read(row.product)) is None else plain_text(value)
    return lambda row: to_value(read(row.product))


def product_url(product: Product, store_url: str) -> str:
    """``product.link``, else the product's page by its platform's own rule, else "".

    Shopify: ``{store_url}/products/{handle}`` (https://help.shopify.com/en/manual/products/
    details/product-handle). WooCommerce: the exported permalink when there is one, else
    ``{store_url}/?p={id}`` — WordPress redirects ``?p=`` to the product's pretty permalink;
    a variation links to its parent's page.
    """
    if product.link:
        return product.link
    attributes = product.attributes
    permalink = attributes.get("permalink")
    if isinstance(permalink, str) and permalink.startswith(("https://", "http://")):
        return permalink
    if not store_url:
        return ""
    handle = attributes.get("handle")
    if isinstance(handle, str) and handle:
        return f"{store_url}/products/{quote(handle, safe='-_.~')}"
    woo_id = attributes.get("woo_parent_id") or attributes.get("woo_id")
    if isinstance(woo_id, str) and woo_id.isdigit():
        return f"{store_url}/?p={woo_id}"
    return ""


# --- templates: "{brand} {title}[ - {color}]" --------------------------------------------

_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|\{([^{}]*)\}|\[|\]")


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says where."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """``{name}`` in a template."""

    name: str


Part = str | Placeholder | list[Any]  # literal text, placeholder, or optional group


def parse_template(template: str) -> list[Part]:
    """Parse a template into parts. Raises TemplateError.

    ``{column}`` is replaced by the column's value (lists joined with ", "). A ``[ … ]`` group is
    left out entirely when any placeholder inside it is empty. ``{{ }} [[ ]]`` are literal.
    """
    stack: list[list[Part]] = [[]]
    pos = 0
    for match in _TOKEN.finditer(template):
        if match.start() > pos:
            stack[-1].append(template[pos:match.start()])
        token = match.group(0)
        pos = match.end()
        if token in ("{{", "}}", "[[", "]]"):
            stack[-1].append(token[0])
        elif token == "[":
            group: list[Part] = []
            stack[-1].append(group)
            stack.append(group)
        elif token == "]":
            if len(stack) == 1:
                raise TemplateError(f"unmatched ']' at position {match.start()}")
            stack.pop()
        else:
            name = match.group(1).strip()
            if not name:
                raise TemplateError(f"empty placeholder {{}} at position {match.start()}")
            stack[-1].append(Placeholder(name))
    if len(stack) != 1:
        raise TemplateError("unclosed '[' group")
    rest = template[pos:]
    if "{" in rest or "}" in rest:
        raise TemplateError("unbalanced '{' or '}' (write {{ or }} for a literal brace)")
    if rest:
        stack[0].append(rest)
    return stack[0]


def template_names(parts: list[Part]) -> list[str]:
    """Every placeholder name in parsed template parts."""
    names: list[str] = []
    for part in parts:
        if isinstance(part, Placeholder):
            names.append(part.name)
        elif isinstance(part, list):
            names.extend(template_names(part))
    return names


def compile_template(template: str) -> Getter:
    """A getter rendering ``template`` (which must parse and name only known columns)."""

    def resolve(items: list[Part]) -> list[tuple[int, Any]]:
        out: list[tuple[int, Any]] = []
        for item in items:
            if isinstance(item, list):
                out.append((2, resolve(item)))
            elif isinstance(item, Placeholder):
                out.append((1, column_getter(item.name)))
            else:
                out.append((0, item))
        return out

    compiled = resolve(parse_template(template))

    def render(items: list[tuple[int, Any]], row: Row, optional: bool) -> str | None:
        out: list[str] = []
        for kind, item in items:
            if kind == 0:
                out.append(item)
            elif kind == 1:
                value = item(row)
                text = value if isinstance(value, str) else ", ".join(value)
                if not text and optional:
                    return None
                out.append(text)
            else:
                inner = render(item, row, True)
                if inner is not None:
                    out.append(inner)
        return "".join(out)

    def getter(row: Row) -> Value:
        return (render(compiled, row, False) or "").strip()

    if any(kind == 2 for kind, _ in compiled):
        return getter

    def flat(row: Row) -> Value:  # no [optional] group (most templates): one pass, no checks
        out = [item if kind == 0 else item(row) for kind, item in compiled]
        return "".join([text if isinstance(text, str) else ", ".join(text) for text in out]
                       ).strip()

    return flat
