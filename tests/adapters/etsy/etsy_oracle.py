"""Etsy's OpenAPI 3.0 contract (specs/etsy/etsy-openapi-v3-2025-02-16.json) as test oracles.

OpenAPI 3.0 schemas are JSON Schema with a few differences; :func:`to_json_schema` handles the
ones this spec uses (``nullable``, ``format: float``, refs to ``#/components/schemas``). Form
bodies are decoded with the operation's own schema: arrays are comma-separated (as the spec's
descriptions say), integers, numbers and booleans are read back from their text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft7Validator

SPEC_NAME = "etsy-openapi-v3-2025-02-16.json"


@lru_cache(maxsize=2)
def load_spec(specs_dir: str) -> dict[str, Any]:
    """The parsed spec."""
    return json.loads((Path(specs_dir) / "etsy" / SPEC_NAME).read_text(encoding="utf-8"))


def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 schema node to draft-07 (``nullable`` → a null type)."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items()
           if k not in ("nullable", "example", "format", "x-nullable")}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/definitions/")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "allOf" in out or "$ref" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class EtsyOracle:
    """Validators for one spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.definitions = to_json_schema(spec["components"]["schemas"])
        self._validators: dict[int, Draft7Validator] = {}

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any]]:
        """(path, method, operation) of ``operation_id``."""
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == operation_id:
                    return path, method, op
        raise KeyError(operation_id)

    def _validator(self, schema: dict[str, Any], *, cache: bool = True) -> Draft7Validator:
        # Schemas of the loaded spec live as long as the oracle: cached by identity.
        if not cache:
            return Draft7Validator({**to_json_schema(schema), "definitions": self.definitions})
        found = self._validators.get(id(schema))
        if found is None:
            found = Draft7Validator({**to_json_schema(schema), "definitions": self.definitions})
            self._validators[id(schema)] = found
        return found

    def request_schema(self, operation_id: str, content_type: str) -> dict[str, Any]:
        """The request body schema of an operation for a content type."""
        _, _, op = self.operation(operation_id)
        return op["requestBody"]["content"][content_type]["schema"]  # type: ignore[no-any-return]

    def check_json_body(self, operation_id: str, body: Any) -> None:
        """Assert ``body`` is valid for the operation's JSON request schema."""
        schema = self.request_schema(operation_id, "application/json")
        errors = [e.message for e in self._validator(schema).iter_errors(body)]
        assert not errors, f"{operation_id}: {errors}"
        self._no_unknown(operation_id, schema, body)

    def decode_form(self, operation_id: str, encoded: str | bytes,
                    content_type: str = "application/x-www-form-urlencoded") -> dict[str, Any]:
        """A form body read back into typed values with the operation's schema."""
        schema = self.request_schema(operation_id, content_type)
        props = schema.get("properties", {})
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        out: dict[str, Any] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            assert key not in out, f"{operation_id}: {key} sent twice"
            assert key in props, f"{operation_id}: form field {key!r} is not in the spec"
            out[key] = self._typed(props[key], value)
        return out

    @staticmethod
    def _typed(prop: dict[str, Any], value: str) -> Any:
        kind = prop.get("type")
        if kind == "array":
            item = prop.get("items", {})
            return [EtsyOracle._typed(item, v) for v in value.split(",")] if value else []
        if kind == "integer":
            return int(value) if value.lstrip("-").isdigit() else value
        if kind == "number":
            try:
                return float(value)
            except ValueError:
                return value
        if kind == "boolean":
            return {"true": True, "false": False}.get(value, value)
        return value

    def check_form(self, operation_id: str, encoded: str | bytes) -> dict[str, Any]:
        """Assert a form body is valid for the operation's schema; return it decoded."""
        decoded = self.decode_form(operation_id, encoded)
        schema = self.request_schema(operation_id, "application/x-www-form-urlencoded")
        errors = [e.message for e in self._validator(schema).iter_errors(decoded)]
        assert not errors, f"{operation_id}: {errors}"
        return decoded

    def check_multipart_fields(self, operation_id: str, fields: dict[str, Any]) -> None:
        """Assert multipart field names (and typed values) are valid for the operation."""
        schema = self.request_schema(operation_id, "multipart/form-data")
        props = schema.get("properties", {})
        unknown = set(fields) - set(props)
        assert not unknown, f"{operation_id}: multipart fields {unknown} not in the spec"
        typed = {k: (v if props[k].get("format") == "binary" else self._typed(props[k], v))
                 for k, v in fields.items()}
        binary = {k for k in typed if props[k].get("format") == "binary"}
        rest = {k: v for k, v in typed.items() if k not in binary}
        part = {**schema, "properties": {k: v for k, v in props.items() if k not in binary}}
        errors = [e.message for e in self._validator(part, cache=False).iter_errors(rest)]
        assert not errors, f"{operation_id}: {errors}"

    def check_response(self, operation_id: str, status: int, body: Any) -> Any:
        """Assert ``body`` is valid for the operation's response schema; return it."""
        _, _, op = self.operation(operation_id)
        schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
        errors = [f"{list(e.path)}: {e.message}"
                  for e in self._validator(schema).iter_errors(body)]
        assert not errors, f"{operation_id} {status}: {errors[:5]}"
        return body

    def check_query(self, operation_id: str, params: dict[str, Any]) -> None:
        """Assert every query parameter is declared by the operation with a valid value."""
        _, _, op = self.operation(operation_id)
        declared = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
        for name, value in params.items():
            assert name in declared, f"{operation_id}: query parameter {name!r} not declared"
            schema = declared[name].get("schema", {})
            typed = self._typed(schema, str(value))
            errors = [e.message for e in self._validator(schema).iter_errors(typed)]
            assert not errors, f"{operation_id}.{name}={value!r}: {errors}"

    def _no_unknown(self, operation_id: str, schema: dict[str, Any], body: Any,
                    where: str = "") -> None:
        """Additional properties are allowed by the spec; feedsync must still not invent any."""
        if isinstance(body, dict) and "properties" in schema:
            for key, value in body.items():
                assert key in schema["properties"], f"{operation_id}: unknown field {where}{key}"
                self._no_unknown(operation_id, schema["properties"][key], value, f"{key}.")
        elif isinstance(body, list) and "items" in schema:
            for item in body:
                self._no_unknown(operation_id, schema["items"], item, where)
