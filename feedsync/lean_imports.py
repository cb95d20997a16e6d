"""Keep sqlite-utils from importing numpy and pandas in feedsync's processes (issue #19).

``sqlite_utils.db`` imports numpy and pandas at import time when they are installed, only to
map their scalar types to SQLite column types. feedsync never hands it numpy or pandas values,
yet every command that opens the catalog paid ~0.15 CPU-s (and ~20 MB) for numpy alone. While
``sqlite_utils.db`` is initialising, this finder answers "not installed" for those two; any
other importer (a test, a notebook, sqlite-utils after it has loaded) gets them as usual.
"""

from __future__ import annotations

import sys
from typing import Any

_HIDDEN = frozenset({"numpy", "pandas"})
_IMPORTER = "sqlite_utils.db"


class HideFromSqliteUtils:
    """A meta path finder that refuses numpy/pandas to a ``sqlite_utils.db`` mid-import."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        """Raise ModuleNotFoundError for numpy/pandas while sqlite_utils.db is initialising."""
        if name in _HIDDEN:
            importer = sys.modules.get(_IMPORTER)
            # Module-level names appear as the module runs: no Column yet means mid-import.
            if importer is not None and not hasattr(importer, "Column"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once), unless sqlite_utils is loaded already."""
    if _IMPORTER in sys.modules:
        return
    if not any(isinstance(f, HideFromSqliteUtils) for f in sys.meta_path):
        sys.meta_path.insert(0, HideFromSqliteUtils())
