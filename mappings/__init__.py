"""The default mapping files (`<channel>.toml`), shipped in the wheel as ``feedsync.mappings``.

This folder is also the example workspace's own `mappings/`; `feedsync init` copies these files.
"""
