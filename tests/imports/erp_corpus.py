"""One stock, exported as fifteen ERPs and templates export it (generated into a tmp dir, not stored).

Every builder writes the same sixteen stock lines (``LINES``) in the shape its system documents:
its header labels, title rows, grouping and total rows, category codes, number and date
conventions and encoding. Nothing here tells the reader which column is which: each file must
read, with no mapping, to the same canonical lines. Where the shape comes from:

- SAP MB52 (English, French, German; ALV grid and printed ALV list): the report's column labels
  as found in public MB52 exports (Material, Plant, Storage Location, Unrestricted, Value
  Unrestricted, Value BlockedStock; Numéro d'article, Magasin, A utilisation libre, Val. utilis.
  libre; Werk, Lagerort, Frei verwendbar, Wert frei verwend., Wert Sperrbestand), the material
  type added to the layout, SAP
  decimal notations (``1,234.500``, ``1.234,500``, ``1 234,500``) and material types (ROH, HALB,
  FERT, HAWA, VERP, ERSA: docs/domain.md, "Reading ERP exports"). MB52 carries no unit price and no
  movement date.
- NetSuite: an item saved search (Name, Type, Asset Account, Inventory Location, Location On Hand,
  Location Average Cost, Location Total Value); the Type is "Inventory Item"/"Assembly", the
  category is only in the hierarchical asset account ("12010 Inventory : Raw Materials").
- Business Central: "Inventory Valuation" opened in Excel (Item No., Location Code, Inventory
  Posting Group, Unit Cost, Cost Amount (Actual); Microsoft Learn, report 1001 and the Value
  Entry fields), posting groups RAW MAT / FINISHED / RESALE as in the demo company.
- Odoo: a stock.quant list export (Product "[REF] Name", Location "WH/Stock", Quantity, Value,
  Product Category "All / Raw Materials": the model's field labels).
- QuickBooks Desktop: "Inventory Valuation Summary" (Item Description, On Hand, U/M, Avg Cost,
  Asset Value, % of Tot Asset, Sales Price, Retail Value, % of Tot Retail: Intuit INF13183),
  parent rows with a name only, "Total …" rows and a grand total; the item column has no header.
- French packages (Sage 100, Sage X3, EBP, Cegid), Chinese ones (Kingdee, Yonyou U8) and a
  lender's borrowing-base template: their usual French and Chinese labels (Code article, Famille,
  Dépôt, Qté, CMUP, PUMP, Stock réel, 物料编码, 期初/期末结存, 存货分类, 结存金额...), French PCG stock
  accounts (31, 32, 33, 35, 37) in Sage X3, hierarchical families ("Matières:Acier") in Cegid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

from valuation.engine.columns import Category

AS_OF = date(2026, 12, 31)
RAW, WIP, FINISHED = Category.RAW_MATERIAL, Category.WIP, Category.FINISHED_GOOD

# SAP material type -> the category docs/domain.md gives it.
KIND_CATEGORY = {
    "ROH": RAW,
    "VERP": RAW,
    "ERSA": RAW,
    "HALB": WIP,
    "FERT": FINISHED,
    "HAWA": FINISHED,
}


@dataclass(frozen=True, slots=True)
class Line:
    """One stock line as the firm holds it: what every export must read back to."""

    sku: str
    description: str
    name_zh: str  # the description as a Chinese ERP holds it (GBK cannot write "ô")
    kind: str  # SAP material type, the most detailed classification in the corpus
    family: str  # the firm's sub-family, under the category in hierarchical families
    warehouse: str
    unit: str
    quantity: Decimal
    unit_cost: Decimal
    last_movement: date

    @property
    def category(self) -> Category:
        return KIND_CATEGORY[self.kind]

    @property
    def value(self) -> Decimal:
        """Book value: quantity × unit cost, exact to the cent for every line below."""
        return (self.quantity * self.unit_cost).quantize(Decimal("0.01"))


# sku | description | Chinese name | SAP type | sub-family | warehouse | unit | quantity | unit cost | last movement
_TABLE = """
RM-1001 | Tôle acier S235 2 mm      | 钢板S235 2mm    | ROH  | Acier        | PAR1 | KG | 1250    | 4.20   | 2026-11-28
RM-1002 | Granulés polypropylène    | 聚丙烯颗粒      | ROH  | Plastiques   | PAR1 | KG | 3400.5  | 1.80   | 2026-12-15
RM-1003 | Vis M6x20 inox            | 不锈钢螺丝M6x20 | ROH  | Visserie     | LYO2 | PC | 20000   | 0.045  | 2026-10-02
RM-1004 | Carton 600x400            | 纸箱600x400     | VERP | Cartons      | PAR1 | PC | 800     | 0.95   | 2026-12-01
RM-1005 | Roulement 6204            | 轴承6204        | ERSA | Roulements   | LYO2 | PC | 60      | 7.35   | 2025-03-14
RM-1006 | Câble cuivre 2,5 mm²      | 铜电缆2.5平方   | ROH  | Câbles       | LYO2 | M  | 1520.25 | 0.60   | 2026-12-20
SF-2001 | Châssis soudé P100        | 焊接机架P100    | HALB | Soudure      | PAR1 | PC | 45      | 86.40  | 2026-12-18
SF-2002 | Carte électronique montée | 电路板组件      | HALB | Électronique | LYO2 | PC | 130     | 23.75  | 2026-11-30
SF-2003 | Carter usiné P200         | 机加工壳体P200  | HALB | Usinage      | PAR1 | PC | 12      | 152.10 | 2026-06-30
SF-2004 | Bobinage moteur           | 电机绕组        | HALB | Bobinage     | LYO2 | PC | 300     | 3.15   | 2026-12-22
FG-3001 | Pompe P100                | 水泵P100        | FERT | Pompes       | PAR1 | PC | 24      | 412.50 | 2026-12-28
FG-3002 | Pompe P200                | 水泵P200        | FERT | Pompes       | PAR1 | PC | 8       | 689.00 | 2026-12-10
FG-3003 | Kit entretien P100        | 保养套件P100    | FERT | Kits         | LYO2 | PC | 150     | 18.20  | 2026-09-05
FG-3004 | Pompe P50 ancienne série  | 水泵P50旧款     | FERT | Pompes       | LYO2 | PC | 5       | 275.00 | 2024-02-12
FG-3005 | Filtre de rechange        | 替换滤芯        | HAWA | Filtres      | PAR1 | PC | 400     | 6.40   | 2026-12-05
FG-3006 | Raccord rapide            | 快速接头        | HAWA | Raccords     | LYO2 | PC | 250     | 2.96   | 2026-11-11
"""


def _parse(table: str) -> tuple[Line, ...]:
    lines = []
    for text in table.strip().splitlines():
        sku, description, name_zh, kind, family, warehouse, unit, quantity, cost, moved = (
            cell.strip() for cell in text.split("|")
        )
        lines.append(
            Line(
                sku,
                description,
                name_zh,
                kind,
                family,
                warehouse,
                unit,
                Decimal(quantity),
                Decimal(cost),
                date.fromisoformat(moved),
            )
        )
    return tuple(lines)


LINES: tuple[Line, ...] = _parse(_TABLE)


# --- number and text helpers -------------------------------------------------------------------


def number(value: Decimal, *, decimals: int | None = None, point: str = ".", thousands: str = "") -> str:
    """Write a decimal as an ERP prints it: fixed decimals rounded half-up (or as few as needed),
    a decimal mark and a thousands separator. Exact: no float is involved."""
    if decimals is not None:
        value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        text = f"{value:f}"
    else:
        text = f"{value.normalize():f}"
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    whole = thousands.join([whole, *groups])
    return sign + whole + (point + fraction if fraction else "")


def csv_text(rows: Sequence[Sequence[str]], sep: str) -> str:
    """Join rows as an ERP writes CSV: quote a cell holding the separator, a quote or a break."""

    def cell(value: str) -> str:
        if sep in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(sep.join(cell(v) for v in row) + "\r\n" for row in rows)


def write_text(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], sheet: str) -> Path:
    """An XLSX as Excel or an ERP's "open in Excel" writes it: numbers as number cells (written
    from Decimal, so exactly), dates as date cells, text as text."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)
    return path


def by_category(lines: Sequence[Line] = LINES) -> list[tuple[Category, list[Line]]]:
    """The lines grouped as grouped reports print them: raw materials, WIP, finished goods."""
    return [(c, [line for line in lines if line.category is c]) for c in (RAW, WIP, FINISHED)]


def total(lines: Sequence[Line]) -> Decimal:
    return sum((line.value for line in lines), Decimal(0))


# --- SAP MB52 ----------------------------------------------------------------------------------

_SAP_ZERO = Decimal(0)


def sap_mb52_en(tmp_path: Path, extra: Sequence[Sequence[object]] = ()) -> Path:
    """MB52 "Display Warehouse Stocks of Material", ALV grid exported to XLSX (English labels).

    The quality-inspection and blocked columns and their values stand beside the unrestricted
    ones, as in the default layout: only "Unrestricted" / "Value Unrestricted" are the stock.
    ``extra`` rows (same columns) are written after the reference lines."""
    header = [
        "Material",
        "Plant",
        "Storage Location",
        "Material Description",
        "Material Type",
        "Base Unit of Measure",
        "Unrestricted",
        "Currency",
        "Value Unrestricted",
        "Quality Inspection",
        "Value in QualInsp.",
        "Blocked",
        "Value BlockedStock",
    ]
    rows: list[list[object]] = [header]
    for line in LINES:
        rows.append(
            [
                line.sku,
                "1000",
                line.warehouse,
                line.description,
                line.kind,
                line.unit,
                line.quantity,
                "EUR",
                line.value,
                _SAP_ZERO,
                _SAP_ZERO,
                _SAP_ZERO,
                _SAP_ZERO,
            ]
        )
    rows.extend(list(row) for row in extra)
    return write_xlsx(tmp_path / "MB52_EN.xlsx", rows, "Sheet1")


def sap_mb52_fr(tmp_path: Path) -> Path:
    """MB52 with French labels, saved as a local file ";"-separated in Windows-1252, decimal
    notation "1 234 567,89" (space thousands, comma decimal), quantities with three decimals."""
    header = [
        "Numéro d'article",
        "Division",
        "Magasin",
        "Désignation article",
        "Type d'article",
        "Unité de qté base",
        "A utilisation libre",
        "Devise",
        "Val. utilis. libre",
        "En contrôle qualité",
        "Val. ds ctrl.qual.",
        "Bloqué",
        "Val. stock bloqué",
    ]
    rows = [header]
    for line in LINES:
        rows.append(
            [
                line.sku,
                "1000",
                line.warehouse,
                line.description,
                line.kind,
                line.unit,
                number(line.quantity, decimals=3, point=",", thousands=" "),
                "EUR",
                number(line.value, decimals=2, point=",", thousands=" "),
                "0,000",
                "0,00",
                "0,000",
                "0,00",
            ]
        )
    return write_text(tmp_path / "MB52_FR.csv", csv_text(rows, ";"), "cp1252")


def sap_mb52_de(tmp_path: Path) -> Path:
    """MB52 with German labels, "Tabellenkalkulation" local file: tab-separated, Windows-1252,
    decimal notation "1.234.567,89"."""
    header = [
        "Material",
        "Werk",
        "Lagerort",
        "Materialkurztext",
        "Materialart",
        "Basismengeneinheit",
        "Währung",
        "Frei verwendbar",
        "Wert frei verwend.",
        "In Qualitätsprüfung",
        "Wert in QualPrüfng",
        "Gesperrt",
        "Wert Sperrbestand",
    ]
    rows = [header]
    for line in LINES:
        rows.append(
            [
                line.sku,
                "1000",
                line.warehouse,
                line.description,
                line.kind,
                line.unit,
                "EUR",
                number(line.quantity, decimals=3, point=",", thousands="."),
                number(line.value, decimals=2, point=",", thousands="."),
                "0,000",
                "0,00",
                "0,000",
                "0,00",
            ]
        )
    return write_text(tmp_path / "MB52_DE.txt", csv_text(rows, "\t"), "cp1252")


def sap_mb52_list(tmp_path: Path) -> Path:
    """MB52 printed as an ALV list (spool saved as text): report title and selection lines,
    dashed rules, "|"-separated fixed-width columns, a subtotal row ("*") per storage location
    and a grand total row ("**"); decimal notation "1,234,567.89"."""
    widths = [10, 4, 4, 28, 4, 3, 16, 5, 18]
    header = [
        "Material",
        "Plnt",
        "SLoc",
        "Material Description",
        "MTyp",
        "BUn",
        "Unrestricted",
        "Crcy",
        "Value Unrestricted",
    ]
    numeric = {6, 8}

    def row(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "|" + "|".join(parts) + "|"

    rule = "-" * (sum(widths) + len(widths) + 1)
    text = [
        "Display Warehouse Stocks of Material",
        "",
        f"Plant 1000   Date {AS_OF:%m/%d/%Y}                                  Page     1",
        "",
        rule,
        row(header),
        rule,
    ]
    for warehouse in ("PAR1", "LYO2"):
        lines = [line for line in LINES if line.warehouse == warehouse]
        for line in lines:
            text.append(
                row(
                    [
                        line.sku,
                        "1000",
                        warehouse,
                        line.description,
                        line.kind,
                        line.unit,
                        number(line.quantity, decimals=3, thousands=","),
                        "EUR",
                        number(line.value, decimals=2, thousands=","),
                    ]
                )
            )
        text.append(rule)
        text.append(
            row(["*", "1000", warehouse, "", "", "", "", "EUR", number(total(lines), decimals=2, thousands=",")])
        )
        text.append(rule)
    text.append(row(["**", "", "", "", "", "", "", "EUR", number(total(LINES), decimals=2, thousands=",")]))
    text.append(rule)
    return write_text(tmp_path / "MB52_list.txt", "\r\n".join(text) + "\r\n", "utf-8")


# --- NetSuite, Business Central, Odoo, QuickBooks -----------------------------------------------

_NETSUITE_ACCOUNT = {
    RAW: "12010 Inventory : Raw Materials",
    WIP: "12020 Inventory : Work In Process",
    FINISHED: "12030 Inventory : Finished Goods",
}


def netsuite(tmp_path: Path) -> Path:
    """NetSuite item saved search exported to CSV (UTF-8, ",", "." decimals, no thousands).

    "Type" holds the record type (Inventory Item, Assembly), not the stock category: the
    category is the most specific part of the hierarchical asset account."""
    header = [
        "Name",
        "Description",
        "Type",
        "Asset Account",
        "Inventory Location",
        "Location On Hand",
        "Location Average Cost",
        "Location Total Value",
    ]
    rows = [header]
    for line in LINES:
        record = "Assembly" if line.kind in ("HALB", "FERT") else "Inventory Item"
        rows.append(
            [
                line.sku,
                line.description,
                record,
                _NETSUITE_ACCOUNT[line.category],
                line.warehouse,
                number(line.quantity),
                number(line.unit_cost),
                number(line.value, decimals=2),
            ]
        )
    return write_text(tmp_path / "ItemSearchResults.csv", csv_text(rows, ","), "utf-8")


_BC_POSTING_GROUP = {
    "ROH": "RAW MAT",
    "VERP": "PACKAGING",
    "ERSA": "SPARE PARTS",
    "HALB": "WIP",
    "FERT": "FINISHED",
    "HAWA": "RESALE",
}


def business_central(tmp_path: Path) -> Path:
    """Business Central "Inventory Valuation" opened in Excel: title rows, then one row per item
    and location, typed cells."""
    rows: list[list[object]] = [
        ["Inventory Valuation"],
        ["CRONUS France S.A."],
        [f"Period: ..{AS_OF:%m/%d/%Y}"],
        [],
        [
            "Item No.",
            "Description",
            "Inventory Posting Group",
            "Location Code",
            "Base Unit of Measure",
            "Quantity",
            "Unit Cost",
            "Cost Amount (Actual)",
        ],
    ]
    for line in LINES:
        rows.append(
            [
                line.sku,
                line.description,
                _BC_POSTING_GROUP[line.kind],
                line.warehouse,
                line.unit,
                line.quantity,
                line.unit_cost,
                line.value,
            ]
        )
    return write_xlsx(tmp_path / "Inventory Valuation.xlsx", rows, "Inventory Valuation")


_ODOO_CATEGORY = {
    "ROH": "All / Raw Materials",
    "VERP": "All / Raw Materials / Packaging",
    "ERSA": "All / Spare Parts",
    "HALB": "All / Semi-finished Products",
    "FERT": "All / Finished Goods",
    "HAWA": "All / Saleable / Goods for Resale",
}


def odoo_location(warehouse: str) -> str:
    """Odoo names a warehouse's stock location "<short name>/Stock"."""
    return f"{warehouse}/Stock"


def odoo(tmp_path: Path) -> Path:
    """Odoo "Inventory > Physical Inventory" (stock.quant) exported to XLSX: the product as its
    display name "[REF] Name", the location's full name, no unit cost, typed numbers."""
    rows: list[list[object]] = [
        ["Product", "Location", "Lot/Serial Number", "Quantity", "Unit of Measure", "Value", "Product Category"]
    ]
    for line in LINES:
        rows.append(
            [
                f"[{line.sku}] {line.description}",
                odoo_location(line.warehouse),
                "",
                line.quantity,
                "Units" if line.unit == "PC" else line.unit.lower(),
                line.value,
                _ODOO_CATEGORY[line.kind],
            ]
        )
    return write_xlsx(tmp_path / "stock.quant.xlsx", rows, "Sheet1")


_QUICKBOOKS_PARENT = {RAW: "Raw Materials", WIP: "Work in Process", FINISHED: "Finished Goods"}
_QUICKBOOKS_SALES_PRICE = {FINISHED: Decimal("1.6")}  # sales price = 1.6 × cost for goods sold


def quickbooks(tmp_path: Path) -> Path:
    """QuickBooks Desktop "Inventory Valuation Summary" exported to CSV (Windows-1252): report
    title rows, an item column without header, parent rows "Inventory" and one per category,
    "Total …" rows and the grand total "TOTAL"; money with "," thousands."""
    grand = total(LINES)

    def money(value: Decimal) -> str:
        return number(value, decimals=2, thousands=",")

    def share(value: Decimal) -> str:
        return number((value * 100 / grand).quantize(Decimal("0.1")), decimals=1) + "%"

    rows = [
        ["Exemple Pompes SAS"],
        ["Inventory Valuation Summary"],
        [f"As of December {AS_OF.day}, {AS_OF.year}"],
        [
            "",
            "Item Description",
            "On Hand",
            "U/M",
            "Avg Cost",
            "Asset Value",
            "% of Tot Asset",
            "Sales Price",
            "Retail Value",
            "% of Tot Retail",
        ],
        ["Inventory", "", "", "", "", "", "", "", "", ""],
    ]
    retail_total = sum(
        (line.quantity * line.unit_cost * _QUICKBOOKS_SALES_PRICE.get(line.category, 0) for line in LINES), Decimal(0)
    ).quantize(Decimal("0.01"))
    for category, lines in by_category():
        rows.append([_QUICKBOOKS_PARENT[category], "", "", "", "", "", "", "", "", ""])
        for line in lines:
            price = (line.unit_cost * _QUICKBOOKS_SALES_PRICE.get(category, 0)).quantize(Decimal("0.01"))
            retail = (price * line.quantity).quantize(Decimal("0.01"))
            rows.append(
                [
                    line.sku,
                    line.description,
                    number(line.quantity, thousands=","),
                    line.unit.lower(),
                    number(line.unit_cost),
                    money(line.value),
                    share(line.value),
                    money(price),
                    money(retail),
                    number((retail * 100 / retail_total).quantize(Decimal("0.1")), decimals=1) + "%",
                ]
            )
        rows.append(
            [
                f"Total {_QUICKBOOKS_PARENT[category]}",
                "",
                "",
                "",
                "",
                money(total(lines)),
                share(total(lines)),
                "",
                "",
                "",
            ]
        )
    rows.append(["Total Inventory", "", "", "", "", money(grand), "100.0%", "", money(retail_total), "100.0%"])
    rows.append(["TOTAL", "", "", "", "", money(grand), "100.0%", "", money(retail_total), "100.0%"])
    return write_text(tmp_path / "Inventory Valuation Summary.CSV", csv_text(rows, ","), "cp1252")


# --- French packages ---------------------------------------------------------------------------

_FRENCH_FAMILY = {
    "ROH": "Matières premières",
    "VERP": "Emballages",
    "ERSA": "Pièces détachées",
    "HALB": "Semi-finis",
    "FERT": "Produits finis",
    "HAWA": "Marchandises",
}


def sage_100(tmp_path: Path) -> Path:
    """Sage 100 Gestion commerciale "Inventaire" exported to text: title rows, ";", Windows-1252,
    "," decimals without thousands, CMUP (weighted average cost), dates dd/mm/yyyy."""
    rows = [
        ["EXEMPLE POMPES SAS", "", "", "", "", "", "", ""],
        [f"Inventaire valorisé au {AS_OF:%d/%m/%Y}", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", ""],
        ["Code article", "Désignation", "Famille", "Dépôt", "Qté", "CMUP", "Valeur", "Date dernier mvt"],
    ]
    for line in LINES:
        rows.append(
            [
                line.sku,
                line.description,
                _FRENCH_FAMILY[line.kind],
                line.warehouse,
                number(line.quantity, point=","),
                number(line.unit_cost, point=","),
                number(line.value, decimals=2, point=","),
                f"{line.last_movement:%d/%m/%Y}",
            ]
        )
    return write_text(tmp_path / "INVENTAIRE.csv", csv_text(rows, ";"), "cp1252")


# French chart of accounts (PCG) stock accounts, 8 digits as Sage X3 writes them.
_PCG_ACCOUNT = {
    "ROH": "31100000",  # 311 matières premières
    "VERP": "32610000",  # 3261 emballages perdus
    "ERSA": "32230000",  # 3223 fournitures d'atelier et d'usine (spare parts)
    "HALB": "33100000",  # 331 produits en cours
    "FERT": "35500000",  # 355 produits finis
    "HAWA": "37000000",  # 37 marchandises
}


def sage_x3(tmp_path: Path) -> Path:
    """Sage X3 stock extraction: ";"-separated UTF-8 with "." decimals, the stock site as the
    warehouse, PMP (weighted average price), the stock account (PCG) as the only category."""
    rows = [
        [
            "Site",
            "Article",
            "Désignation 1",
            "Compte stock",
            "Unité stock",
            "Quantité stock",
            "PMP",
            "Valeur stock",
            "Date dernier mouvement",
        ]
    ]
    for line in LINES:
        rows.append(
            [
                line.warehouse,
                line.sku,
                line.description,
                _PCG_ACCOUNT[line.kind],
                line.unit,
                number(line.quantity, decimals=3),
                number(line.unit_cost, decimals=4),
                number(line.value, decimals=2),
                f"{line.last_movement:%d/%m/%Y}",
            ]
        )
    return write_text(tmp_path / "STOCK_X3.csv", csv_text(rows, ";"), "utf-8")


_EBP_FAMILY = {
    "ROH": "MATIERES PREMIERES",
    "VERP": "EMBALLAGES",
    "ERSA": "PIECES DETACHEES",
    "HALB": "SEMI-FINIS",
    "FERT": "PRODUITS FINIS",
    "HAWA": "MARCHANDISES",
}


def ebp(tmp_path: Path) -> Path:
    """EBP Gestion commerciale stock list exported to CSV: UTF-8 with BOM, ";", "," decimals
    with space thousands, "Stock réel" and PUMP, family codes in capitals."""
    rows = [
        [
            "Référence",
            "Libellé",
            "Famille",
            "Dépôt",
            "Stock réel",
            "PUMP",
            "Valeur stock (PUMP)",
            "Date dernier mouvement",
        ]
    ]
    for line in LINES:
        rows.append(
            [
                line.sku,
                line.description,
                _EBP_FAMILY[line.kind],
                line.warehouse,
                number(line.quantity, point=",", thousands=" "),
                number(line.unit_cost, point=",", thousands=" "),
                number(line.value, decimals=2, point=",", thousands=" "),
                f"{line.last_movement:%d/%m/%Y}",
            ]
        )
    return write_text(tmp_path / "Articles_stock.csv", csv_text(rows, ";"), "utf-8-sig")


_CEGID_PARENT = {
    "ROH": "Matières",
    "VERP": "Emballages",
    "ERSA": "Pièces détachées",
    "HALB": "Semi-finis",
    "FERT": "Produits finis",
    "HAWA": "Marchandises",
}


def cegid(tmp_path: Path) -> Path:
    """Cegid "Valorisation du stock" exported to XLSX: title rows, hierarchical family
    "Matières:Acier", stock at PMP, typed numbers and date cells, a total row."""
    rows: list[list[object]] = [
        ["Valorisation du stock"],
        [f"Date d'arrêté : {AS_OF:%d/%m/%Y}", None, None, "Devise : EUR"],
        [],
        ["Article", "Libellé", "Famille", "Dépôt", "Qté physique", "PMP", "Valeur PMP", "Dernier mouvement"],
    ]
    for line in LINES:
        rows.append(
            [
                line.sku,
                line.description,
                f"{_CEGID_PARENT[line.kind]}:{line.family}",
                line.warehouse,
                line.quantity,
                line.unit_cost,
                line.value,
                datetime.combine(line.last_movement, datetime.min.time()),
            ]
        )
    rows.append(["Total général", None, None, None, None, None, total(LINES), None])
    return write_xlsx(tmp_path / "Valorisation stock.xlsx", rows, "Valorisation")


# --- Chinese packages --------------------------------------------------------------------------

_KINGDEE_CLASS = {
    "ROH": "原材料",
    "VERP": "包装物",
    "ERSA": "备品备件",
    "HALB": "半成品",
    "FERT": "产成品",
    "HAWA": "库存商品",
}
# The period's movements (same for every line, so opening + receipts - issues = closing).
_RECEIVED, _ISSUED = Decimal(5), Decimal(15)


def kingdee(tmp_path: Path) -> Path:
    """Kingdee (金蝶) K/3 "物料收发汇总表" exported to CSV in GBK: title rows, opening (期初),
    receipts, issues and closing (期末结存) quantity, unit price and amount, "," thousands
    (quoted), a "合计" row."""

    def money(value: Decimal) -> str:
        return number(value, decimals=2, thousands=",")

    rows = [
        ["物料收发汇总表"],
        ["会计期间：2026年第12期", "", "币别：人民币"],
        [
            "物料编码",
            "物料名称",
            "物料分类",
            "仓库",
            "单位",
            "期初结存数量",
            "期初结存单价",
            "期初结存金额",
            "本期收入数量",
            "本期收入金额",
            "本期发出数量",
            "本期发出金额",
            "期末结存数量",
            "期末结存单价",
            "期末结存金额",
        ],
    ]
    for line in LINES:
        opening = line.quantity - _RECEIVED + _ISSUED
        rows.append(
            [
                line.sku,
                line.name_zh,
                _KINGDEE_CLASS[line.kind],
                line.warehouse,
                line.unit,
                number(opening, decimals=2, thousands=","),
                number(line.unit_cost, decimals=4),
                money(opening * line.unit_cost),
                number(_RECEIVED, decimals=2),
                money(_RECEIVED * line.unit_cost),
                number(_ISSUED, decimals=2),
                money(_ISSUED * line.unit_cost),
                number(line.quantity, decimals=2, thousands=","),
                number(line.unit_cost, decimals=4),
                money(line.value),
            ]
        )
    opening_total = sum(((line.quantity - _RECEIVED + _ISSUED) * line.unit_cost for line in LINES), Decimal(0))
    rows.append(["合计", "", "", "", "", "", "", money(opening_total), "", "", "", "", "", "", money(total(LINES))])
    return write_text(tmp_path / "物料收发汇总表.csv", csv_text(rows, ","), "gbk")


_YONYOU_CLASS = {
    "ROH": "原材料",
    "VERP": "包装物",
    "ERSA": "备品备件",
    "HALB": "自制半成品",
    "FERT": "产成品",
    "HAWA": "库存商品",
}


def yonyou_u8(tmp_path: Path) -> Path:
    """Yonyou U8 (用友) "收发存汇总表" exported to XLSX: title rows, 期初 (opening) and 结存
    (balance) columns, a subtotal row (the warehouse, then "小计") after each warehouse and a
    "合计" row, typed numbers."""
    rows: list[list[object]] = [
        ["收发存汇总表"],
        ["会计月份：2026年12月"],
        [
            "仓库",
            "存货分类",
            "存货编码",
            "存货名称",
            "计量单位",
            "期初数量",
            "期初金额",
            "收入数量",
            "收入金额",
            "发出数量",
            "发出金额",
            "结存数量",
            "结存单价",
            "结存金额",
        ],
    ]
    for warehouse in ("PAR1", "LYO2"):
        lines = [line for line in LINES if line.warehouse == warehouse]
        for line in lines:
            opening = line.quantity - _RECEIVED + _ISSUED
            rows.append(
                [
                    warehouse,
                    _YONYOU_CLASS[line.kind],
                    line.sku,
                    line.name_zh,
                    line.unit,
                    opening,
                    opening * line.unit_cost,
                    _RECEIVED,
                    _RECEIVED * line.unit_cost,
                    _ISSUED,
                    _ISSUED * line.unit_cost,
                    line.quantity,
                    line.unit_cost,
                    line.value,
                ]
            )
        rows.append([warehouse, "小计", None, None, None, None, None, None, None, None, None, None, None, total(lines)])
    rows.append(["合计", None, None, None, None, None, None, None, None, None, None, None, None, total(LINES)])
    return write_xlsx(tmp_path / "收发存汇总表.xlsx", rows, "收发存汇总表")


# --- a lender's borrowing-base template --------------------------------------------------------

_BBC_CATEGORY = {RAW: "Raw Materials", WIP: "Work in Process", FINISHED: "Finished Goods"}


def bbc_template(tmp_path: Path) -> Path:
    """A lender's borrowing-base certificate, inventory detail tab (XLSX): certificate title
    rows, the category spelled out per line, US dates as text, a total row."""
    rows: list[list[object]] = [
        ["Borrowing Base Certificate - Inventory Detail"],
        ["Borrower:", "Exemple Pompes SAS"],
        ["As of:", f"{AS_OF:%m/%d/%Y}"],
        ["Currency:", "EUR"],
        [],
        [
            "Location",
            "Inventory Category",
            "Part Number",
            "Description",
            "Qty on Hand",
            "UOM",
            "Unit Cost",
            "Extended Cost",
            "Last Activity Date",
        ],
    ]
    for line in LINES:
        rows.append(
            [
                line.warehouse,
                _BBC_CATEGORY[line.category],
                line.sku,
                line.description,
                line.quantity,
                line.unit,
                line.unit_cost,
                line.value,
                f"{line.last_movement:%m/%d/%Y}",
            ]
        )
    rows.append([None, None, None, "Total Inventory", None, None, None, total(LINES), None])
    return write_xlsx(tmp_path / "BBC_Inventory.xlsx", rows, "Inventory Detail")


# --- the corpus --------------------------------------------------------------------------------


def _same(warehouse: str) -> str:
    return warehouse


@dataclass(frozen=True, slots=True)
class Export:
    """One system's export: how to build it and what of the stock its shape carries."""

    system: str
    build: Callable[[Path], Path]
    unit_cost: bool  # the export has a unit cost column
    last_movement: bool  # the export has a last-movement date column
    warehouse: Callable[[str], str] | None = _same  # the warehouse as written; None: no column
    chinese: bool = False  # descriptions are the Chinese names (``Line.name_zh``)


EXPORTS: tuple[Export, ...] = (
    Export("SAP MB52 (English, XLSX)", sap_mb52_en, unit_cost=False, last_movement=False),
    Export("SAP MB52 (French, CSV)", sap_mb52_fr, unit_cost=False, last_movement=False),
    Export("SAP MB52 (German, tab)", sap_mb52_de, unit_cost=False, last_movement=False),
    Export("SAP MB52 (printed list)", sap_mb52_list, unit_cost=False, last_movement=False),
    Export("NetSuite", netsuite, unit_cost=True, last_movement=False),
    Export("Business Central", business_central, unit_cost=True, last_movement=False),
    Export("Odoo", odoo, unit_cost=False, last_movement=False, warehouse=odoo_location),
    Export("QuickBooks", quickbooks, unit_cost=True, last_movement=False, warehouse=None),
    Export("Sage 100", sage_100, unit_cost=True, last_movement=True),
    Export("Sage X3", sage_x3, unit_cost=True, last_movement=True),
    Export("EBP", ebp, unit_cost=True, last_movement=True),
    Export("Cegid", cegid, unit_cost=True, last_movement=True),
    Export("Kingdee", kingdee, unit_cost=True, last_movement=False, chinese=True),
    Export("Yonyou U8", yonyou_u8, unit_cost=True, last_movement=False, chinese=True),
    Export("Lender BBC template", bbc_template, unit_cost=True, last_movement=True),
)
