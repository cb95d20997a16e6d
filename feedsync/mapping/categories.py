"""[categories]: the store's category path → the channel's category, by longest prefix.

``"Apparel > Shirts > T-Shirts"`` matches a ``map`` key ``"Apparel > Shirts"`` when there is no
key for the full path; matching ignores case and spacing around ``>``. With no match the
``default`` is used; either way an unmapped path is reported as a warning on the field, so a
merchant sees which store categories still need a channel category.
"""

from __future__ import annotations

from feedsync.mapping.filters import category_parts
from feedsync.mapping.spec import CategoriesSpec


class CategoryMap:
    """A compiled [categories] section."""

    def __init__(self, spec: CategoriesSpec) -> None:
        self.source = spec.source
        self.default = spec.default
        self.table = {category_parts(path): value for path, value in spec.map.items()}
        self.longest = max((len(k) for k in self.table), default=0)
        self._cache: dict[str, tuple[str, str | None]] = {}

    def lookup(self, path: str) -> tuple[str, str | None]:
        """(channel category or "", the matched map key as text or None when unmapped)."""
        found = self._cache.get(path)
        if found is not None:
            return found
        parts = category_parts(path)
        result: tuple[str, str | None] = (self.default or "", None)
        for size in range(min(len(parts), self.longest), 0, -1):
            value = self.table.get(parts[:size])
            if value is not None:
                result = (value, " > ".join(parts[:size]))
                break
        if len(self._cache) < 10_000:  # store paths are few; bound it anyway
            self._cache[path] = result
        return result
