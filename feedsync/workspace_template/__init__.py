"""Files `feedsync init` writes into a new workspace (mapping files come from feedsync.mappings)."""
