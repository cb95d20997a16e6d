"""Google Merchant API v1, emulated: service-account JWT exchange, productInputs and products
(see each submodule's docstring)."""

from __future__ import annotations

from feedsync.sandbox.google.base import SCHEMA as ACCOUNT_SCHEMA
from feedsync.sandbox.google.base import GoogleBase
from feedsync.sandbox.google.products import SCHEMA as PRODUCTS_SCHEMA
from feedsync.sandbox.google.products import ProductRoutes


class GoogleMarket(ProductRoutes, GoogleBase):
    """One Merchant Center account with one API data source (US, en)."""

    schema = ACCOUNT_SCHEMA + PRODUCTS_SCHEMA


MARKETPLACE = GoogleMarket
