"""eBay Sell APIs adapter: Inventory API listings (with variations), bulk price/quantity,
Fulfillment API orders and shipments.

Modules, one reason to change each: ``config`` (settings and secrets), ``limits`` (documented
limits), ``schema`` (the flat record the mapping produces), ``render`` (records → request
bodies), ``responses`` (bulk answers and error ids → per-SKU issues), ``orders`` (order parsing
and pulling), ``shipments`` (shipping fulfillments), ``live`` (read-back for reconcile).
"""
