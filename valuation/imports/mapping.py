"""Recognise source headers and category names in English, French and Chinese.

Matching is accent-, case- and punctuation-insensitive: every header is reduced to a key
(``normalise``) and looked up in a table of synonyms per canonical column. A ``ColumnMapping``
records the decision; it is JSON-able so the Django side can store it per client, let an advisor
correct it and pass it back for the next upload.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from valuation.engine.columns import COLUMNS, Category

_PUNCTUATION = re.compile(r"[^\w]+")
_PARENTHESES = re.compile(r"[(\[（【].*?[)\]）】]")
# Units and currency noise around a header ("PU HT (€)", "Valeur stock EUR", "Qty (pcs)").
_NOISE_WORDS = frozenset({"eur", "euro", "euros", "usd", "cny", "rmb", "ht", "ttc", "en", "in"})


def normalise(text: str) -> str:
    """Reduce a header or code to a matching key: 'Qté.' -> 'qte', 'PU HT (€)' -> 'pu ht'.

    Accents are removed, case folded, punctuation turned into single spaces; CJK characters
    are kept as they are (they carry no case or accents).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCTUATION.sub(" ", stripped.casefold()).replace("_", " ").strip()


def _loose(key: str) -> str:
    """A second, looser key: without bracketed text, units and currency words."""
    return " ".join(w for w in normalise(_PARENTHESES.sub(" ", key)).split() if w not in _NOISE_WORDS)


# Canonical column -> ways ERPs and spreadsheets name it (compared after ``normalise``).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku",
        "item",
        "item code",
        "item number",
        "item no",
        "article",
        "code article",
        "code",
        "ref",
        "reference",
        "référence",
        "réf article",
        "ref article",
        "code produit",
        "product code",
        "part number",
        "part no",
        "material",
        "material number",
        "matnr",
        "article code",
        "n article",
        "no article",
        "numéro article",
        "code art",
        "物料编码",
        "物料代码",
        "物料编号",
        "存货编码",
        "商品编码",
        "产品编码",
        "料号",
        "编码",
    ),
    "description": (
        "description",
        "désignation",
        "designation",
        "libellé",
        "libelle",
        "libellé article",
        "item description",
        "product name",
        "name",
        "nom",
        "material description",
        "物料名称",
        "存货名称",
        "名称",
        "品名",
        "商品名称",
        "产品名称",
        "描述",
    ),
    "category": (
        "category",
        "catégorie",
        "catégorie stock",
        "famille",
        "famille stock",
        "type",
        "stock type",
        "type de stock",
        "nature",
        "nature stock",
        "item type",
        "inventory type",
        "stock category",
        "类别",
        "存货类别",
        "物料类别",
        "分类",
        "库存类别",
        "类型",
    ),
    "sub_category": (
        "sub category",
        "subcategory",
        "sous catégorie",
        "sous famille",
        "sous-famille",
        "product group",
        "groupe article",
        "子类别",
        "小类",
    ),
    "warehouse": (
        "warehouse",
        "warehouse code",
        "site",
        "location",
        "dépôt",
        "depot",
        "code dépôt",
        "magasin",
        "entrepôt",
        "entrepot",
        "emplacement",
        "storage location",
        "plant",
        "仓库",
        "仓库编码",
        "仓库代码",
        "库位",
        "存放地点",
    ),
    "quantity": (
        "quantity",
        "qty",
        "qté",
        "qte",
        "quantité",
        "quantite",
        "quantité en stock",
        "qté stock",
        "stock qty",
        "on hand",
        "qty on hand",
        "quantity on hand",
        "stock",
        "unrestricted",
        "数量",
        "库存数量",
        "结存数量",
        "现存量",
    ),
    "unit": ("unit", "uom", "unité", "unite", "um", "unit of measure", "单位", "计量单位"),
    "unit_cost": (
        "unit cost",
        "cost",
        "unit price",
        "pu",
        "pu ht",
        "prix unitaire",
        "prix unitaire ht",
        "coût unitaire",
        "cout unitaire",
        "cump",
        "pmp",
        "prix moyen pondéré",
        "standard cost",
        "average cost",
        "moving average price",
        "prix de revient",
        "coût de revient unitaire",
        "单价",
        "单位成本",
        "成本单价",
        "平均单价",
    ),
    "book_value": (
        "book value",
        "value",
        "stock value",
        "inventory value",
        "total value",
        "amount",
        "valeur",
        "valeur stock",
        "valeur du stock",
        "valeur comptable",
        "montant",
        "valeur totale",
        "valorisation",
        "金额",
        "库存金额",
        "结存金额",
        "总金额",
        "成本金额",
    ),
    "currency": ("currency", "devise", "monnaie", "ccy", "币种", "货币"),
    "last_movement_date": (
        "last movement",
        "last movement date",
        "date dernier mouvement",
        "dernier mouvement",
        "date dernière sortie",
        "date derniere sortie",
        "last issue date",
        "last activity",
        "最后出库日期",
        "最后移动日期",
        "最近出库日期",
        "最后变动日期",
    ),
    "receipt_date": (
        "receipt date",
        "date réception",
        "date de réception",
        "date entrée",
        "date d entrée",
        "goods receipt date",
        "入库日期",
        "收货日期",
    ),
    "annual_consumption_qty": (
        "annual consumption",
        "annual usage",
        "consommation annuelle",
        "conso annuelle",
        "annual sales qty",
        "ventes annuelles",
        "年消耗量",
        "年用量",
        "年销量",
    ),
    "unpaid_amount": (
        "unpaid amount",
        "montant impayé",
        "montant non payé",
        "reste à payer",
        "未付金额",
    ),
    "retention_of_title": (
        "retention of title",
        "réserve de propriété",
        "clause de réserve de propriété",
        "所有权保留",
    ),
    "supplier_consignment": (
        "consignment",
        "supplier consignment",
        "consignation",
        "stock en consignation",
        "dépôt fournisseur",
        "寄售",
        "供应商寄售",
    ),
    "reverse_factoring": ("reverse factoring", "affacturage inversé", "反向保理"),
    "defective": (
        "defective",
        "damaged",
        "défectueux",
        "defectueux",
        "abîmé",
        "avarié",
        "non conforme",
        "残次品",
        "不良品",
        "损坏",
    ),
    "expiry_date": (
        "expiry date",
        "expiration date",
        "best before",
        "date péremption",
        "date de péremption",
        "dlc",
        "dluo",
        "ddm",
        "有效期",
        "到期日",
        "失效日期",
    ),
    "in_transit": ("in transit", "en transit", "transit", "在途"),
    "customer_return": ("customer return", "retour client", "retours clients", "退货", "客户退货"),
    "firm_order": ("firm order", "commande ferme", "sous commande", "确定订单"),
    "sellable_as_is": ("sellable as is", "vendable en l état", "vendable en l'état", "可直接销售"),
    "resale_unit_price": (
        "resale price",
        "resale unit price",
        "selling price",
        "sales price",
        "prix de vente",
        "prix de vente unitaire",
        "pv",
        "pvu",
        "销售单价",
        "售价",
        "销售价格",
    ),
    "transport_cost": (
        "transport cost",
        "coût transport",
        "frais de transport",
        "运输费用",
        "运费",
    ),
    "storage_cost": ("storage cost", "coût stockage", "frais de stockage", "仓储费用", "仓储费"),
    "commission_cost": (
        "commission",
        "commission cost",
        "sales commission",
        "commissions",
        "frais de commission",
        "佣金",
    ),
}

# Category names and codes -> Category (compared after ``normalise``).
CATEGORY_SYNONYMS: dict[Category, tuple[str, ...]] = {
    Category.RAW_MATERIAL: (
        "raw material",
        "raw materials",
        "raw",
        "rm",
        "mp",
        "matière première",
        "matières premières",
        "matiere premiere",
        "matieres premieres",
        "matières",
        "approvisionnements",
        "composants",
        "components",
        "roh",
        "原材料",
        "原料",
        "材料",
        "raw_material",
    ),
    Category.WIP: (
        "wip",
        "work in progress",
        "work in process",
        "semi finished",
        "semi finished goods",
        "semi-finished",
        "en cours",
        "encours",
        "en-cours",
        "en cours de production",
        "produits en cours",
        "semi finis",
        "semi-finis",
        "produits semi finis",
        "psf",
        "sf",
        "halb",
        "在制品",
        "半成品",
        "在产品",
    ),
    Category.FINISHED_GOOD: (
        "finished goods",
        "finished good",
        "finished",
        "fg",
        "pf",
        "produits finis",
        "produit fini",
        "produits fini",
        "marchandises",
        "merchandise",
        "goods for resale",
        "fert",
        "产成品",
        "成品",
        "库存商品",
        "finished_good",
    ),
}


def _index(table: Mapping[Any, Iterable[str]]) -> dict[str, Any]:
    index: dict[str, Any] = {}
    for target, names in table.items():
        for name in names:
            index.setdefault(normalise(name), target)
            index.setdefault(_loose(name), target)
    return index


HEADER_INDEX: dict[str, str] = _index(SYNONYMS)
CATEGORY_INDEX: dict[str, Category] = _index(CATEGORY_SYNONYMS)
for _category in Category:
    CATEGORY_INDEX.setdefault(normalise(_category.value), _category)


def guess_column(header: str) -> str | None:
    """Return the canonical column a header most likely names, or None."""
    key = normalise(header)
    if not key:
        return None
    return HEADER_INDEX.get(key) or HEADER_INDEX.get(_loose(header))


def category_lookup(
    extra_aliases: Mapping[str, str] | None = None,
) -> dict[str, Category]:
    """Return normalised name -> Category: the built-in names overridden by ``extra_aliases``.

    Raises ValueError when an alias points at something that is not a Category value.
    """
    lookup = dict(CATEGORY_INDEX)
    for alias, target in (extra_aliases or {}).items():
        lookup[normalise(alias)] = Category(target)
    return lookup


@dataclass(slots=True)
class ColumnMapping:
    """Which source header feeds which canonical column, plus category aliases.

    ``columns`` maps a source header (exactly as in the file, trimmed) to a canonical column
    name, or to None to say "ignore this column" explicitly. ``category_aliases`` maps a
    category value as written in the file to a ``Category`` value. ``unmapped`` lists the
    headers of the last file read that feed no column (informational, not used for reading).
    ``confirmed`` is set by the Django side once an advisor has reviewed the mapping.
    """

    columns: dict[str, str | None] = field(default_factory=dict)
    category_aliases: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    confirmed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the mapping as a JSON-able dict."""
        return {
            "columns": dict(self.columns),
            "category_aliases": dict(self.category_aliases),
            "unmapped": list(self.unmapped),
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """Rebuild a mapping from :meth:`to_json` output; raise ValueError if it names an
        unknown canonical column or category."""
        columns = {str(k): (str(v) if v else None) for k, v in dict(data.get("columns", {})).items()}
        for source, target in columns.items():
            if target is not None and target not in COLUMNS:
                raise ValueError(f"Header “{source}” is mapped to unknown column “{target}”.")
        aliases = {str(k): Category(v).value for k, v in dict(data.get("category_aliases", {})).items()}
        return cls(
            columns=columns,
            category_aliases=aliases,
            unmapped=[str(h) for h in data.get("unmapped", [])],
            confirmed=bool(data.get("confirmed", False)),
        )

    def targets(self) -> dict[str, str]:
        """Return canonical column -> source header for the mapped columns."""
        return {target: source for source, target in self.columns.items() if target}


def propose_mapping(
    headers: Sequence[str | None], saved: ColumnMapping | None = None
) -> tuple[ColumnMapping, list[str]]:
    """Map each header of a file to a canonical column.

    A header found in ``saved`` keeps the advisor's choice (including "ignore"); other headers
    are guessed from the synonyms. Each canonical column is fed by one header at most: the
    first one wins and later candidates are reported back as conflicts. Returns the mapping
    (for the headers of this file) and the list of conflicting headers.
    """
    columns: dict[str, str | None] = {}
    used: set[str] = set()
    conflicts: list[str] = []
    saved_columns = saved.columns if saved else {}
    for raw in headers:
        header = (raw or "").strip()
        if not header or header in columns:
            continue
        target = saved_columns[header] if header in saved_columns else guess_column(header)
        if target is not None and target in used:
            conflicts.append(header)
            target = None
        if target is not None:
            used.add(target)
        columns[header] = target
    mapping = ColumnMapping(
        columns=columns,
        category_aliases=dict(saved.category_aliases) if saved else {},
        unmapped=[h for h, t in columns.items() if t is None],
        confirmed=bool(saved and saved.confirmed and all(h in saved_columns for h in columns)),
    )
    return mapping, conflicts


def header_score(cells: Sequence[str | None], saved: ColumnMapping | None = None) -> int:
    """Count the cells of a row that look like known headers (used to find the header row)."""
    known = saved.columns if saved else {}
    score = 0
    for cell in cells:
        text = (cell or "").strip()
        if text and (text in known or guess_column(text) is not None):
            score += 1
    return score
