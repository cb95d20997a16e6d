"""Turn a Google API discovery document into JSON Schema, so request bodies can be validated.

Discovery documents are not JSON Schema (specs/README.md, "Known drift"): ``$ref`` names a
schema id rather than a JSON pointer, int64/uint64 values travel as decimal strings, and
``google-datetime`` is an RFC 3339 timestamp. Two strictness rules are added for *requests*:
every object refuses properties the discovery document does not list (a misspelt camelCase name
fails), and members documented "Output only." must not be sent. Members documented
"Required." are required.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

INT64 = r"^-?[0-9]+$"
# RFC 3339 as Google prints it: date, time, optional fraction, Z or an offset.
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def load_discovery(specs_dir: Path) -> dict[str, Any]:
    """The Merchant API products_v1 discovery document."""
    path = specs_dir / "google" / "discovery" / "merchantapi.products_v1.json"
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _description(node: dict[str, Any]) -> str:
    return str(node.get("description") or "").strip()


def convert(node: dict[str, Any], *, request: bool) -> dict[str, Any]:
    """One discovery schema node → JSON Schema."""
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    kind = node.get("type")
    fmt = node.get("format")
    if kind == "string":
        out: dict[str, Any] = {"type": "string"}
        if fmt in ("int64", "uint64"):
            out["pattern"] = INT64
        elif fmt == "google-datetime":
            out["pattern"] = RFC3339
        if "enum" in node:
            out["enum"] = list(node["enum"])
        return out
    if kind in ("number", "integer", "boolean"):
        return {"type": kind}
    if kind == "array":
        return {"type": "array", "items": convert(node.get("items") or {}, request=request)}
    if kind == "object":
        out = {"type": "object"}
        properties = node.get("properties") or {}
        if properties:
            out["properties"] = {}
            required = []
            for name, child in properties.items():
                text = _description(child)
                if request and text.startswith("Output only."):
                    out["properties"][name] = False  # never send an output-only member
                    continue
                out["properties"][name] = convert(child, request=request)
                if text.startswith("Required."):
                    required.append(name)
            if required:
                out["required"] = required
        if "additionalProperties" in node:
            out["additionalProperties"] = convert(node["additionalProperties"], request=request)
        else:
            out["additionalProperties"] = False
        return out
    return {}


def schema_for(discovery: dict[str, Any], root: str, *, request: bool = True
               ) -> dict[str, Any]:
    """A JSON Schema whose root is discovery schema ``root``, every other schema in $defs."""
    defs = {name: convert(node, request=request)
            for name, node in discovery["schemas"].items()}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs,
            "$ref": f"#/$defs/{root}"}


def validator(discovery: dict[str, Any], root: str, *, request: bool = True
              ) -> Draft202012Validator:
    """A validator for request (or response) bodies of schema ``root``."""
    schema = schema_for(discovery, root, request=request)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(validator_: Draft202012Validator, body: Any) -> list[str]:
    """Readable validation errors (empty when the body conforms)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator_.iter_errors(body), key=lambda e: list(e.path))]
