"""Shopify's product CSV export (Admin → Products → Export).

Layout (https://help.shopify.com/en/manual/products/import-export/using-csv): rows are grouped by
``Handle``. A product's first row carries the product-level columns (Title, Body (HTML), Vendor,
Product Category, Type, Tags, Published, Option names, Status …) and its first variant; each
following row of the same handle carries one more variant (Option values, Variant SKU, Variant
Price …) and/or one more image (Image Src, Image Position). Shopify places image *n* on row *n*
whatever that row's variant is, so every ``Image Src`` of a handle is a product image.

Only the current handle's rows are held in memory. Both the classic headers ("Variant SKU",
"Body (HTML)") and the renamed ones of newer exports ("SKU", "Description", "URL handle") are
recognised, case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from feedsync.catalog.importers import values
from feedsync.catalog.importers.base import (
    CONDITIONS,
    Parsed,
    ParseOptions,
    RowCheck,
    check_product,
    clean,
    set_option,
)
from feedsync.catalog.importers.derive import SHOPIFY_PLACEHOLDERS, SkuRule
from feedsync.catalog.importers.source import CsvFile, Problem, Record, Source
from feedsync.errors import InputError
from feedsync.models import Product, ProductStatus

# canonical name → header spellings (classic export first, then newer renamed columns)
COLUMNS: dict[str, tuple[str, ...]] = {
    "Handle": ("Handle", "URL handle"),
    "Title": ("Title",),
    "Body (HTML)": ("Body (HTML)", "Description"),
    "Vendor": ("Vendor",),
    "Product Category": ("Product Category",),
    "Type": ("Type",),
    "Tags": ("Tags",),
    "Published": ("Published", "Published on online store"),
    "Option1 Name": ("Option1 Name",), "Option1 Value": ("Option1 Value",),
    "Option2 Name": ("Option2 Name",), "Option2 Value": ("Option2 Value",),
    "Option3 Name": ("Option3 Name",), "Option3 Value": ("Option3 Value",),
    "Variant SKU": ("Variant SKU", "SKU"),
    "Variant Grams": ("Variant Grams", "Weight value (grams)"),
    "Variant Inventory Tracker": ("Variant Inventory Tracker", "Inventory tracker"),
    "Variant Inventory Qty": ("Variant Inventory Qty", "Inventory quantity"),
    "Variant Price": ("Variant Price", "Price"),
    "Variant Compare At Price": ("Variant Compare At Price", "Compare-at price"),
    "Variant Barcode": ("Variant Barcode", "Barcode"),
    "Image Src": ("Image Src", "Product image URL"),
    "Image Position": ("Image Position",),
    "Variant Image": ("Variant Image", "Variant image URL"),
    "Gift Card": ("Gift Card",),
    "SEO Title": ("SEO Title",),
    "SEO Description": ("SEO Description",),
    "Cost per item": ("Cost per item",),
    "Status": ("Status",),
    "Google Shopping / Gender": ("Google Shopping / Gender",),
    "Google Shopping / Age Group": ("Google Shopping / Age Group",),
    "Google Shopping / MPN": ("Google Shopping / MPN",),
    "Google Shopping / Condition": ("Google Shopping / Condition",),
    "Google Shopping / Google Product Category": ("Google Shopping / Google Product Category",),
    "Google Shopping / Custom Product": ("Google Shopping / Custom Product",),
    **{f"Google Shopping / Custom Label {n}": (f"Google Shopping / Custom Label {n}",)
       for n in range(5)},
    "Image Alt Text": ("Image Alt Text", "Image alt text"),
}
# Category metafields of newer exports: the header's text is in the admin's language
# ("Avsett för (product.metafields.shopify.target-gender)"), the key in brackets is not.
METAFIELDS = {
    "product.metafields.shopify.target-gender": "gender",
    "product.metafields.shopify.age-group": "age_group",
}
GOOGLE_GENDERS = ("male", "female", "unisex")
GOOGLE_AGE_GROUPS = {"newborn": "newborn", "infant": "infant", "toddler": "toddler",
                     "kids": "kids", "adult": "adult", "adults": "adult"}
IMAGE_ROW = "image-only row (an image of the product above)"
REQUIRED = ("Handle", "Title", "Variant SKU", "Variant Price")
# Shopify allows 2048 variants and 250 images per product: a handle with more rows than this is a
# broken file (e.g. one Handle pasted down a whole column), and holding it would grow memory.
MAX_ROWS_PER_HANDLE = 5000
_DEFAULT_OPTION = ("title", "default title")  # a product without options has one variant
_STATUSES = tuple(str(s) for s in ProductStatus)


def resolve_columns(positions: dict[str, int]) -> dict[str, int]:
    """Canonical column name → position, for the columns this header has."""
    found = {}
    for canonical, spellings in COLUMNS.items():
        for spelling in spellings:
            if spelling.casefold() in positions:
                found[canonical] = positions[spelling.casefold()]
                break
    for name, index in positions.items():
        if name.endswith(")") and "(" in name:
            key = name[name.rindex("(") + 1:-1]
            if key in METAFIELDS:
                found[f"metafield {METAFIELDS[key]}"] = index
    return found


def parse(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the variants of a Shopify product export, one handle at a time."""
    table = CsvFile(source)
    columns = resolve_columns(table.columns())
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise InputError(
            f"{source.label}:{table.header_line}: not a complete Shopify product export: "
            f"missing column(s) {', '.join(missing)}"
        )
    group: list[Record] = []
    handle_of_group = ""
    for record in table:
        handle = _cell(record, columns, "Handle").strip()
        if not handle:
            record.problems.append(Problem(record.line, "Handle is required", "Handle"))
            yield Parsed(record.line, clean(_cell(record, columns, "Variant SKU")), None,
                         record.problems)
            continue
        if handle != handle_of_group and group:
            yield from _product(group, columns, options)
            group = []
        handle_of_group = handle
        group.append(record)
        if len(group) > MAX_ROWS_PER_HANDLE:
            raise InputError(
                f"{source.label}:{record.line}: handle {handle!r} has more than "
                f"{MAX_ROWS_PER_HANDLE} rows; a Shopify product has at most 2048 variants and "
                "250 images: is the Handle column filled correctly?")
    if group:
        yield from _product(group, columns, options)


def _cell(record: Record, columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(record.cells):
        return ""
    return record.cells[index]


def _is_variant_row(record: Record, columns: dict[str, int]) -> bool:
    return any(_cell(record, columns, name).strip()
               for name in ("Variant SKU", "Variant Price", "Option1 Value"))


def _product(group: list[Record], columns: dict[str, int],
             options: ParseOptions) -> Iterator[Parsed]:
    """The variants of one handle, sharing the product-level data of its first row."""
    first = group[0]
    handle = _cell(first, columns, "Handle").strip()

    def get(name: str) -> str:
        return _cell(first, columns, name)

    check = RowCheck(first.line)
    title = get("Title").strip()
    if not title:
        check.error("Title", None, f"Title is required on the first row of handle {handle!r} "
                    "(are this product's rows split apart? Shopify exports keep them together)")
    option_names = [get(f"Option{i} Name").strip() for i in (1, 2, 3)]
    has_options = bool(option_names[0]) and (
        option_names[0].lower(), get("Option1 Value").strip().lower()) != _DEFAULT_OPTION
    status = _status(check, get("Status"), get("Published"), "Status" in columns)
    attributes: dict[str, object] = {"handle": handle}
    for column, key in (("SEO Title", "seo_title"), ("SEO Description", "seo_description"),
                        ("Google Shopping / Google Product Category", "google_product_category"),
                        ("Google Shopping / Custom Product", "google_custom_product"),
                        *((f"Google Shopping / Custom Label {n}", f"custom_label_{n}")
                          for n in range(5))):
        if get(column).strip():
            attributes[key] = get(column).strip()
    if get("Gift Card").strip().lower() == "true":
        attributes["gift_card"] = True
    mpn = check.part_number("Google Shopping / MPN", get("Google Shopping / MPN"))
    template = Product(
        sku="", title=title, price=Decimal(0), currency=options.default_currency,
        item_group_id=handle if has_options else None,
        description=get("Body (HTML)"),
        brand=clean(get("Vendor")),
        mpn=mpn,
        condition=check.choice("Google Shopping / Condition",
                               get("Google Shopping / Condition"), CONDITIONS, "new") or "new",
        category=values.category_path(get("Product Category")),
        product_type=get("Type").strip(),
        tags=values.unique(values.split_escaped(get("Tags"))),
        status=status,
        gender=_gender(get("Google Shopping / Gender"), get("metafield gender")),
        age_group=_age_group(get("Google Shopping / Age Group"), get("metafield age_group")),
        attributes=attributes,
    )
    images, alt_texts = _images(check, group, columns)
    if alt_texts:
        attributes["image_alt_text"] = alt_texts
    product_problems = check.problems
    product_warnings = check.warnings
    sku_rule = SkuRule(options.shopify_sku_rule, SHOPIFY_PLACEHOLDERS)
    for record in group:
        if record is not first and not _is_variant_row(record, columns):
            # an image row (read cleanly, or not: then it is skipped with its problems)
            yield Parsed(record.line, None, None, record.problems,
                         note=None if record.problems else IMAGE_ROW)
            continue
        parsed = _variant(record, columns, template, option_names, images, options, sku_rule)
        if record is first:
            parsed.warnings[:0] = product_warnings
        if product_problems:
            if record is first:
                parsed.problems = product_problems + parsed.problems
            else:
                parsed.problems.append(Problem(
                    record.line, f"skipped: the product's first row (line {first.line}) is "
                    "invalid", sku=parsed.sku))
            for problem in parsed.problems:
                problem.sku = problem.sku or parsed.sku
            parsed.product = None
        yield parsed


def _status(check: RowCheck, status: str, published: str, has_status: bool) -> ProductStatus:
    if has_status and status.strip():
        return ProductStatus(check.choice("Status", status, _STATUSES, "active") or "active")
    # Older exports have no Status column: an unpublished product is not ready to sell.
    return ProductStatus.DRAFT if published.strip().lower() == "false" else ProductStatus.ACTIVE


def _tracking(tracked: bool, has_tracker_column: bool, quantity: int | None) -> bool | None:
    """The row's stock tracking: what the tracker column says (a tracked variant without a
    count in this file keeps its stored stock), else tracked when the row gives a count."""
    if has_tracker_column:
        return tracked
    return True if quantity is not None else None


def _gender(google: str, metafield: str) -> str | None:
    """Google Shopping / Gender, else the category metafield when it holds Google's word."""
    if google.strip():
        return google.strip().lower()
    value = metafield.strip().lower()
    return value if value in GOOGLE_GENDERS else None


def _age_group(google: str, metafield: str) -> str | None:
    """Google Shopping / Age Group, else the category metafield when it holds Google's word
    (the metafield holds the admin's own word, e.g. Swedish "vuxna", otherwise)."""
    if google.strip():
        return google.strip().lower()
    return GOOGLE_AGE_GROUPS.get(metafield.strip().lower())


def _images(check: RowCheck, group: list[Record],
            columns: dict[str, int]) -> tuple[list[str], dict[str, str]]:
    """Every image of the handle in display order, and the alt text of those that have one."""
    found: list[tuple[int, int, str]] = []
    alt_texts: dict[str, str] = {}
    for order, record in enumerate(group):
        src = _cell(record, columns, "Image Src").strip()
        if not src:
            continue
        row_check = RowCheck(record.line)
        url = row_check.url("Image Src", src)
        position = row_check.parse("Image Position", _cell(record, columns, "Image Position"),
                                   values.parse_quantity)
        check.problems.extend(row_check.problems)
        if url:
            found.append((position if position is not None else 10_000 + order, order, url))
            alt = _cell(record, columns, "Image Alt Text").strip()
            if alt:
                alt_texts.setdefault(url, alt)
    return values.unique([url for _, _, url in sorted(found)]), alt_texts


def _variant(record: Record, columns: dict[str, int], template: Product,
             option_names: list[str], images: list[str], options: ParseOptions,
             sku_rule: SkuRule) -> Parsed:
    def get(name: str) -> str:
        return _cell(record, columns, name)

    sku = get("Variant SKU").strip()
    derived = False
    if not sku and sku_rule.enabled:
        chosen = [get(f"Option{n} Value").strip() for n in (1, 2, 3)]
        if (option_names[0].lower(), chosen[0].lower()) == _DEFAULT_OPTION:
            chosen = ["", "", ""]
        sku = sku_rule.render({"handle": _cell(record, columns, "Handle").strip(),
                               "option1": chosen[0], "option2": chosen[1],
                               "option3": chosen[2]})
        derived = bool(sku)
    check = RowCheck(record.line, sku or None)
    check.problems.extend(record.problems)
    if not sku:
        check.error("Variant SKU", None,
                    "Variant SKU is empty and no SKU can be derived ([catalog] "
                    "shopify_sku_rule): give every variant a SKU in Shopify and export again")
    price = check.money("Variant Price", get("Variant Price"))
    if price is None and not get("Variant Price").strip():
        check.error("Variant Price", None, "Variant Price is required")
    compare = check.money("Variant Compare At Price", get("Variant Compare At Price"))
    product = replace(template, sku=sku, tags=list(template.tags),
                      attributes=dict(template.attributes),
                      price=price if price is not None else Decimal(0))
    if price is not None and compare is not None and compare > price:
        # Shopify's compare-at price is the regular price when the product is on sale.
        product.price, product.sale_price = compare, price
    axes = []
    for number, name in enumerate(option_names, start=1):
        value = get(f"Option{number} Value").strip()
        if not value:
            continue
        if not name:
            check.error(f"Option{number} Value", value,
                        f"Option{number} Value without an Option{number} Name on the "
                        "product's first row")
        elif (name.lower(), value.lower()) != _DEFAULT_OPTION:
            axes.append(set_option(product, name, value))
    product.variant_axes = values.unique(axes)
    grams = check.measure("Variant Grams", get("Variant Grams"))
    if grams:  # Shopify writes 0 grams for "no weight entered"
        product.weight, product.weight_unit = grams, "g"
    gtin, other = check.barcode("Variant Barcode", get("Variant Barcode"))
    product.gtin = gtin
    if other:
        product.attributes["barcode"] = other  # an internal barcode, not a GTIN
    cost = check.money("Cost per item", get("Cost per item"))
    if cost is not None:
        product.attributes["cost_per_item"] = format(cost, "f")
    variant_image = check.url("Variant Image", get("Variant Image"))
    product.images = values.unique(([variant_image] if variant_image else []) + images)
    quantity = None
    tracked = "Variant Inventory Tracker" not in columns or bool(
        get("Variant Inventory Tracker").strip())
    if tracked:
        quantity = check.stock("Variant Inventory Qty", get("Variant Inventory Qty"))
    check_product(check, product)
    if check.problems:
        return Parsed(record.line, check.sku, None, check.problems)
    return Parsed(record.line, sku, product, [], quantity,
                  options.location if quantity is not None else None,
                  tracked=_tracking(tracked, "Variant Inventory Tracker" in columns, quantity),
                  warnings=check.warnings, derived_sku=derived)
