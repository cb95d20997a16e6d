"""Walmart's official contracts as test oracles (../shared/specs/walmart, never copied here).

``us-mp-*.json`` are Walmart's OpenAPI 3.0.1 files as processed by Highside Labs (see
specs/PROVENANCE.md); ``examples/`` holds the example payloads extracted from them. OpenAPI 3.0
schema objects are validated here as JSON Schema draft 7 (the keywords they use mean the same).

Where the processed spec contradicts Walmart's own examples, the oracle says so by name:

- ``OrderShipmentRecord.orderLines`` and ``GetOrderResponseRecord.orderLines`` point to
  ``RefundLinesType``, whose lines require ``refunds``: neither the shippingUpdates request
  example nor any order example has it (the lines are ``ShippingLineType`` / ``OrderLineType``).
  :func:`shipping_validator` validates shipping bodies with ``ShippingLinesType`` instead.
- ``ItemSearchPrice.amount`` is a string in the schema and a number in every item example;
  ``VariantGroupInfo.groupingAttributes`` is an object in the schema and a list in the example.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from tests.conftest import specs_root


def walmart_dir() -> Path:
    """specs/walmart."""
    return specs_root() / "walmart"


@cache
def spec(name: str) -> dict[str, Any]:
    """One of the us-mp-*.json files, parsed (``spec("orders")``)."""
    with (walmart_dir() / f"us-mp-{name}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def example(name: str) -> Any:
    """One official example payload by file name."""
    with (walmart_dir() / "examples" / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def example_names() -> list[str]:
    """Every official example file name."""
    return sorted(p.name for p in (walmart_dir() / "examples").glob("*.json"))


def validator(spec_name: str, component: str,
              overrides: dict[str, Any] | None = None) -> Draft7Validator:
    """A validator for ``#/components/schemas/<component>`` of one spec file; ``overrides``
    replace named component schemas (for the spec's known mistakes, named in the caller)."""
    components = json.loads(json.dumps(spec(spec_name)["components"]))
    for key, value in (overrides or {}).items():
        components["schemas"][key] = value
    return Draft7Validator({"$ref": f"#/components/schemas/{component}",
                            "components": components})


def errors(validator_: Draft7Validator, instance: Any) -> list[str]:
    """Readable validation errors ("path: message")."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator_.iter_errors(instance)]


def shipping_validator() -> Draft7Validator:
    """``OrderShipment`` with its lines as ``ShippingLinesType`` (see the module docstring)."""
    record = json.loads(json.dumps(spec("orders")["components"]["schemas"]["OrderShipmentRecord"]))
    record["properties"]["orderLines"] = {"$ref": "#/components/schemas/ShippingLinesType"}
    return validator("orders", "OrderShipment", {"OrderShipmentRecord": record})


def order_validator(component: str = "GetOrderResponse") -> Draft7Validator:
    """Order answers with their lines as ``OrderLinesType`` (see the module docstring)."""
    record = json.loads(json.dumps(
        spec("orders")["components"]["schemas"]["GetOrderResponseRecord"]))
    record["properties"]["orderLines"] = {"$ref": "#/components/schemas/OrderLinesType"}
    return validator("orders", component, {"GetOrderResponseRecord": record})


def operation(spec_name: str, operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(path, method, operation) of an operationId."""
    for path, item in spec(spec_name)["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return path, method.upper(), op
    raise KeyError(operation_id)


def query_parameters(spec_name: str, operation_id: str) -> dict[str, dict[str, Any]]:
    """The declared query parameters of an operation, by name."""
    _, _, op = operation(spec_name, operation_id)
    return {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
