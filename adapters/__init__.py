"""Built-in marketplace adapters, one package per channel (installed as ``feedsync.adapters``)."""
