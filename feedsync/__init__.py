"""feedsync: one SQLite catalog as the source of truth, pushed to every marketplace."""

__version__ = "0.1.0"

__all__ = ["__version__"]
