"""The SQLite catalog: the merchant's single source of truth for products and stock."""

from feedsync.catalog.store import Catalog, UpsertSummary, open_catalog

__all__ = ["Catalog", "UpsertSummary", "open_catalog"]
