"""Check an ``items_batch`` body against Meta's published Graph API specs.

The specs (facebook-business-sdk-codegen ``api_specs``) give the edge's parameters
(``ProductCatalog.json``: POST ``items_batch``), the ``ProductItem`` fields with their types, and
the enumerations (``enum_types``). ``items_batch`` ``data`` uses the data-feed names, which Meta
documents as aliases of a few ``ProductItem`` fields (``title`` is ``name``, ``link`` is
``url`` …); every other name is a ``ProductItem`` field itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Feed name → ProductItem field(s), per Meta's product data specification.
FEED_TO_API: dict[str, tuple[str, ...]] = {
    "id": ("retailer_id",),
    "title": ("name",),
    "link": ("url",),
    "image_link": ("image_url",),
    "additional_image_link": ("additional_image_urls",),
    "mpn": ("manufacturer_part_number",),
    "item_group_id": ("retailer_product_group_id",),
    "google_product_category": ("category",),
    "sale_price_effective_date": ("sale_price_start_date", "sale_price_end_date"),
}
METHODS = {"CREATE", "UPDATE", "DELETE"}


class MetaSpecs:
    """The parts of Meta's specs an items_batch body is checked against."""

    def __init__(self, root: Path) -> None:
        specs = root / "meta" / "api_specs"
        catalog = _load(specs / "ProductCatalog.json")
        [edge] = [a for a in catalog["apis"]
                  if a.get("method") == "POST" and a.get("endpoint") == "items_batch"]
        self.params = {p["name"]: p for p in edge["params"]}
        item = _load(specs / "ProductItem.json")
        self.fields = {f["name"]: f["type"] for f in item["fields"]}
        self.enums = {e["name"]: set(e["values"])
                      for e in _load(specs / "enum_types.product-subset.json")}
        status = _load(specs / "CheckBatchRequestStatus.json")
        self.status_fields = {f["name"] for f in status["fields"]}

    def enum_for(self, field: str) -> set[str] | None:
        """Allowed values of a ProductItem field whose type is an enumeration."""
        kind = self.fields.get(field, "")
        return self.enums.get(kind)

    def problems(self, body: dict[str, Any]) -> list[str]:
        """Everything in ``body`` the specs do not allow (empty list: conforms)."""
        found = [f"unknown parameter {k!r}" for k in body if k not in self.params]
        found += [f"missing parameter {k!r}" for k, p in self.params.items()
                  if p["required"] and k not in body]
        requests = body.get("requests")
        if not isinstance(requests, list):
            return [*found, "requests is not a list"]
        for n, request in enumerate(requests):
            found += [f"requests[{n}]: {p}" for p in self._request(request)]
        return found

    def _request(self, request: Any) -> list[str]:
        if not isinstance(request, dict) or set(request) - {"method", "data"}:
            return [f"not a {{method, data}} object: {request!r}"]
        if request.get("method") not in METHODS:
            return [f"method {request.get('method')!r}"]
        data = request.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return ["data has no string id"]
        if request["method"] == "DELETE":
            return [] if set(data) == {"id"} else ["a DELETE carries only the id"]
        found = []
        for name, value in data.items():
            api_names = FEED_TO_API.get(name, (name,))
            for api in api_names:
                if api not in self.fields:
                    found.append(f"{name!r} is not a ProductItem field")
                    continue
                found += self._value(name, api, value)
        return found

    def _value(self, name: str, api: str, value: Any) -> list[str]:
        kind = self.fields[api]
        if value == "":
            return []  # clearing a field
        if kind.startswith("list<"):
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif kind in ("int", "unsigned int"):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, int | float)
        else:
            ok = isinstance(value, str)
        if not ok:
            return [f"{name!r}: {value!r} is not a {kind}"]
        allowed = self.enum_for(api)
        if allowed is not None and value not in allowed:
            return [f"{name!r}: {value!r} not in {sorted(allowed)}"]
        return []


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
