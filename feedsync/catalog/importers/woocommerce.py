"""WooCommerce's product CSV export (Products → Export; WC_Product_CSV_Exporter).

Documented at https://github.com/woocommerce/woocommerce/wiki/Product-CSV-Import-Schema and
https://woocommerce.com/document/product-csv-importer-exporter/. Quirks handled here, each as the
exporter writes them:

* ``Type`` is a comma list ("simple, virtual", "variation, downloadable"). ``variable`` parents
  and ``grouped`` containers are not sellable and are not imported; each ``variation`` becomes a
  SKU with ``item_group_id`` = its parent's SKU (or ``woo-<ID>`` when the parent has none) and
  inherits the parent's name, description, categories, tags, brand, images, weight and
  dimensions when its own cell is blank.
* ``Parent`` is the parent's SKU, or ``id:<ID>`` when the parent has no SKU.
* List cells (Categories, Tags, Images, Brands, attribute values) are joined with ", " and a
  comma inside a value is written ``\\,``. Categories are "A > B" paths.
* Newlines in descriptions are written as the two characters ``\\n`` (a literal ``\\n``
  as ``\\\\n``).
* Cells starting with = + - @ are prefixed with ``'`` against spreadsheet formula injection.
* ``Published``: 1 published, 0 private, -1 draft, 2 pending. ``In stock?``: 1, 0 or backorder.
  ``Stock``: a number, blank (not managed) or ``parent`` (managed on the parent).
* Weight and dimension headers carry the store's unit: "Weight (kg)", "Length (cm)".

Variations may come before their parent (the export is ordered by post ID). Parents are kept in a
temporary SQLite database and variations that arrive first wait there too: memory stays flat.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from decimal import Decimal

from feedsync.catalog.importers import values, woo_headers
from feedsync.catalog.importers.base import (
    Parsed,
    ParseOptions,
    RowCheck,
    axis_name,
    check_product,
    clean,
    set_option,
)
from feedsync.catalog.importers.derive import WOOCOMMERCE_PLACEHOLDERS, SkuRule
from feedsync.catalog.importers.source import CsvFile, Problem, Source
from feedsync.catalog.importers.woo_layout import Columns, Scratch, WooRow, description_text
from feedsync.models import VARIANT_COLUMNS, Product, ProductStatus

VARIABLE_ROW = "variable product (its variations are the SKUs)"
GROUPED_ROW = "grouped product (a set of other products, not sold itself)"
SHORT_ROWS = ("this row has {cells} cells but the header has {width}: WooCommerce writes its "
              "export in batches and rows of earlier batches lack the columns found later; "
              "missing trailing cells are read as empty (reported once for the file)")
HIDDEN = ("hidden in the store's catalog (Visibility in catalog = hidden): imported as draft, "
          "so no channel lists it")

_GTIN = "gtin, upc, ean, or isbn"
# GTIN columns of WooCommerce 9.x stores with an identifier plugin ("GTIN13 / EAN" …)
_MORE_GTINS = ("gtin13 / ean", "gtin12 / upc", "gtin14 / itf-14", "gtin8", "isbn")
_PUBLISHED = {"1": ProductStatus.ACTIVE, "0": ProductStatus.DRAFT,
              "-1": ProductStatus.DRAFT, "2": ProductStatus.DRAFT}
_CACHE_SIZE = 64

# Product cost (for feedsync report's margin), by where stores keep it: WooCommerce's own cost
# of goods field (exporter column "Cost of goods"), SkyVerge's Cost of Goods plugin
# (meta _wc_cog_cost) and WPFactory's Cost of Goods plugin (meta _alg_wc_cog_cost).
_COST_COLUMNS = ("cost of goods", "meta: _wc_cog_cost", "meta: _alg_wc_cog_cost")


def parse(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the sellable SKUs (simple products and variations) of a WooCommerce export, and
    a note for every other row (variable parents, grouped products)."""
    table = CsvFile(source, short_rows_ok=True)
    positions, _ = woo_headers.apply(table.columns(), options.columns)
    columns = Columns.from_header(positions, source.label, table.header_line)
    sku_rule = SkuRule(options.woocommerce_sku_rule, WOOCOMMERCE_PLACEHOLDERS)
    short_reported = False
    scratch = Scratch()
    parents: OrderedDict[str, Parent] = OrderedDict()

    def parent_for(key: str) -> Parent | None:
        if key in parents:
            parents.move_to_end(key)
            return parents[key]
        record = scratch.parent(key)
        found = Parent(WooRow(record, columns), options) if record else None
        if found is not None:
            remember(key, found)
        return found

    def remember(key: str, parent: Parent) -> None:
        parents[key] = parent
        parents.move_to_end(key)
        if len(parents) > _CACHE_SIZE:
            parents.popitem(last=False)

    try:
        for record in table:
            if table.short_rows and not short_reported and len(record.cells) < table.width:
                short_reported = True
                first_short = record.line
            else:
                first_short = 0
            row = WooRow(record, columns)
            types = row.types()
            parsed: Parsed | None
            if "variable" in types:
                parent = Parent(row, options)
                keys = [k for k in (f"id:{row.get('ID').strip()}" if row.get("ID").strip()
                                    else "", parent.sku or "") if k]
                scratch.add_parent(keys, record)
                for key in keys:
                    remember(key, parent)
                parsed = Parsed(record.line, parent.sku, None, parent.problems,
                                note=None if parent.problems else VARIABLE_ROW)
            elif "variation" in types:
                key = row.get("Parent").strip()
                found = parent_for(key) if key else None
                if found is None and key:
                    scratch.wait(key, record)
                    parsed = None
                else:
                    parsed = _variation(row, found, options, sku_rule)
            elif "grouped" in types:
                parsed = Parsed(record.line, clean(row.get("SKU")), None, record.problems,
                                note=None if record.problems else GROUPED_ROW)
            else:
                parsed = _sellable(row, None, options, sku_rule)
            if first_short and parsed is not None:
                parsed.warnings.insert(0, Problem(first_short, SHORT_ROWS.format(
                    cells=len(record.cells), width=table.width)))
            elif first_short:
                scratch.short_line = first_short
            if parsed is not None:
                yield parsed
        for key, record in scratch.waiting():
            parsed = _variation(WooRow(record, columns), parent_for(key), options, sku_rule)
            if record.line == scratch.short_line:
                parsed.warnings.insert(0, Problem(record.line, SHORT_ROWS.format(
                    cells=len(record.cells), width=table.width)))
            yield parsed
    finally:
        scratch.close()


class Parent:
    """A variable product: the data its variations inherit, parsed once."""

    def __init__(self, row: WooRow, options: ParseOptions) -> None:
        check = RowCheck(row.line)
        self.line = row.line
        self.sku = clean(row.get("SKU"))
        self.group_id = self.sku or f"woo-{row.get('ID').strip()}"
        self.product = _fill(row, check, options, None, is_parent=True)
        self.option_names = {name.casefold() for name, _ in row.options()}
        self.woo_id = row.get("ID").strip()
        self.hidden = row.get("Visibility in catalog").strip().lower() == "hidden"
        stock = row.get("Stock").strip()
        self.stock = check.stock("Stock", stock)
        self.tracked: bool | None = True
        if self.stock is None and not stock:
            self.stock, self.tracked = _unmanaged(row.get("In stock?"))
        if not self.product.title:
            check.error("Name", None, "Name is required")
        self.problems = check.problems


def _variation(row: WooRow, parent: Parent | None, options: ParseOptions,
               sku_rule: SkuRule) -> Parsed:
    key = row.get("Parent").strip()
    if parent is None or parent.problems:
        sku = clean(row.get("SKU"))
        reason = (f"skipped: its parent (line {parent.line}) is invalid" if parent is not None
                  else f"parent {key!r} is not in this file" if key
                  else "a variation needs a Parent (the parent's SKU or id:<ID>)")
        return Parsed(row.line, sku, None,
                      [*row.problems, Problem(row.line, reason, "Parent", key or None, sku)])
    return _sellable(row, parent, options, sku_rule)


def _sellable(row: WooRow, parent: Parent | None, options: ParseOptions,
              sku_rule: SkuRule) -> Parsed:
    sku = row.get("SKU").strip()
    woo_id = row.get("ID").strip()
    derived = False
    if not sku and sku_rule.enabled:
        sku = sku_rule.render({"id": woo_id, "parent_id": parent.woo_id if parent else "",
                               "parent_sku": parent.sku or "" if parent else ""})
        derived = bool(sku)
    check = RowCheck(row.line, sku or None)
    check.problems.extend(row.problems)
    if not sku:
        check.error("SKU", None, "SKU is empty and no SKU can be derived ([catalog] "
                    "woocommerce_sku_rule needs the ID column): give it a SKU in WooCommerce "
                    "and export again")
    product = _fill(row, check, options, parent)
    product.sku = sku
    if woo_id:
        product.attributes["woo_id"] = woo_id
    if parent is not None and parent.woo_id:
        product.attributes["woo_parent_id"] = parent.woo_id
    permalink = row.get("Permalink").strip()  # written by export plugins, not by WooCommerce
    if permalink.startswith(("https://", "http://")):
        product.attributes["permalink"] = permalink
    if not product.title:
        check.error("Name", None, "Name is required")
    price_text = row.get("Regular price")
    price = check.money("Regular price", price_text)
    if price is None and not price_text.strip():
        check.error("Regular price", None, "Regular price is required")
    product.price = price if price is not None else Decimal(0)
    product.sale_price = check.money("Sale price", row.get("Sale price"))
    product.sale_start = check.moment("Date sale price starts", row.get("Date sale price starts"))
    product.sale_end = check.moment("Date sale price ends", row.get("Date sale price ends"),
                                    end_of_day=True)
    for column in (_GTIN, *_MORE_GTINS):
        if column in row.columns.positions and row.get(column).strip():
            gtin, other = check.barcode(column, row.get(column))
            product.gtin = gtin
            if other:
                product.attributes["barcode"] = other
            break
    product.mpn = check.part_number("MPN", row.get("MPN"))
    for column in _COST_COLUMNS:
        if column in row.columns.positions and row.get(column).strip():
            cost = check.money(column, row.get(column))
            if cost is not None:
                product.attributes["cost"] = format(cost, "f")
            break
    if "external" in row.types():
        product.link = check.url("External URL", row.get("External URL"))
    quantity, tracked = _stock(check, row, parent)
    visibility = row.get("Visibility in catalog").strip().lower()
    if visibility == "hidden" or (parent is not None and parent.hidden):
        visibility = "hidden"  # a variation of a hidden product is hidden with it
        product.status = ProductStatus.DRAFT
        product.attributes["catalog_visibility"] = "hidden"
        check.warn("Visibility in catalog", "hidden", HIDDEN)
    check_product(check, product)
    if check.problems:
        return Parsed(row.line, check.sku, None, check.problems)
    return Parsed(row.line, sku, product, [], quantity,
                  options.location if quantity is not None else None, tracked=tracked,
                  warnings=check.warnings, derived_sku=derived)


def _fill(row: WooRow, check: RowCheck, options: ParseOptions, parent: Parent | None,
          *, is_parent: bool = False) -> Product:
    """Everything but price, sale, GTIN and stock; blanks inherit from ``parent``."""
    base = parent.product if parent else None

    def inherit(own: str, from_parent: Callable[[Product], str]) -> str:
        return own if own.strip() or base is None else from_parent(base)

    description = description_text(row.get("Description")) or description_text(
        row.get("Short description"))
    categories = values.split_escaped(row.get("Categories"))
    product = Product(
        sku="", title=inherit(row.get("Name").strip(), lambda p: p.title),
        price=Decimal(0), currency=options.default_currency,
        item_group_id=parent.group_id if parent else None,
        description=inherit(description, lambda p: p.description),
        category=(values.category_path(categories[0]) if categories
                  else base.category if base else ""),
        tags=values.unique(values.split_escaped(row.get("Tags"))) or (
            list(base.tags) if base else []),
        status=_published(check, row, base),
        attributes=dict(base.attributes) if base else {},
    )
    if categories:
        product.attributes.pop("categories", None)
    if len(categories) > 1:  # the catalog has one category path; keep all of them too
        product.attributes["categories"] = [values.category_path(c) for c in categories]
    brands = values.split_escaped(row.get("Brands"))
    product.brand = brands[0] if brands else base.brand if base else None
    images = [url for url in (check.url("Images", u) for u in values.split_escaped(
        row.get("Images"))) if url]
    product.images = values.unique(images + (base.images if base else []))
    for measure, (index, unit) in row.columns.units.items():
        amount = check.measure(f"{measure.capitalize()} ({unit})", row.at(index))
        if amount is None and base is not None:
            amount = getattr(base, measure)
        if amount is not None and unit == "yd":
            amount, unit = amount * 36, "in"  # the catalog's dimension units stop at metres/inches
        if amount is not None:
            setattr(product, measure, amount)
            setattr(product, "weight_unit" if measure == "weight" else "dimension_unit", unit)
    _apply_attributes(product, row, parent, is_parent)
    return product


def _published(check: RowCheck, row: WooRow, base: Product | None) -> ProductStatus:
    text = row.get("Published").strip()
    if not text:
        return base.status if base else ProductStatus.ACTIVE
    status = _PUBLISHED.get(text)
    if status is None:
        check.error("Published", text, "must be 1 (published), 0 (private), -1 (draft) or 2")
        return ProductStatus.DRAFT
    if base is not None and base.status is not ProductStatus.ACTIVE:
        return base.status  # a variation of an unpublished product is not for sale either
    return status


def _apply_attributes(product: Product, row: WooRow, parent: Parent | None,
                      is_parent: bool) -> None:
    """Variation attributes become axes; other single values fill columns or attributes.

    A variable parent lists every option of its variation attributes; those lists are not
    product data (each variation carries its own value), so only single values are kept.
    """
    axes = []
    for name, options in row.options():
        if parent is not None:
            if options:  # an empty value means "any": the variation covers every value
                axes.append(set_option(product, name, options[0]))
        elif len(options) == 1:
            set_option(product, name, options[0])
        elif options and not is_parent:
            product.attributes[axis_name(name)] = options
    if parent is not None:
        for column in VARIANT_COLUMNS:  # parent-level single values (e.g. material) carry over
            if getattr(product, column) is None and column not in axes:
                setattr(product, column, getattr(parent.product, column))
        product.variant_axes = values.unique(axes)


def _stock(check: RowCheck, row: WooRow, parent: Parent | None) -> tuple[int | None, bool | None]:
    """(quantity, tracked): a count; 0 for "not managed, out of stock"; or no count and not
    tracked for "not managed, in stock" (``In stock?`` 1 or backorder, ``Stock`` blank)."""
    stock = row.get("Stock").strip()
    if stock.lower() == "parent":
        if parent is None:
            return None, None
        return parent.stock, parent.tracked
    quantity = check.stock("Stock", stock)
    if quantity is not None:
        return quantity, True
    if stock:
        return None, None  # invalid: reported by check.stock
    return _unmanaged(row.get("In stock?"))


def _unmanaged(in_stock: str) -> tuple[int | None, bool | None]:
    """Stock not managed by WooCommerce: only the ``In stock?`` flag says anything."""
    flag = in_stock.strip().lower()
    if flag == "0":
        return 0, True  # marked out of stock: nothing to sell, whatever the count
    if flag in ("1", "backorder"):
        return None, False  # sellable, without a count
    return None, None
