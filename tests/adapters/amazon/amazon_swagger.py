"""Checks of requests against Amazon's Swagger 2.0 models (query parameters, bodies)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema import Draft4Validator


def operation(model: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(path template, method, operation object) of ``operation_id``."""
    for path, item in model["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return path, method, op
    raise KeyError(operation_id)


def check_query(model: dict[str, Any], operation_id: str, url: str) -> dict[str, str]:
    """Assert every query parameter of ``url`` is declared by the operation, with a valid value.

    Arrays are Swagger's default ``csv`` format; enums are checked item by item; required
    query parameters must be present. Returns the parsed query.
    """
    _, _, op = operation(model, operation_id)
    declared = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    for name, value in query.items():
        assert name in declared, f"{operation_id}: query parameter {name!r} is not declared"
        spec = declared[name]
        if spec.get("type") == "array":
            items = value.split(",")
            assert "maxItems" not in spec or len(items) <= spec["maxItems"]
            enum = (spec.get("items") or {}).get("enum")
            if enum:
                bad = [i for i in items if i not in enum]
                assert not bad, f"{operation_id}.{name}: {bad} not in {enum}"
        elif spec.get("type") == "integer":
            assert value.lstrip("-").isdigit(), f"{operation_id}.{name}={value!r}"
        elif spec.get("enum"):
            assert value in spec["enum"], f"{operation_id}.{name}={value!r}"
    for name, spec in declared.items():
        if spec.get("required"):
            assert name in query, f"{operation_id}: required query parameter {name!r} missing"
    return query


def body_validator(model: dict[str, Any], definition: str) -> Draft4Validator:
    """A validator for ``#/definitions/<definition>`` (Swagger 2.0 schemas are draft-4)."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": model["definitions"]}
    return Draft4Validator(schema)
