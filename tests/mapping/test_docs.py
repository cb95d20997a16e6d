"""docs/mapping.md documents every transform, rule source, section key and issue code."""

from __future__ import annotations

import re

import pytest

from feedsync.mapping.spec import (
    RULE_SOURCES,
    CategoriesSpec,
    Condition,
    PriceSpec,
    QuantitySpec,
    VariantsSpec,
)
from feedsync.mapping.transforms import REGISTRY
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_transform_has_a_row_with_an_example(name: str) -> None:
    row = re.search(rf"^\| `{name}` \|.*→.*$", DOC, re.M)
    assert row, f"docs/mapping.md has no table row with an example for {name}"


@pytest.mark.parametrize("model", [PriceSpec, QuantitySpec, CategoriesSpec, VariantsSpec,
                                   Condition])
def test_every_section_key_is_documented(model: type) -> None:
    for key in model.model_fields:  # type: ignore[attr-defined]
        assert f"`{key}" in DOC, f"{model.__name__}.{key} is not in docs/mapping.md"


def test_every_rule_source_is_documented() -> None:
    for name in RULE_SOURCES:
        assert f"| `{name}` |" in DOC


def test_every_issue_code_is_documented() -> None:
    sources = "".join(p.read_text(encoding="utf-8")
                      for p in (REPO_ROOT / "feedsync" / "mapping").glob("*.py"))
    found = set(re.findall(r'(?:ERROR|WARNING), (?:f)?"([a-z_{}]+)"', sources))
    found |= set(re.findall(r'Severity\.(?:ERROR|WARNING), (?:f)?"([a-z_{}]+)"', sources))
    found = {c for c in found if "{" not in c} | {"bad_weight", "bad_length"}
    assert found, "no issue codes found"
    for code in sorted(found):
        assert f"`{code}`" in DOC, f"issue code {code} is not in docs/mapping.md"
