"""A fake channel package (``schema.py``, ``adapter.py``).

Use it from feedsync.toml with ``adapter = "feedsync.testing.fake"``.
"""
