"""feedsync: one SQLite catalog as the source of truth, pushed to every marketplace."""

from feedsync import lean_imports

__version__ = "0.1.0"

lean_imports.install()  # sqlite-utils without numpy/pandas: ~0.15 CPU-s per command (#19)

__all__ = ["__version__"]
