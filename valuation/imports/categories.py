"""Recognise a stock category from how ERPs, charts of accounts and spreadsheets write it.

A category cell can hold a name in one of six languages ("Matières premières", "半成品"), an SAP
material type ("ROH", "HALB"), a French chart-of-accounts (PCG) stock account ("31", "355000"), or
a hierarchical label from an accounting package ("Inventory : Raw Materials", "Produits finis >
Textile"). ``resolve`` reduces any of them to a ``Category``, to ``NotStock`` (a code we know,
which names services, non-valuated or non-stock items: such a line is not pledgeable stock), or to
None when nothing is recognised. Matching is accent-, case- and punctuation-insensitive
(``mapping.normalise``); a firm's own aliases win over the built-in names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from valuation.engine.columns import Category

from .mapping import normalise


@dataclass(frozen=True, slots=True)
class NotStock:
    """A code known to name something that is not valued stock (a service, a non-stock item).

    ``reason`` says what it is, in a few words a finance user understands ("service").
    """

    reason: str


SERVICE = NotStock("service")
NON_STOCK = NotStock("non-stock item")
NON_VALUATED = NotStock("non-valuated material")
OPERATING_SUPPLIES = NotStock("operating supplies (consumed, not valued stock)")
TOOLS = NotStock("production resources and tools")
RETURNABLE = NotStock("returnable packaging owned by a third party")
PROCESS = NotStock("process material (cost carrier, not kept in stock)")
COMPETITOR = NotStock("competitor product (reference only)")
PROVISION = NotStock("stock depreciation provision, not a stock line")

Resolution = Category | NotStock

RAW = Category.RAW_MATERIAL
WIP = Category.WIP
FINISHED = Category.FINISHED_GOOD

# SAP material types (MTART), as MB52 / MMBE / MM60 exports write them.
SAP_MATERIAL_TYPES: dict[str, Resolution] = {
    "ROH": RAW,  # raw materials
    "VERP": RAW,  # packaging
    "ERSA": RAW,  # spare parts
    "HERS": RAW,  # manufacturer parts (bought-in, consumed in production)
    "HALB": WIP,  # semi-finished products
    "FERT": FINISHED,  # finished products
    "HAWA": FINISHED,  # trading goods
    "KMAT": FINISHED,  # configurable materials (sold as configured variants)
    "NOF1": FINISHED,  # non-foods (retail trading goods)
    "FOOD": FINISHED,  # foods except perishables (retail)
    "FRIP": FINISHED,  # perishables (retail)
    "FGTR": FINISHED,  # beverages (retail)
    "MODE": FINISHED,  # apparel (retail)
    "NLAG": NON_STOCK,  # non-stock material
    "UNBW": NON_VALUATED,  # non-valuated material
    "DIEN": SERVICE,  # services
    "SERV": SERVICE,  # services (retail)
    "HIBE": OPERATING_SUPPLIES,  # operating supplies
    "FHMI": TOOLS,  # production resources/tools
    "LEIH": RETURNABLE,  # returnable packaging
    "PROC": PROCESS,  # process material
    "WETT": COMPETITOR,  # competitive products
    "IBAU": NON_STOCK,  # maintenance assemblies (structure only, no stock)
}

# Names per category in English, French, German, Spanish, Italian and Chinese.
NAMES: dict[Resolution, tuple[str, ...]] = {
    RAW: (
        # English
        "raw material",
        "raw materials",
        "raw",
        "rm",
        "materials",
        "components",
        "component",
        "purchased parts",
        "bought in parts",
        "packaging",
        "packaging materials",
        "packing materials",
        "spare parts",
        "spares",
        "supplies",
        "other supplies",
        "raw_material",
        "raw mat",  # Business Central's demo inventory posting groups
        "raw mats",
        # French
        "mp",
        "matière première",
        "matières premières",
        "matières",
        "matière",
        "approvisionnements",
        "autres approvisionnements",
        "composants",
        "emballages",
        "emballage",
        "fournitures",
        "matières consommables",
        "fournitures consommables",
        "pièces détachées",
        "pièces de rechange",
        # German
        "rohstoffe",
        "rohstoff",
        "rohmaterial",
        "material",
        "hilfsstoffe",
        "roh hilfs und betriebsstoffe",
        "rhb",
        "verpackung",
        "verpackungsmaterial",
        "ersatzteile",
        # Spanish
        "materias primas",
        "materia prima",
        "materiales",
        "otros aprovisionamientos",
        "envases",
        "embalajes",
        "envases y embalajes",
        "repuestos",
        "piezas de repuesto",
        "recambios",
        # Italian
        "materie prime",
        "materia prima",
        "materie sussidiarie",
        "materie di consumo",
        "materie sussidiarie e di consumo",
        "imballaggi",
        "imballi",
        "ricambi",
        "parti di ricambio",
        "pezzi di ricambio",
        # Chinese
        "原材料",
        "原料",
        "材料",
        "主要材料",
        "辅助材料",
        "辅料",
        "包装物",
        "包装材料",
        "备品备件",
        "备件",
        "零部件",
        "外购件",
        "周转材料",
        "低值易耗品",
    ),
    WIP: (
        # English
        "wip",
        "work in progress",
        "work in process",
        "semi finished",
        "semi finished goods",
        "semi finished products",
        "semi-finished",
        "semis",
        "sub assemblies",
        "subassemblies",
        "sub assembly",
        "subassembly",
        # French
        "en cours",
        "encours",
        "en-cours",
        "en cours de production",
        "en cours de production de biens",
        "en cours de production de services",
        "produits en cours",
        "travaux en cours",
        "semi finis",
        "semi-finis",
        "produits semi finis",
        "psf",
        "sf",
        # German
        "unfertige erzeugnisse",
        "unfertige leistungen",
        "halbfabrikate",
        "halbfertigerzeugnisse",
        "halbfertigprodukte",
        "halbfertige erzeugnisse",
        "halbfertigwaren",
        # Spanish
        "productos en curso",
        "productos en proceso",
        "trabajo en curso",
        "trabajos en curso",
        "semiterminados",
        "productos semiterminados",
        "semielaborados",
        "productos semielaborados",
        # Italian
        "semilavorati",
        "prodotti semilavorati",
        "prodotti in corso di lavorazione",
        "in corso di lavorazione",
        "lavori in corso",
        # Chinese
        "在制品",
        "半成品",
        "自制半成品",
        "在产品",
        "生产成本",
        "委托加工物资",
    ),
    FINISHED: (
        # English
        "finished goods",
        "finished good",
        "finished products",
        "finished product",
        "finished",
        "fg",
        "merchandise",
        "merchandise inventory",
        "goods for resale",
        "resale goods",
        "trading goods",
        "resale",
        "by products",
        "by-products",
        "byproducts",
        "co products",
        "finished_good",
        # French
        "pf",
        "produits finis",
        "produit fini",
        "produits fini",
        "produits intermédiaires",
        "produits intermédiaires et finis",
        "produits résiduels",
        "résidus",
        "sous produits",
        "marchandises",
        "marchandise",
        # German
        "fertigerzeugnisse",
        "fertige erzeugnisse",
        "fertigprodukte",
        "fertigwaren",
        "fertige erzeugnisse und waren",
        "handelswaren",
        "waren",
        "nebenprodukte",
        "kuppelprodukte",
        # Spanish
        "productos terminados",
        "producto terminado",
        "mercaderías",
        "mercancías",
        "subproductos",
        # Italian
        "prodotti finiti",
        "prodotto finito",
        "merci",
        "sottoprodotti",
        # Chinese
        "产成品",
        "成品",
        "库存商品",
        "商品",
        "副产品",
        "发出商品",
    ),
    SERVICE: (
        "service",
        "services",
        "service item",
        "prestation",
        "prestations",
        "prestations de services",
        "dienstleistung",
        "dienstleistungen",
        "servicios",
        "servizi",
        "服务",
        "劳务",
    ),
    NON_STOCK: (
        "non stock",
        "non-stock",
        "non stock item",
        "non inventory",
        "non-inventory",
        "non inventory part",
        "non inventory item",
        "other charge",
        "non stocké",
        "hors stock",
        "nichtlagermaterial",
        "no inventariable",
        "non a magazzino",
        "非库存",
    ),
    NON_VALUATED: (
        "non valuated",
        "non-valuated",
        "non valorisé",
        "unbewertet",
        "unbewertetes material",
        "no valorado",
        "non valorizzato",
        "不计价",
    ),
    OPERATING_SUPPLIES: ("operating supplies", "betriebsstoffe"),
}

# Separators between the levels of a hierarchical label, most to least common. A plain hyphen is
# not one ("semi-finished"); a spaced dash is ("ROH - Rohstoffe").
_LEVELS = re.compile(r"\s*(?:[/\\:>|»›→：／＞]|\s[-–—]\s)\s*")
# A French PCG stock account: class 3, then the sub-class, then up to six more digits.
_PCG = re.compile(r"3([1-9])\d{0,6}")
_PCG_CLASSES: dict[str, Resolution] = {
    "1": RAW,  # 31 matières premières
    "2": RAW,  # 32 autres approvisionnements (consumables, packaging)
    "3": WIP,  # 33 en-cours de production de biens
    "4": WIP,  # 34 en-cours de production de services
    "5": FINISHED,  # 35 produits intermédiaires et finis
    "7": FINISHED,  # 37 stocks de marchandises
    "9": PROVISION,  # 39 dépréciations des stocks
}
_CODE_PREFIX = re.compile(r"(\S+)\s+(.+)")
# Bracketed remarks around a name: "Produits finis (PF)", "原材料（钢材）".
_BRACKETS = re.compile(r"[(\[（【].*?[)\]）】]")


def _index(table: Mapping[Resolution, Iterable[str]]) -> dict[str, Resolution]:
    index: dict[str, Resolution] = {}
    for target, names in table.items():
        for name in names:
            key = normalise(name)
            previous = index.setdefault(key, target)
            if previous != target:
                raise ValueError(f"Category name “{name}” is listed twice, for {previous} and {target}.")
    return index


NAME_INDEX: dict[str, Resolution] = _index(NAMES)
_SAP_INDEX: dict[str, Resolution] = {normalise(code): target for code, target in SAP_MATERIAL_TYPES.items()}
for _code, _target in _SAP_INDEX.items():
    NAME_INDEX.setdefault(_code, _target)
for _category in Category:
    NAME_INDEX.setdefault(normalise(_category.value), _category)


def pcg_account(key: str) -> Resolution | None:
    """Resolve a French PCG stock account number ("31", "355", "371000"); None if it is not one."""
    match = _PCG.fullmatch(key)
    return _PCG_CLASSES.get(match.group(1)) if match else None


def _alias_index(aliases: Mapping[str, str] | None) -> dict[str, Category]:
    """Normalised alias -> Category; raises ValueError when a target is not a Category value."""
    return {normalise(alias): Category(target) for alias, target in (aliases or {}).items()}


def _resolve_level(level: str, aliases: Mapping[str, Category]) -> Resolution | None:
    """Resolve one level of a label: an alias, a name or code, a PCG account, or "account name"."""
    key = normalise(level)
    if not key:
        return None
    found = aliases.get(key) or NAME_INDEX.get(key) or pcg_account(key)
    if found is not None:
        return found
    bare = normalise(_BRACKETS.sub(" ", level))
    if bare and bare != key:
        return _resolve_level(bare, aliases)
    # "311000 Matières premières", "ROH Rohstoffe", "12010 Inventory": a leading stock account
    # or SAP material type decides, else the name after it (an unknown account number).
    prefixed = _CODE_PREFIX.fullmatch(key)
    if prefixed:
        code, name = prefixed.groups()
        return pcg_account(code) or _SAP_INDEX.get(code) or aliases.get(name) or NAME_INDEX.get(name)
    return None


def levels(text: str) -> list[str]:
    """Split a hierarchical label into its levels, broadest first ("A / B : C" -> A, B, C)."""
    return [part for part in _LEVELS.split(text.strip()) if part.strip()]


class Resolver:
    """Resolves category cells against the built-in names and one set of aliases (built once:
    a file's distinct category values are resolved with the same aliases)."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self.aliases = _alias_index(aliases)

    def exact(self, text: str) -> Resolution | None:
        """Resolve the whole text as one name, code or account (no levels, no brackets): the
        cheap reading, for columns with too many distinct values to be categories."""
        key = normalise(text)
        return self.aliases.get(key) or NAME_INDEX.get(key) or pcg_account(key)

    def __call__(self, text: str | None) -> Resolution | None:
        """Return the Category or NotStock that ``text`` names, or None when it names neither.

        The whole text is tried first (so an alias may name a full label), then the levels of
        a hierarchical label from the most specific (last) to the broadest: "Matières:Acier" is
        a raw material because "Matières" is the most specific level we know.
        """
        if text is None:
            return None
        found = _resolve_level(text, self.aliases)
        if found is not None:
            return found
        parts = levels(text)
        if len(parts) < 2:
            return None
        for part in reversed(parts):
            found = _resolve_level(part, self.aliases)
            if found is not None:
                return found
        return None


def resolve(text: str | None, aliases: Mapping[str, str] | None = None) -> Resolution | None:
    """Return the Category or NotStock that ``text`` names, or None (see ``Resolver``)."""
    return Resolver(aliases)(text)


def match_category(text: str, aliases: Mapping[str, str] | None = None) -> Category | None:
    """Return the stock category ``text`` names, or None (unknown, or known but not stock)."""
    found = resolve(text, aliases)
    return found if isinstance(found, Category) else None


def not_stock(text: str, aliases: Mapping[str, str] | None = None) -> NotStock | None:
    """Return why ``text`` names something that is not valued stock, or None if it does not."""
    found = resolve(text, aliases)
    return found if isinstance(found, NotStock) else None


def is_not_stock(text: str, aliases: Mapping[str, str] | None = None) -> bool:
    """True when ``text`` is a known code or name for services, non-stock or non-valuated items."""
    return not_stock(text, aliases) is not None


def category_lookup(extra_aliases: Mapping[str, str] | None = None) -> dict[str, Category]:
    """Return normalised name -> Category: the built-in names and codes overridden by aliases.

    Exact keys only (no hierarchy, no PCG account numbers): use ``resolve`` for those. Raises
    ValueError when an alias points at something that is not a Category value.
    """
    lookup = {key: found for key, found in NAME_INDEX.items() if isinstance(found, Category)}
    lookup.update(_alias_index(extra_aliases))
    return lookup
