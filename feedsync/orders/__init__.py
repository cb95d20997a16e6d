"""Orders and inventory: idempotent order import, the reservation ledger, the quantity fast
path, shipments back to the channels, and reconcile. See docs/orders.md."""
