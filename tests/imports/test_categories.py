"""Categories by their codes: SAP material types, French PCG accounts, hierarchical labels, the
six languages, firm aliases, and codes that are known but not stock (reported, never counted)."""

from __future__ import annotations

import pytest

from tests.imports.conftest import TODAY, write
from valuation.engine.columns import Category
from valuation.imports import read_stock_file
from valuation.imports.categories import (
    SAP_MATERIAL_TYPES,
    NotStock,
    is_not_stock,
    levels,
    match_category,
    not_stock,
    resolve,
)
from valuation.imports.mapping import category_lookup, normalise

RAW, WIP, FINISHED = Category.RAW_MATERIAL, Category.WIP, Category.FINISHED_GOOD
NOT_STOCK = "not stock"

# Every SAP material type we know, and what it is (docs/domain.md, "Reading ERP exports").
SAP = {
    "ROH": RAW,
    "VERP": RAW,
    "ERSA": RAW,
    "HERS": RAW,
    "HALB": WIP,
    "FERT": FINISHED,
    "HAWA": FINISHED,
    "KMAT": FINISHED,
    "NOF1": FINISHED,
    "FOOD": FINISHED,
    "FRIP": FINISHED,
    "FGTR": FINISHED,
    "MODE": FINISHED,
    "NLAG": NOT_STOCK,
    "UNBW": NOT_STOCK,
    "DIEN": NOT_STOCK,
    "SERV": NOT_STOCK,
    "HIBE": NOT_STOCK,
    "FHMI": NOT_STOCK,
    "LEIH": NOT_STOCK,
    "PROC": NOT_STOCK,
    "WETT": NOT_STOCK,
    "IBAU": NOT_STOCK,
}


def kind(text: str, aliases: dict[str, str] | None = None) -> Category | str | None:
    found = resolve(text, aliases)
    return NOT_STOCK if isinstance(found, NotStock) else found


def test_the_table_covers_every_sap_type_tested():
    assert set(SAP) == set(SAP_MATERIAL_TYPES)


@pytest.mark.parametrize(("code", "expected"), sorted(SAP.items()))
def test_every_sap_material_type(code, expected):
    assert kind(code) == expected
    assert kind(code.lower()) == expected  # exports and hand-typed sheets differ in case
    assert kind(f" {code} ") == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("ROH - Rohstoffe", RAW),  # MTART with its text, as MM60 prints it
        ("FERT Fertigerzeugnis", FINISHED),
        ("HAWA Handelsware", FINISHED),
        ("DIEN Dienstleistung", NOT_STOCK),
    ],
)
def test_sap_type_with_its_description(label, expected):
    assert kind(label) == expected


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("31", RAW),  # matières premières
        ("311000", RAW),
        ("3110", RAW),
        ("32", RAW),  # autres approvisionnements
        ("321", RAW),  # matières consommables
        ("326", RAW),  # emballages
        ("33", WIP),  # en-cours de production de biens
        ("331", WIP),
        ("34", WIP),  # en-cours de production de services
        ("345000", WIP),
        ("35", FINISHED),  # produits intermédiaires et finis
        ("351", FINISHED),
        ("355", FINISHED),
        ("355000", FINISHED),
        ("37", FINISHED),  # marchandises
        ("371", FINISHED),
        ("371000", FINISHED),
        ("39", NOT_STOCK),  # dépréciations des stocks: a provision, not a line of stock
        ("391000", NOT_STOCK),
        ("36", None),  # not a stock account in the PCG
        ("38", None),
        ("3", None),
        ("41", None),
        ("12010", None),  # a QuickBooks account number, not PCG
        ("311000 Matières premières", RAW),
        ("3550 Produits finis", FINISHED),
        ("37100000", FINISHED),  # eight digits, as some ledgers pad them
    ],
)
def test_french_pcg_accounts(account, expected):
    assert kind(account) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("All / Raw Materials", RAW),  # Odoo product category
        ("All / Saleable / Finished goods", FINISHED),
        ("12010 Inventory : Raw Materials", RAW),  # QuickBooks account path
        ("Inventory Asset:Work in progress", WIP),
        ("Matières:Acier", RAW),  # the most specific level we know is "Matières"
        ("Produits finis > Textile", FINISHED),
        ("Stocks » Marchandises » Vins", FINISHED),
        ("存货/原材料/钢材", RAW),
        ("库存：半成品", WIP),  # full-width colon
        ("Finished goods / Services", NOT_STOCK),  # the deepest known level wins
        ("Services / Finished goods", FINISHED),
        ("Produits finis (PF)", FINISHED),  # a bracketed remark
        ("原材料（钢材）", RAW),
        ("semi-finished", WIP),  # a hyphen inside a word is not a level separator
        ("All / Furniture", None),
        ("Inventory : Office", None),
    ],
)
def test_hierarchical_labels_match_their_most_specific_known_level(label, expected):
    assert kind(label) == expected


def test_levels_split_on_the_separators_accounting_packages_use():
    assert levels("All / Saleable / Office Furniture") == ["All", "Saleable", "Office Furniture"]
    assert levels("12010 Inventory : Raw Materials") == ["12010 Inventory", "Raw Materials"]
    assert levels("ROH - Rohstoffe") == ["ROH", "Rohstoffe"]
    assert levels("semi-finished") == ["semi-finished"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # English
        ("Raw materials", RAW),
        ("Packaging materials", RAW),
        ("Spare parts", RAW),
        ("Semi-finished goods", WIP),
        ("Work in process", WIP),
        ("Sub-assemblies", WIP),
        ("Finished products", FINISHED),
        ("Goods for resale", FINISHED),
        ("Trading goods", FINISHED),
        ("By-products", FINISHED),
        ("Non-inventory Part", NOT_STOCK),
        ("RAW MAT", RAW),  # Business Central inventory posting groups
        ("RESALE", FINISHED),
        ("Service", NOT_STOCK),
        # French
        ("Matières premières", RAW),
        ("MATIERES PREMIERES", RAW),
        ("Emballages", RAW),
        ("Pièces détachées", RAW),
        ("Autres approvisionnements", RAW),
        ("En-cours de production", WIP),
        ("Produits semi-finis", WIP),
        ("Produits finis", FINISHED),
        ("Produits intermédiaires", FINISHED),  # PCG 351, with the finished products
        ("Marchandises", FINISHED),
        ("Sous-produits", FINISHED),
        ("Prestations de services", NOT_STOCK),
        ("Hors stock", NOT_STOCK),
        # German
        ("Rohstoffe", RAW),
        ("Roh-, Hilfs- und Betriebsstoffe", RAW),  # the HGB balance-sheet line
        ("Verpackungsmaterial", RAW),
        ("Ersatzteile", RAW),
        ("Unfertige Erzeugnisse", WIP),
        ("Halbfabrikate", WIP),
        ("Fertige Erzeugnisse", FINISHED),
        ("Handelswaren", FINISHED),
        ("Nebenprodukte", FINISHED),
        ("Dienstleistungen", NOT_STOCK),
        ("Unbewertetes Material", NOT_STOCK),
        # Spanish
        ("Materias primas", RAW),
        ("Envases y embalajes", RAW),
        ("Repuestos", RAW),
        ("Productos en curso", WIP),
        ("Productos semiterminados", WIP),
        ("Productos terminados", FINISHED),
        ("Mercaderías", FINISHED),
        ("Subproductos", FINISHED),
        ("Servicios", NOT_STOCK),
        # Italian
        ("Materie prime", RAW),
        ("Materie sussidiarie e di consumo", RAW),
        ("Imballaggi", RAW),
        ("Ricambi", RAW),
        ("Semilavorati", WIP),
        ("Prodotti in corso di lavorazione", WIP),
        ("Prodotti finiti", FINISHED),
        ("Merci", FINISHED),
        ("Sottoprodotti", FINISHED),
        ("Servizi", NOT_STOCK),
        # Chinese
        ("原材料", RAW),
        ("原料", RAW),
        ("包装物", RAW),
        ("备品备件", RAW),
        ("周转材料", RAW),
        ("低值易耗品", RAW),
        ("半成品", WIP),
        ("在制品", WIP),
        ("自制半成品", WIP),
        ("产成品", FINISHED),
        ("成品", FINISHED),
        ("库存商品", FINISHED),
        ("副产品", FINISHED),
        ("劳务", NOT_STOCK),
        ("非库存", NOT_STOCK),
    ],
)
def test_names_in_six_languages(name, expected):
    assert kind(name) == expected


def test_unknown_text_is_none():
    for text in ("", "   ", "Couleur", "Inventory", "Furniture", "x"):
        assert resolve(text) is None
    assert resolve(None) is None


def test_match_category_gives_categories_only():
    assert match_category("HALB") is Category.WIP
    assert match_category("DIEN") is None  # known, but not stock
    assert match_category("Couleur") is None


def test_not_stock_codes_say_why():
    assert not_stock("DIEN") == NotStock("service")
    assert not_stock("UNBW") == NotStock("non-valuated material")
    assert is_not_stock("NLAG") and is_not_stock("Non-inventory item")
    assert not is_not_stock("ROH") and not is_not_stock("Couleur")


def test_firm_aliases_win_over_built_in_names():
    aliases = {"Textile": "finished_good", "MP": "wip", "Acier": "raw_material"}
    assert match_category("Textile", aliases) is FINISHED
    assert match_category("MP", aliases) is WIP  # this firm writes MP for its semi-finished
    assert match_category("All / Furniture / Textile", aliases) is FINISHED
    assert match_category("Produits finis > Acier", aliases) is RAW  # deepest level, via alias
    with pytest.raises(ValueError):
        match_category("X", {"X": "not_a_category"})


def test_mapping_category_lookup_still_answers_exact_names():
    lookup = category_lookup({"Textile": "finished_good"})
    assert lookup[normalise("Matières premières")] is RAW
    assert lookup[normalise("HALB")] is WIP
    assert lookup[normalise("textile")] is FINISHED
    assert normalise("DIEN") not in lookup  # not a category


# Headers the reader has always known, so these tests are about categories only.
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Valeur stock\r\n"


def test_not_stock_lines_are_reported_and_left_out(tmp_path):
    """Rows 3 and 5 name a service and a non-valuated material: each is a warning naming the row,
    the column and the code; neither is a line; the file is still accepted."""
    text = HEADER + (
        "M-1;Acier;ROH;1000;10;2,5;25\r\n"
        "S-1;Montage;DIEN;1000;1;80;80\r\n"
        "M-2;Carton;VERP;1000;4;0,5;2\r\n"
        "U-1;Echantillon;UNBW;1000;3;0;0\r\n"
        "F-1;Table;FERT;1000;2;100;200\r\n"
    )
    outcome = read_stock_file(write(tmp_path, "mb52.csv", text), today=TODAY)
    report = outcome.report
    assert report.accepted, report.to_json()
    assert list(outcome.lines["sku"]) == ["M-1", "M-2", "F-1"]
    assert list(outcome.lines["category"]) == ["raw_material", "raw_material", "finished_good"]
    assert (report.lines, report.rows_read, report.rows_skipped) == (3, 5, 2)
    assert report.counts == {"not_stock": 2}
    found = [(p.severity.value, p.row, p.column, p.field, p.value, p.expected) for p in report.problems]
    expected = "a stock category: raw materials, work in progress or finished goods"
    assert found == [
        ("warning", 3, "Famille", "category", "DIEN", expected),
        ("warning", 5, "Famille", "category", "UNBW", expected),
    ]
    assert "service" in report.problems[0].message and "left out" in report.problems[0].message
    assert "non-valuated material" in report.problems[1].message


def test_pcg_accounts_and_hierarchical_labels_in_a_file(tmp_path):
    text = HEADER + (
        "A;Acier;311000;P1;1;1;1\r\n"
        "B;Sous-ensemble;Stocks > En-cours de production;P1;1;2;2\r\n"
        "C;Table;355 Produits finis;P1;1;3;3\r\n"
        "D;Vin;All / Marchandises;P1;1;4;4\r\n"
    )
    outcome = read_stock_file(write(tmp_path, "pcg.csv", text), today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert list(outcome.lines["category"]) == ["raw_material", "wip", "finished_good", "finished_good"]


def test_an_unknown_category_is_still_an_error(tmp_path):
    text = HEADER + "A;Acier;ZZZZ;P1;1;1;1\r\n"
    report = read_stock_file(write(tmp_path, "bad.csv", text), today=TODAY).report
    assert not report.accepted
    assert report.counts == {"unknown_category": 1}
