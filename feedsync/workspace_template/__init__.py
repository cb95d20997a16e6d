"""Files `feedsync init` writes into a new workspace (the mapping files come from feedsync.mappings)."""
