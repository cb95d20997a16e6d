"""Fixtures for the Amazon adapter tests: the official contracts under specs/amazon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

MESSAGE_SCHEMA_URI = "urn:amazon:listings-feed-message-schema-v2"


def load_json(path: Path) -> Any:
    """Read one JSON file."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def amazon_specs(specs_dir: Path) -> Path:
    """specs/amazon (skips with the reason when the specs folder is absent)."""
    return specs_dir / "amazon"


@pytest.fixture(scope="session")
def feed_validator(amazon_specs: Path) -> Draft7Validator:
    """listings-feed-schema-v2.json (draft-07) as a validator."""
    schema = load_json(amazon_specs / "listings-feed-schema-v2.json")
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@pytest.fixture(scope="session")
def message_validator(amazon_specs: Path) -> Draft7Validator:
    """The separate message schema, reached through a local $ref (no network resolution)."""
    message = load_json(amazon_specs / "listings-feed-message-schema-v2.json")
    registry: Registry[Any] = Registry().with_resource(
        MESSAGE_SCHEMA_URI, Resource.from_contents(message, default_specification=DRAFT7))
    return Draft7Validator({"$ref": MESSAGE_SCHEMA_URI}, registry=registry)


@pytest.fixture(scope="session")
def swagger(amazon_specs: Path):  # type: ignore[no-untyped-def]
    """A loader: swagger("orders_2026-01-01.json") → the parsed model."""
    cache: dict[str, Any] = {}

    def load(name: str) -> Any:
        if name not in cache:
            cache[name] = load_json(amazon_specs / name)
        return cache[name]

    return load
