"""Telling a file's format from its first bytes and header row."""

from __future__ import annotations

from feedsync.catalog.importers import woo_headers
from feedsync.catalog.importers.inventory import is_shopify_inventory
from feedsync.catalog.importers.source import CsvFile, Source
from feedsync.errors import InputError

FORMATS: dict[str, str] = {
    "native": "native CSV",
    "jsonl": "native JSON Lines",
    "shopify": "Shopify product CSV",
    "woocommerce": "WooCommerce product CSV",
    "inventory": "inventory CSV",
}


def detect_format(source: Source, head: bytes,
                  columns: tuple[tuple[str, str], ...] = ()) -> str:
    """The format name of ``source`` (a key of :data:`FORMATS`), or InputError saying why not.

    ``columns`` (``--columns``) renames the file's columns first; WooCommerce headers in the
    admin's language are recognised too (:mod:`woo_headers`).
    """
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    table = CsvFile(source)
    positions = {name.casefold(): index for index, name in enumerate(table.header) if name}
    own, _ = woo_headers.apply(positions, columns, localised=False)
    found = format_of_header(set(own))
    if found is None:
        localised, _ = woo_headers.apply(positions, columns)
        if format_of_header(set(localised)) == "woocommerce":
            found = "woocommerce"
    named = [name for name in table.header if name]
    if found is None and len(named) == 1 and ";" in named[0]:
        # The same hint as with --format (source.CsvFile.columns): say it, not "unknown".
        raise InputError(
            f"{source.label}:{table.header_line}: the header has a single column containing "
            "';': the file uses ';' as separator; export it with ',' instead")
    if found is None:
        # Names are shortened: a hostile header is never echoed whole (issue #16).
        shown = ", ".join(name if len(name) <= 40 else f"{name[:40]}…"
                          for name in table.header[:8] if name)
        raise InputError(
            f"{source.label}: cannot tell the format from the header ({shown}"
            f"{', …' if len(table.header) > 8 else ''}). Expected native (sku, title, price …), "
            "Shopify (Handle, Title, Variant SKU …), WooCommerce (ID, Type, SKU, Name, "
            "Regular price …) or inventory (sku, location, quantity) columns; pass --format "
            "to name it. A WooCommerce export from an admin in another language: map its "
            "column names with --columns FILE (TOML lines like \"Artikelnummer\" = \"SKU\")"
        )
    return found


def format_of_header(header: set[str]) -> str | None:
    """Match a set of case-folded column names to a format."""
    if is_shopify_inventory(header):  # before the product export: it has Handle and Title too
        return "inventory"
    if ("handle" in header or "url handle" in header) and "title" in header:
        return "shopify"
    if {"type", "sku", "name"} <= header and (
            {"regular price", "parent", "in stock?"} & header):
        return "woocommerce"
    if {"sku", "quantity"} <= header and header <= {"sku", "location", "quantity"}:
        return "inventory"
    if "sku" in header and ({"title", "price"} & header):
        return "native"
    return None
