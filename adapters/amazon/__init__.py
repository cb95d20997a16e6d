"""Amazon Selling Partner API adapter: JSON_LISTINGS_FEED, Listings Items, Orders v2026-01-01.

Modules, one reason to change each: ``config`` (settings and secrets), ``auth`` (Login with
Amazon), ``client`` (the SP-API operations used), ``render`` (records → feed messages),
``feeds`` (the feed document flow), ``report`` (processing report → per-SKU issues),
``orders`` (order parsing and pulling), ``limits`` (documented limits), ``validation``
(remote VALIDATION_PREVIEW checks), ``schema`` (the flat record the mapping produces) and
``adapter`` (the :class:`~feedsync.adapter.Adapter` tying them together).
"""
