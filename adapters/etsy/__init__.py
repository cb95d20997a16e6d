"""Etsy Open API v3 adapter: draft listings with inventory variations and images, receipts.

A listing is one catalog family (``listing_key``); its variants are the products of the
listing's inventory. Modules, one reason to change each: ``config`` (settings and secrets),
``limits`` (documented rates and the daily budget, header hints), ``schema`` (the flat record
the mapping produces) with ``text`` (Etsy's character rules), ``render`` (form bodies and the
inventory JSON), ``auth`` (OAuth 2.0 with PKCE, refresh grant, x-api-key), ``client`` (the
operations used), ``steps`` (the per-listing step state), ``images`` (download once, size cap),
``listing`` (draft → inventory → images → activate for one family), ``budget`` (what to send
when the day's budget runs low), ``orders`` (receipts), ``shipments``, ``live`` (reconcile) and
``adapter``.
"""
