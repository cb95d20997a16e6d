"""SKUs for store rows that have none, by a documented and configurable rule.

Many real Shopify and WooCommerce exports leave the SKU blank. feedsync identifies products by
SKU, so such a row gets one derived from what identifies it in the store, which does not change
between exports: the same file imported twice gives the same SKUs.

Rules are templates (``feedsync.toml`` ``[catalog] shopify_sku_rule`` /
``woocommerce_sku_rule``). ``{name}`` is replaced by a value; a part in ``[ … ]`` is left out
when a placeholder inside it is empty. Values are made URL- and file-safe: lower case without
accents, every run of characters other than letters and digits becomes one ``-``.

==============  ==============================================  ==========================
platform        default rule                                    placeholders
==============  ==============================================  ==========================
Shopify         ``{handle}[-{option1}][-{option2}][-{option3}]``  handle, option1..3
WooCommerce     ``woo-{id}``                                     id, parent_id, parent_sku
==============  ==============================================  ==========================

A Shopify product without options (``Title`` / ``Default Title``) has no option values, so its
SKU is the handle. An empty rule switches deriving off: rows without a SKU are then refused.
"""

from __future__ import annotations

import re
import unicodedata

SHOPIFY_RULE = "{handle}[-{option1}][-{option2}][-{option3}]"
WOOCOMMERCE_RULE = "woo-{id}"
SHOPIFY_PLACEHOLDERS = ("handle", "option1", "option2", "option3")
WOOCOMMERCE_PLACEHOLDERS = ("id", "parent_id", "parent_sku")

_TOKEN = re.compile(r"\{([a-z_0-9]+)\}|\[|\]")
_NOT_SLUG = re.compile(r"[\W_]+")


class RuleError(ValueError):
    """A SKU rule that cannot be used; the message says why."""


def slug(value: str) -> str:
    """``value`` in lower case, accents removed, runs of other characters than letters and
    digits (of any script: a Japanese handle stays Japanese) as one ``-``."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_SLUG.sub("-", unicodedata.normalize("NFC", bare)).strip("-")


class SkuRule:
    """A compiled SKU template; :meth:`render` gives the SKU or "" when nothing identifies it."""

    def __init__(self, template: str, allowed: tuple[str, ...]) -> None:
        self.template = template
        self._parts = _parse(template, allowed) if template.strip() else []
        names = _names(self._parts)
        if template.strip() and not names:
            raise RuleError(f"SKU rule {template!r} has no placeholder "
                            f"(use {', '.join('{' + a + '}' for a in allowed)})")

    @property
    def enabled(self) -> bool:
        """Whether rows without a SKU get one (an empty rule switches deriving off)."""
        return bool(self._parts)

    def render(self, values: dict[str, str]) -> str:
        """The SKU for ``values``; "" when a required (not bracketed) placeholder is empty."""
        slugs = {name: slug(value) for name, value in values.items()}
        return _render(self._parts, slugs) or ""


def _parse(template: str, allowed: tuple[str, ...]) -> list[object]:
    stack: list[list[object]] = [[]]
    pos = 0
    for match in _TOKEN.finditer(template):
        if match.start() > pos:
            stack[-1].append(template[pos:match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "[":
            group: list[object] = []
            stack[-1].append(group)
            stack.append(group)
        elif token == "]":
            if len(stack) == 1:
                raise RuleError(f"SKU rule {template!r}: unmatched ']'")
            stack.pop()
        else:
            name = match.group(1)
            if name not in allowed:
                raise RuleError(f"SKU rule {template!r}: unknown placeholder {{{name}}} "
                                f"(use {', '.join('{' + a + '}' for a in allowed)})")
            stack[-1].append(("placeholder", name))
    if len(stack) != 1:
        raise RuleError(f"SKU rule {template!r}: unclosed '['")
    if pos < len(template):
        stack[0].append(template[pos:])
    return stack[0]


def _names(parts: list[object]) -> list[str]:
    found: list[str] = []
    for part in parts:
        if isinstance(part, tuple):
            found.append(part[1])
        elif isinstance(part, list):
            found.extend(_names(part))
    return found


def _render(parts: list[object], values: dict[str, str]) -> str | None:
    """The text of ``parts``; None when a placeholder at this level is empty."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, tuple):
            value = values.get(part[1], "")
            if not value:
                return None
            out.append(value)
        else:
            inner = _render(part, values)  # type: ignore[arg-type]
            if inner is not None:
                out.append(inner)
    return "".join(out)
