"""eBay's OpenAPI 3 contracts (../shared/specs/ebay/*_oas3.json) as JSON Schema validators.

Two deliberate tightenings and one correction, so the oracle is stricter than the file:

- every object schema with ``properties`` gets ``additionalProperties: false`` (the OAS leaves
  it open, which would let a misspelt field such as ``imageUrl`` pass);
- ``Product.aspects`` and ``InventoryItemGroup.aspects`` are declared ``type: string`` in the OAS,
  but eBay's own description of the field shows a JSON object of string arrays
  (``"aspects": {"Brand": ["GoPro"], "Storage Type": ["Removable"]}``, same file), which is what
  the API takes; the validator uses that shape.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from tests.conftest import specs_root

FILES = {"inventory": "sell_inventory_v1_oas3.json",
         "fulfillment": "sell_fulfillment_v1_oas3.json",
         "account": "sell_account_v1_oas3.json"}
FIXTURES = Path(__file__).parent / "fixtures"
ASPECTS = {"type": "object", "additionalProperties": {"type": "array",
                                                      "items": {"type": "string"}}}


@cache
def spec(api: str) -> dict[str, Any]:
    """The parsed OAS of ``api`` (inventory, fulfillment, account), tightened (module doc)."""
    path = Path(specs_root()) / "ebay" / FILES[api]
    data = json.loads(path.read_text(encoding="utf-8"))
    schemas = data["components"]["schemas"]
    for schema in schemas.values():
        _close(schema)
    for name in ("Product", "InventoryItemGroup"):
        if name in schemas:
            schemas[name]["properties"]["aspects"] = copy.deepcopy(ASPECTS)
    return data


def _close(schema: Any) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        for value in schema.values():
            _close(value)
    elif isinstance(schema, list):
        for value in schema:
            _close(value)


def operation(api: str, operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(path, method, operation object) of an operationId."""
    for path, item in spec(api)["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return path, method, op
    raise KeyError(operation_id)


def _validator(api: str, ref: str) -> Draft7Validator:
    schema = {"$ref": ref, "components": spec(api)["components"]}
    return Draft7Validator(schema)


def request_validator(api: str, operation_id: str) -> Draft7Validator:
    """The validator of an operation's JSON request body."""
    _, _, op = operation(api, operation_id)
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return _validator(api, ref)


def response_validator(api: str, operation_id: str, status: str = "200") -> Draft7Validator:
    """The validator of an operation's JSON response body for ``status`` (200 by default)."""
    _, _, op = operation(api, operation_id)
    ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return _validator(api, ref)


def schema_validator(api: str, name: str) -> Draft7Validator:
    """The validator of one component schema by name."""
    return _validator(api, f"#/components/schemas/{name}")


def assert_valid(validator: Draft7Validator, body: Any) -> None:
    """Fail with every schema error listed (path: message)."""
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)


def query_parameters(api: str, operation_id: str) -> dict[str, dict[str, Any]]:
    """The declared query parameters of an operation, by name."""
    _, _, op = operation(api, operation_id)
    return {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}


def fixture(name: str) -> Any:
    """One response fixture (fixtures/README.md says how each was made)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
