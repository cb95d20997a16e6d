"""The engine: one product → one channel record, with issues, exclusions and a trace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from feedsync.mapping.engine import ChannelMapper
from feedsync.models import ProductStatus, Severity
from feedsync.registry import channel_schema
from tests.conftest import REPO_ROOT, make_product
from tests.mapping.conftest import BASE_FIELDS, NOW, MapperFactory


def codes(record: object) -> list[tuple[str, str | None]]:
    return [(i.code, i.field) for i in record.issues]  # type: ignore[attr-defined]


def test_fields_in_schema_order_with_lists_for_repeated(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + """
        additional_image_link = "additional_images"
        brand = { const = "Acme" }
        gtin = { transform = "gtin" }
        """.replace("\n        ", "\n"))
    product = make_product(images=["https://x/1.jpg", "https://x/2.jpg", "https://x/3.jpg"])
    record = mapper.map_product(product, available=2, now=NOW)
    assert list(record.fields) == ["id", "title", "description", "link", "image_link",
                                   "additional_image_link", "availability", "price", "brand",
                                   "gtin"]
    assert record.fields["additional_image_link"] == ["https://x/2.jpg", "https://x/3.jpg"]
    assert record.fields["description"] == "A fine product."
    assert record.fields["price"] == "19.99 USD"
    assert record.sendable and record.issues == []


def test_list_into_single_field_is_joined_and_empty_values_are_left_out(
        make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + 'product_type = "tags"\nmpn = "mpn"\n')
    record = mapper.map_product(make_product(tags=["a", "b"]), available=1, now=NOW)
    assert record.fields["product_type"] == "a, b"
    assert "mpn" not in record.fields


def test_validation_issues_name_field_code_and_rule(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + 'condition = "condition"\n')
    product = make_product(title="x" * 151, link=None, condition="mint")
    record = mapper.map_product(product, available=1, now=NOW)
    assert not record.sendable and record.has_errors
    by_code = {i.code: i for i in record.issues}
    assert by_code["missing_required"].field == "link"
    assert by_code["missing_required"].rule == "fields.link: column link"
    assert by_code["too_long"].field == "title"
    assert "151 characters; google allows 150" in by_code["too_long"].message
    assert by_code["invalid_value"].field == "condition"
    assert by_code["invalid_value"].severity is Severity.ERROR
    assert all(i.sku == "SKU-1" for i in record.issues)


def test_field_without_mapping_rule_is_reported_as_missing(make_mapper: MapperFactory) -> None:
    mapper = make_mapper('[fields]\nid = "sku"\n')
    record = mapper.map_product(make_product(), available=1, now=NOW)
    missing = {i.field for i in record.issues if i.code == "missing_required"}
    assert missing == {"title", "description", "link", "image_link", "availability", "price"}
    assert all(i.rule is None for i in record.issues)


def test_transform_problem_becomes_an_issue_on_its_field(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + 'gtin = { transform = "gtin" }\n')
    record = mapper.map_product(make_product(gtin="4006381333932"), available=1, now=NOW)
    assert codes(record) == [("invalid_gtin", "gtin")]
    assert record.issues[0].rule == "fields.gtin: column gtin → gtin"
    assert record.sendable and "gtin" not in record.fields


class TestFilters:
    TEXT = BASE_FIELDS + """
[filters]
include = [{ status = "active" }, { tag_contains = "preview" }]
exclude = [{ brand_in = ["Globex"] }, { price_min = "100", in_stock = false }]
"""

    def test_include_and_exclude_with_reasons(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        draft = mapper.map_product(make_product(status=ProductStatus.DRAFT), available=1,
                                   now=NOW)
        assert not draft.included and draft.fields == {}
        assert draft.exclusion == ("filtered out: no filters.include set matched: "
                                   "(status = active) or (tags contain 'preview')")
        preview = mapper.map_product(make_product(status=ProductStatus.DRAFT, tags=["Preview"]),
                                     available=1, now=NOW)
        assert preview.included
        globex = mapper.map_product(make_product(brand="globex"), available=1, now=NOW)
        assert globex.exclusion == "filtered out: filters.exclude[0] matched (brand in ['Globex'])"
        pricey = make_product(price=Decimal("150"))
        assert mapper.map_product(pricey, available=1, now=NOW).included
        assert mapper.map_product(pricey, available=0, now=NOW).exclusion == (
            "filtered out: filters.exclude[1] matched (price ≥ 100, available ≤ 0)")

    def test_category_under_and_has(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(BASE_FIELDS + """
[filters]
include = [{ category_under = "apparel >  shirts", has = ["gtin"] }]
""")
        assert mapper.map_product(make_product(category="Apparel > Shirts > Polo"), available=1,
                                  now=NOW).included
        assert not mapper.map_product(make_product(category="Apparel > Shirtsleeves"),
                                      available=1, now=NOW).included
        assert not mapper.map_product(make_product(gtin=None), available=1, now=NOW).included

    def test_catalog_exclusion_wins(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        record = mapper.map_product(make_product(), available=1, now=NOW, exclusion="recall")
        assert record.exclusion == "excluded in the catalog: recall"

    def test_explain_maps_excluded_products_too(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        record = mapper.map_product(make_product(brand="Globex"), available=1, now=NOW,
                                    explain=True)
        assert not record.included and record.fields["id"] == "SKU-1"
        assert record.trace[0].field == "(record)"
        assert record.trace[0].after == record.exclusion


def test_overrides(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + 'additional_image_link = "additional_images"\n')
    record = mapper.map_product(
        make_product(), available=1, now=NOW, explain=True,
        overrides={"title": "Hand-written title", "additional_image_link": "https://a | https://b",
                   "colour": "red", "description": ""})
    assert record.fields["title"] == "Hand-written title"
    assert record.fields["additional_image_link"] == ["https://a", "https://b"]
    assert list(record.fields)[:3] == ["id", "title", "link"]  # empty override removes a field
    assert codes(record) == [("override_unknown_field", "colour"),
                             ("missing_required", "description")]
    assert record.issues[1].rule == "override of description stored in the catalog"
    steps = [s for s in record.trace if s.rule == "override (catalog)"]
    assert [s.field for s in steps] == ["additional_image_link", "description", "title"]


class TestCategories:
    TEXT = BASE_FIELDS + """
google_product_category = { rule = "category" }
[categories]
{default}
[categories.map]
"Home" = "536"
"Home > Kitchen" = "638"
"""

    def test_longest_prefix(self, make_mapper: MapperFactory) -> None:
        # Not apparel ids: Google's apparel attributes (gender, size …) are not the point here.
        mapper = make_mapper(self.TEXT.replace("{default}", ""))
        for path, expected in [("Home > Kitchen > Pans", "638"), ("home>kitchen", "638"),
                               ("Home > Garden", "536")]:
            record = mapper.map_product(make_product(category=path), available=1, now=NOW)
            assert record.fields["google_product_category"] == expected
            assert record.issues == []

    def test_unmapped_is_reported(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT.replace("{default}", ""))
        record = mapper.map_product(make_product(category="Toys"), available=1, now=NOW)
        assert "google_product_category" not in record.fields
        assert codes(record) == [("category_unmapped", "google_product_category")]
        with_default = make_mapper(self.TEXT.replace("{default}", 'default = "1"'))
        record = with_default.map_product(make_product(category="Toys"), available=1, now=NOW)
        assert record.fields["google_product_category"] == "1"
        assert codes(record) == [("category_default", "google_product_category")]


class TestVariants:
    TEXT = BASE_FIELDS + """
item_group_id = { rule = "item_group_id" }
[variants]
attributes = { color = "color", Size = "size", Style = "pattern" }
"""

    def test_axes_fill_channel_fields(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        product = make_product(item_group_id="TEE", color="Red", size="M",
                               variant_axes=["color", "size", "Style"],
                               attributes={"Style": "Striped"})
        record = mapper.map_product(product, available=1, now=NOW)
        assert record.fields["item_group_id"] == "TEE"
        assert (record.fields["color"], record.fields["size"], record.fields["pattern"]) == \
            ("Red", "M", "Striped")
        assert list(record.fields)[-4:] == ["item_group_id", "color", "size", "pattern"]
        assert record.issues == []

    def test_missing_value_and_unmapped_axis(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        product = make_product(item_group_id="TEE", color="Red", variant_axes=["color", "size",
                                                                                  "Fit"])
        record = mapper.map_product(product, available=1, now=NOW)
        assert codes(record) == [("variant_value_missing", "size"),
                                 ("variant_axis_unmapped", None)]
        assert record.has_errors

    def test_standalone_product_is_not_a_variant(self, make_mapper: MapperFactory) -> None:
        mapper = make_mapper(self.TEXT)
        record = mapper.map_product(make_product(variant_axes=["size"]), available=1, now=NOW)
        assert "item_group_id" not in record.fields and record.issues == []


def test_meta_needs_brand_gtin_or_mpn(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + 'condition = "condition"\nbrand = "brand"\n'
                         '[values.availability]\nin_stock = "in stock"\n', channel="facebook")
    ok = mapper.map_product(make_product(), available=1, now=NOW)
    assert ok.fields["availability"] == "in stock" and ok.sendable
    record = mapper.map_product(make_product(brand=None), available=1, now=NOW)
    assert codes(record) == [("missing_one_of", "brand")]


def test_price_rules_reach_fields(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + """
sale_price = { rule = "sale_price" }
sale_price_effective_date = { rule = "sale_price_effective_date" }
[price]
currency = "EUR"
markup_percent = 10
round = "0.99"
""")
    from datetime import datetime
    product = make_product(price=Decimal("100"), sale_price=Decimal("50"),
                           sale_start=datetime(2026, 11, 1), sale_end=datetime(2026, 12, 1))
    record = mapper.map_product(product, available=1, now=NOW, explain=True)
    assert record.fields["price"] == "101.99 EUR"  # 100 × 0.92 × 1.1 = 101.2 → 101.99
    assert record.fields["sale_price"] == "50.99 EUR"  # 50 × 0.92 × 1.1 = 50.6 → 50.99
    assert record.fields["sale_price_effective_date"] == \
        "2026-11-01T00:00:00+00:00/2026-12-01T00:00:00+00:00"
    rules = [s.rule for s in record.trace if s.field == "price"]
    assert rules[:3] == ["[price] currency USD→EUR ×0.92", "[price] markup_percent 10",
                         "[price] round 0.99"]


def test_quantity_rules_reach_fields(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS.replace('availability = { rule = "availability" }', "") + """
availability = { rule = "availability" }
quantity_to_sell_on_facebook = { rule = "quantity" }
condition = "condition"
brand = "brand"
[values.availability]
in_stock = "in stock"
out_of_stock = "out of stock"
[quantity]
reserve = 2
floor = 1
""", channel="facebook")
    assert mapper.map_product(make_product(), available=10, now=NOW).fields[
        "quantity_to_sell_on_facebook"] == "8"
    low = mapper.map_product(make_product(), available=3, now=NOW)
    assert (low.fields["availability"], low.fields["quantity_to_sell_on_facebook"]) == \
        ("out of stock", "0")


def test_version_is_stable_and_follows_the_file(tmp_path: Path) -> None:
    schema = channel_schema("google")
    source = REPO_ROOT / "mappings" / "google.toml"
    copy = tmp_path / "google.toml"
    copy.write_bytes(source.read_bytes())
    first = ChannelMapper(schema, copy).version
    assert ChannelMapper(schema, copy).version == first
    copy.write_bytes(source.read_bytes() + b"\n# a comment\n")
    assert ChannelMapper(schema, copy).version != first
    assert ChannelMapper(schema, source, base_currency="EUR").version != first
