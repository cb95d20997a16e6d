"""Amazon variation parents: the parent SKU goes out as its own listing, before its children.

Amazon lists a variation family as a parent listing (``parentage_level`` ``parent``, a
``variation_theme``, no offer) and children that name it in ``child_parent_sku_relationship``;
the parent must exist before, or come earlier in the same feed than, its children
(https://developer-docs.amazon.com/sp-api/docs/building-listings-management-workflows-guide#
variations). The catalog holds only the variants (the family id is their ``item_group_id``), so
the feed path adds one parent message, made from the family's children in the batch, right
before the first child that creates or fully updates a listing. Its title is the words the
whole family shares in the catalog (``adapters.amazon.families``), so it does not change with
the children a batch happens to carry. It is an idempotent UPDATE with
``LISTING_PRODUCT_ONLY`` requirements (product facts, no sales terms: a parent is not for sale).

The processing report numbers messages 1..n: :func:`with_parents` returns, next to the messages,
the SKU each one carries, and :func:`fold_outcomes` gives a parent's errors to its children (they
cannot be listed without it) and keeps only the batch's own SKUs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlite_utils
from feedsync.adapters.amazon.families import (
    agrees,
    catalog_family_names,
    family_name,
    strip_values,
)

from feedsync.adapter import ItemOutcome, ItemStatus

# Product facts a parent takes from its children (item_name is the family's common words).
PARENT_ATTRIBUTES = ("brand", "manufacturer", "product_description", "bullet_point",
                     "main_product_image_locator", "variation_theme")


def parent_of(message: Mapping[str, Any]) -> str | None:
    """The parent SKU a full UPDATE of a child names, else None."""
    if message.get("operationType") != "UPDATE":
        return None
    relations = (message.get("attributes") or {}).get("child_parent_sku_relationship") or []
    for relation in relations:
        if relation.get("child_relationship_type") == "variation" and relation.get("parent_sku"):
            return str(relation["parent_sku"])
    return None


VARIATION_ATTRIBUTES = ("color", "size", "material", "style", "pattern")


def _base_name(child: Mapping[str, Any]) -> str:
    """A child's item_name without its variation values at the end ("Tee – Black, S" →
    "Tee"): the words that name the family rather than the variant."""
    attrs = child.get("attributes") or {}
    name = str(attrs["item_name"][0].get("value", ""))
    return strip_values(name, {str(v.get("value")) for key in VARIATION_ATTRIBUTES
                               for v in attrs.get(key) or [] if v.get("value")})


def _family_name(children: Sequence[Mapping[str, Any]], catalog_name: str | None
                 ) -> list[dict[str, Any]] | None:
    named = [c for c in children if (c.get("attributes") or {}).get("item_name")]
    if not named:
        return None
    bases = [_base_name(c) for c in named]
    # The catalog's whole family when it names these children (the default mapping: item_name
    # from the title); else the batch's children, still on word boundaries.
    name = catalog_name if catalog_name and agrees(catalog_name, bases) else family_name(bases)
    first = named[0]["attributes"]["item_name"][0]
    return [{**first, "value": name}]


def parent_message(parent_sku: str, children: Sequence[Mapping[str, Any]],
                   catalog_name: str | None = None) -> dict[str, Any]:
    """The parent listing of a family, from (at least one of) its children's UPDATE messages;
    ``catalog_name``: the name the whole family shares in the catalog, when known."""
    first = children[0]
    child_attrs = first.get("attributes") or {}
    attrs: dict[str, Any] = {}
    name = _family_name(children, catalog_name)
    if name is not None:
        attrs["item_name"] = name
    for key in PARENT_ATTRIBUTES:
        if key in child_attrs:
            attrs[key] = child_attrs[key]
    marketplace = next((v[0].get("marketplace_id") for v in child_attrs.values()
                        if isinstance(v, list) and v and isinstance(v[0], dict)
                        and v[0].get("marketplace_id")), None)
    attrs["parentage_level"] = [{"value": "parent", "marketplace_id": marketplace}]
    return {"sku": parent_sku, "operationType": "UPDATE", "productType": first["productType"],
            "requirements": "LISTING_PRODUCT_ONLY", "attributes": attrs}


def with_parents(messages: Sequence[Mapping[str, Any]], skus: Sequence[str],
                 catalog: sqlite_utils.Database | None = None
                 ) -> tuple[list[Mapping[str, Any]], list[str]]:
    """``messages`` with each family's parent inserted before its first child's UPDATE, and
    the SKU of every message (parents included), in order. Unchanged when there is no child
    UPDATE (or the parent's own message is in the batch already). ``catalog``: the workspace
    database, whose products name each family as a whole."""
    families: dict[str, list[Mapping[str, Any]]] = {}
    for message in messages:
        parent = parent_of(message)
        if parent is not None:
            families.setdefault(parent, []).append(message)
    present = set(skus)
    names = catalog_family_names(catalog, [p for p in families if p not in present])
    out: list[Mapping[str, Any]] = []
    out_skus: list[str] = []
    for message, sku in zip(messages, skus, strict=True):
        parent = parent_of(message)
        if parent is not None and parent not in present:
            present.add(parent)  # once per family
            out.append(parent_message(parent, families[parent], names.get(parent)))
            out_skus.append(parent)
        out.append(message)
        out_skus.append(sku)
    return out, out_skus


def parents_of_children(messages: Sequence[Mapping[str, Any]], skus: Sequence[str]
                        ) -> dict[str, str]:
    """Child SKU → the parent SKU its UPDATE names."""
    return {sku: parent for message, sku in zip(messages, skus, strict=True)
            if (parent := parent_of(message)) is not None}


def fold_outcomes(results: Sequence[ItemOutcome], batch_skus: Sequence[str],
                  children: Mapping[str, str]) -> list[ItemOutcome]:
    """Outcomes of the batch's own SKUs; a rejected parent rejects its children with its
    issues (Amazon cannot list a child whose parent it refused)."""
    by_sku = {o.sku: o for o in results}
    wanted = set(batch_skus)
    folded = []
    for outcome in results:
        if outcome.sku not in wanted:
            continue
        parent = by_sku.get(children.get(outcome.sku, ""))
        if parent is not None and parent.sku not in wanted and (
                parent.status is ItemStatus.REJECTED):
            issues = [*outcome.issues, *(
                replace(i, sku=outcome.sku, message=f"parent {parent.sku}: {i.message}")
                for i in parent.issues)]
            outcome = replace(outcome, status=ItemStatus.REJECTED, issues=issues)
        folded.append(outcome)
    return folded
