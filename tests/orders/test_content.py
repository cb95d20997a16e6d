"""An order's raw JSON and the text its content hash is taken of are exactly json.dumps's
(the encoders are built once for speed, issue #19; a different text would change every stored
hash). Values: the kinds a channel payload parsed from JSON holds, plus Decimals (default=str)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedsync.orders.content import _HASH_JSON, raw_json
from feedsync.orders.privacy import minimise

VALUES: list[Any] = [
    {"b": [1, 2.5, -0.0, None, True, False, "é\u2028\"\\x\n"], "a": {"z": Decimal("1.10")}},
    {"Name": "Zoë 王", "AddressLine1": "[personal data removed]", "Amount": "25.99"},
    {"nested": [[{"k": 1e300}], {"": ""}], "inf": float("inf")},
    "plain", 3, [], {}, None,
]


@pytest.mark.parametrize("value", VALUES)
def test_encoders_write_what_json_dumps_writes(value: Any) -> None:
    assert raw_json(value) == json.dumps(value, sort_keys=True, default=str,
                                         ensure_ascii=False)
    assert _HASH_JSON(value) == json.dumps(value, sort_keys=True, default=str,
                                           separators=(",", ":"))


def test_the_official_amazon_order_example_encodes_as_json_dumps(specs_dir: Path) -> None:
    # Amazon Orders API v2026-01-01 getOrder 200 example (shared/specs, see PROVENANCE.md)
    example = json.loads(
        (specs_dir / "amazon" / "examples" / "orders2026.getOrder.200.json").read_text())
    for value in (example, minimise(example)):
        test_encoders_write_what_json_dumps_writes(value)
