"""Importers for the exports merchants already have, and the native export.

Formats (``--format``; detected from the header when ``auto``):

=============  ==========================================================================
native         feedsync's CSV, one row per SKU (docs/catalog-formats.md)
jsonl          the same columns as JSON Lines
shopify        Shopify's product CSV export (rows grouped by Handle)
woocommerce    WooCommerce's product CSV export (variable products and their variations)
inventory      stock only: sku, location, quantity
=============  ==========================================================================

Use :func:`import_file` to import and :func:`export_catalog` to write the native format.
"""

from feedsync.catalog.importers.detect import FORMATS
from feedsync.catalog.importers.export import EXPORT_FORMATS, ExportResult, export_catalog
from feedsync.catalog.importers.native import NATIVE_COLUMNS
from feedsync.catalog.importers.pipeline import ImportResult, import_file
from feedsync.catalog.importers.source import FIELD_SIZE_LIMIT, MAX_LISTED_PROBLEMS

__all__ = [
    "EXPORT_FORMATS",
    "FIELD_SIZE_LIMIT",
    "FORMATS",
    "MAX_LISTED_PROBLEMS",
    "NATIVE_COLUMNS",
    "ExportResult",
    "ImportResult",
    "export_catalog",
    "import_file",
]
