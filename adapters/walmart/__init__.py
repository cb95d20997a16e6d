"""Walmart Marketplace adapter (US): MP_ITEM, price and MP_INVENTORY feeds, orders, shipping.

Modules, one reason to change each: ``config`` (settings and secrets), ``auth`` (the
client-credentials token and the WM_* headers), ``client`` (the Marketplace API operations used),
``limits`` (documented quotas and sizes), ``schema`` (the flat record the mapping produces),
``render`` (records → MPItem, price, inventory and retire payloads), ``feeds`` (feed documents
and the feed-status answer → per-SKU outcomes), ``orders`` (order parsing and pulling),
``shipments`` (shipping updates), ``items`` (GET /v3/items for reconcile) and ``adapter`` (the
:class:`~feedsync.adapter.Adapter` tying them together).
"""
