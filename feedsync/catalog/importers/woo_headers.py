"""WooCommerce column names in the admin's language, and a merchant's own column map.

WooCommerce translates its export's header row into the admin's language (the strings of
``WC_Product_CSV_Exporter::get_default_column_names()``), so a German shop exports
``Artikelnummer`` and ``Regulärer Preis`` where the documented header says ``SKU`` and
``Regular price``. The names below were taken from real exports and exporter-compatible files of
such shops (Russian: ``tests/fixtures/real_exports/woocommerce-ru-no-sku.csv``); a name missing
here is mapped with ``--columns FILE`` (a TOML file ``"Their name" = "Documented name"``).

Everything is compared case-folded. Weight and dimension headers carry their unit in brackets
("Gewicht (kg)"): the name and the unit are translated separately. Attribute columns have a
number ("Attribut 1 Wert(e)") and are matched by pattern.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from feedsync.errors import InputError

# The documented (English) names a WooCommerce import reads.
DOCUMENTED = (
    "ID", "Type", "SKU", "GTIN, UPC, EAN, or ISBN", "Name", "Published", "Is featured?",
    "Visibility in catalog", "Short description", "Description", "Date sale price starts",
    "Date sale price ends", "In stock?", "Stock", "Sale price", "Regular price", "Categories",
    "Tags", "Images", "Parent", "External URL", "Brands",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "Type": ("Typ", "Тип", "Tipo"),
    "SKU": ("Artikelnummer", "Артикул", "UGS", "REF", "COD", "Código de inventario"),
    "GTIN, UPC, EAN, or ISBN": ("GTIN, UPC, EAN oder ISBN", "GTIN, UPC, EAN ou ISBN",
                                "GTIN, UPC, EAN o ISBN", "GTIN, UPC, EAN of ISBN"),
    "Name": ("Имя", "Название", "Nom", "Nombre", "Nome", "Naam", "Nazwa"),
    "Published": ("Veröffentlicht", "Опубликован", "Publié", "Publicado", "Pubblicato",
                  "Gepubliceerd", "Opublikowany"),
    "Is featured?": ("Ist hervorgehoben?", "рекомендуемый?", "Рекомендуемый?", "Mis en avant ?",
                     "¿Está destacado?", "In evidenza?", "Uitgelicht?"),
    "Visibility in catalog": ("Sichtbarkeit im Katalog", "Видимость в каталоге",
                              "Visibilité dans le catalogue", "Visibilidad en el catálogo",
                              "Visibilità nel catalogo", "Zichtbaarheid in catalogus",
                              "Visibility in catalogue"),
    "Short description": ("Kurzbeschreibung", "Короткое описание", "Description courte",
                          "Descripción corta", "Breve descrizione", "Korte beschrijving"),
    "Description": ("Beschreibung", "Описание", "Descripción", "Descrizione", "Beschrijving",
                    "Opis"),
    "Date sale price starts": ("Datum, an dem Angebotspreis beginnt", "Date de début de promo",
                               "Día en que empieza el precio rebajado"),
    "Date sale price ends": ("Datum, an dem Angebotspreis endet", "Date de fin de promo",
                             "Día en que termina el precio rebajado"),
    "In stock?": ("Vorrätig?", "Auf Lager?", "В наличии?", "En stock ?", "En stock?",
                  "En inventaire?", "¿En inventario?", "Disponibile?", "Op voorraad?"),
    "Stock": ("Bestand", "Lager", "Запасы", "Inventaire", "Inventario", "Magazzino",
              "Voorraad", "Stan magazynowy"),
    "Sale price": ("Angebotspreis", "Цена распродажи", "Распродажная цена", "Tarif promo",
                   "Prix promo", "Prix de vente", "Precio rebajado", "Prezzo in offerta",
                   "Actieprijs", "Cena promocyjna"),
    "Regular price": ("Regulärer Preis", "Базовая цена", "Обычная цена", "Tarif régulier",
                      "Prix de base", "Prix régulier", "Precio normal", "Prezzo di listino",
                      "Reguliere prijs", "Cena regularna"),
    "Categories": ("Kategorien", "Категории", "Catégories", "Categorías", "Categorie",
                   "Categorieën", "Kategorie"),
    "Tags": ("Schlagwörter", "Метки", "Étiquettes", "Etiquetas", "Tag"),
    "Images": ("Bilder", "Изображения", "Imágenes", "Immagini", "Afbeeldingen", "Obrazki"),
    "Parent": ("Übergeordnetes Produkt", "Родительский", "Родитель", "Superior", "Genitore",
               "Hoofd", "Nadrzędny"),
    "External URL": ("Externe URL", "Внешний URL", "URL externe", "URL externa",
                     "URL esterno"),
    "Brands": ("Marken", "Бренды", "Marques", "Marcas", "Marchi", "Merken"),
}
_MEASURES = {
    "weight": ("gewicht", "вес", "poids", "peso", "waga"),
    "length": ("länge", "длина", "longueur", "longitud", "lunghezza", "lengte", "długość"),
    "width": ("breite", "ширина", "largeur", "anchura", "ancho", "larghezza", "breedte",
              "szerokość"),
    "height": ("höhe", "высота", "hauteur", "altura", "altezza", "hoogte", "wysokość"),
}
_UNITS = {"кг": "kg", "г": "g", "см": "cm", "мм": "mm", "м": "m", "livres": "lbs",
          "pouce": "in", "pouces": "in", "lb": "lbs"}
_ATTRIBUTE_PATTERNS = (
    (re.compile(r"attribut (\d+) name"), "name"),
    (re.compile(r"attribut (\d+) wert\(e\)"), "value(s)"),
    (re.compile(r"nom de l['’]attribut (\d+)"), "name"),
    (re.compile(r"valeur\(s\) de l['’]attribut (\d+)"), "value(s)"),
    (re.compile(r"nombre del atributo (\d+)"), "name"),
    (re.compile(r"valor\(es\) del atributo (\d+)"), "value(s)"),
    (re.compile(r"nome dell['’]attributo (\d+)"), "name"),
    (re.compile(r"valore\(i\) dell['’]attributo (\d+)"), "value(s)"),
    (re.compile(r"attribuut (\d+) naam"), "name"),
    (re.compile(r"attribuut (\d+) waarde\(n\)"), "value(s)"),
    (re.compile(r"название атрибута (\d+)"), "name"),
    (re.compile(r"значени[ея] атрибута (\d+)"), "value(s)"),
)
_BY_ALIAS = {alias.casefold(): name.casefold()
             for name, aliases in _ALIASES.items() for alias in aliases}
_MEASURE_BY_ALIAS = {alias: name for name, aliases in _MEASURES.items() for alias in aliases}
_WITH_UNIT = re.compile(r"(.+?)\s*\((.+)\)")


def translate(name: str) -> str | None:
    """The documented name (case-folded) of a localised WooCommerce column, or None."""
    key = name.casefold().strip()
    if key in _BY_ALIAS:
        return _BY_ALIAS[key]
    if match := _WITH_UNIT.fullmatch(key):
        measure = _MEASURE_BY_ALIAS.get(match.group(1))
        if measure is not None:
            unit = match.group(2).strip()
            return f"{measure} ({_UNITS.get(unit, unit)})"
    for pattern, part in _ATTRIBUTE_PATTERNS:
        if match := pattern.fullmatch(key):
            return f"attribute {match.group(1)} {part}"
    return None


def apply(positions: dict[str, int], columns: tuple[tuple[str, str], ...] = (),
          *, localised: bool = True) -> tuple[dict[str, int], list[str]]:
    """``positions`` (case-folded header → index) with the merchant's ``columns`` map applied
    first, then the locale aliases; returns the new positions and a description of what was
    renamed. A documented name already in the header is never replaced."""
    renamed: list[str] = []
    own = {theirs.casefold().strip(): ours.casefold().strip() for theirs, ours in columns}
    out = dict(positions)
    for name, index in positions.items():
        target = own.get(name)
        if target is None and localised and name not in _DOCUMENTED_KEYS:
            target = translate(name)
        if target is None or target == name or target in positions:
            continue
        out.pop(name, None)
        out[target] = index
        renamed.append(f"{name!r} → {target!r}")
    return out, renamed


_DOCUMENTED_KEYS = frozenset(n.casefold() for n in DOCUMENTED)


def read_columns_file(path: Path) -> tuple[tuple[str, str], ...]:
    """A ``--columns`` file: TOML ``"Their column" = "Documented column"`` (optionally under a
    ``[columns]`` table). InputError names the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the columns file: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML columns file: {exc}") from None
    table = data.get("columns", data)
    if not isinstance(table, dict) or not table:
        raise InputError(f"{path}: expected lines like \"Artikelnummer\" = \"SKU\" "
                         "(their column name = the documented name)")
    bad = [key for key, value in table.items() if not isinstance(value, str)]
    if bad:
        raise InputError(f"{path}: the value of {bad[0]!r} must be a column name in quotes")
    return tuple((str(key), str(value)) for key, value in table.items())
