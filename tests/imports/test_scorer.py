"""Headers by their words: normalisation, the six languages, ERP field names, and the choice of
the best assignment over a whole header row (ties, conflicts, opening vs closing, saved wins)."""

from __future__ import annotations

import pytest

from valuation.imports.headers import ACCEPT, concepts, scores
from valuation.imports.mapping import ColumnMapping, assign, guess_column, header_score, propose_mapping
from valuation.imports.sources import find_header_row


def mapped(headers: list[str], saved: ColumnMapping | None = None) -> dict[str, str]:
    mapping, _conflicts = propose_mapping(headers, saved)
    return {header: target for header, target in mapping.columns.items() if target}


@pytest.mark.parametrize(
    ("header", "column"),
    [
        # the examples
        ("Annual consumption qty", "annual_consumption_qty"),
        ("Date dernier mvt", "last_movement_date"),
        ("Value Unrestricted", "book_value"),
        ("Unrestricted", "quantity"),
        ("Material Type", "category"),
        ("物料分类", "category"),
        ("Qty (PCS)", "quantity"),
        ("Stock réel", "quantity"),
        ("CMUP", "unit_cost"),
        ("PMP", "unit_cost"),
        ("PUMP", "unit_cost"),
        ("DPA", "unit_cost"),
        ("Avg Cost", "unit_cost"),
        ("期末结存金额", "book_value"),
        ("期末数量", "quantity"),
        ("Lagerort", "warehouse"),
        ("Bestand", "quantity"),
        ("Magasin", "warehouse"),
        ("Dépôt", "warehouse"),
        ("Famille", "category"),
        # English
        ("Quantity on Hand", "quantity"),
        ("Item No.", "sku"),
        ("Base Unit of Measure", "unit"),
        ("Expiration date", "expiry_date"),
        ("Sales Price", "resale_unit_price"),
        # French
        ("Qté en stock", "quantity"),
        ("Libellé", "description"),
        ("Sous-famille", "sub_category"),
        ("Date réception", "receipt_date"),
        ("Prix de revient", "unit_cost"),
        ("Conso annuelle", "annual_consumption_qty"),
        ("Val. utilis. libre", "book_value"),
        ("Utilisation libre", "quantity"),
        # German
        ("Materialnummer", "sku"),
        ("Materialkurztext", "description"),
        ("Menge", "quantity"),
        ("Wert frei verw.", "book_value"),
        ("Frei verwendbar", "quantity"),
        ("Basismengeneinheit", "unit"),
        ("Bestandswert", "book_value"),
        ("Letzte Bewegung", "last_movement_date"),
        ("Jahresverbrauch", "annual_consumption_qty"),
        ("Währung", "currency"),
        # Spanish
        ("Cantidad", "quantity"),
        ("Almacén", "warehouse"),
        ("Descripción", "description"),
        ("Costo promedio", "unit_cost"),
        ("Fecha último movimiento", "last_movement_date"),
        ("Familia", "category"),
        ("Consumo anual", "annual_consumption_qty"),
        # Italian
        ("Codice articolo", "sku"),
        ("Quantità", "quantity"),
        ("Giacenza", "quantity"),
        ("Magazzino", "warehouse"),
        ("Costo medio ponderato", "unit_cost"),
        ("Valore", "book_value"),
        ("Data ultimo movimento", "last_movement_date"),
        ("Tipo materiale", "category"),
        # Chinese: no spaces, read by the terms they contain
        ("存货编码", "sku"),
        ("存货名称", "description"),
        ("结存数量", "quantity"),
        ("结存单价", "unit_cost"),
        ("计量单位", "unit"),
        ("仓库名称", "warehouse"),
        ("最后出库日期", "last_movement_date"),
        ("年消耗量", "annual_consumption_qty"),
        ("币种", "currency"),
    ],
)
def test_headers_in_six_languages(header, column):
    assert guess_column(header) == column


@pytest.mark.parametrize(
    ("header", "column"),
    [
        # SAP technical names (MARA, MARD, MBEW) and MB52's short labels
        ("MATNR", "sku"),
        ("MAKTX", "description"),
        ("LGORT", "warehouse"),
        ("LABST", "quantity"),
        ("MTART", "category"),
        ("MEINS", "unit"),
        ("SALK3", "book_value"),
        ("VERPR", "unit_cost"),
        ("STPRS", "unit_cost"),
        ("WAERS", "currency"),
        ("SLoc", "warehouse"),
        ("MTyp", "category"),
        ("BUn", "unit"),
        ("Crcy", "currency"),
        # Dynamics 365 / Business Central / NAV
        ("ItemId", "sku"),
        ("InventLocationId", "warehouse"),
        ("PhysicalInvent", "quantity"),
        ("PostedValue", "book_value"),
        ("Location Code", "warehouse"),
        ("Cost Amount (Actual)", "book_value"),
        # NetSuite saved-search fields
        ("locationquantityonhand", "quantity"),
        ("averagecost", "unit_cost"),
        ("totalvalue", "book_value"),
        # Odoo fields
        ("default_code", "sku"),
        ("product_uom_id", "unit"),
        ("categ_id", "category"),
        ("in_date", "receipt_date"),
        # Sage 100 (table prefixes) and Sage X3
        ("AR_Ref", "sku"),
        ("AR_Design", "description"),
        ("FA_CodeFamille", "category"),
        ("AS_QteSto", "quantity"),
        ("AS_MontSto", "book_value"),
        ("ITMREF", "sku"),
        ("ITMDES1", "description"),
        ("TCLCOD", "category"),
        ("STOFCY", "warehouse"),
        ("QTYSTU", "quantity"),
        ("STU", "unit"),
        # Cegid
        ("GA_CODEARTICLE", "sku"),
        ("GA_LIBELLE", "description"),
        ("GQ_DEPOT", "warehouse"),
        ("GA_PMAP", "unit_cost"),
        # EBP
        ("Valeur stock (PUMP)", "book_value"),
        # QuickBooks
        ("On Hand", "quantity"),
        ("Asset Value", "book_value"),
        ("U/M", "unit"),
        # Kingdee
        ("FNumber", "sku"),
        ("FStockId", "warehouse"),
        ("FBaseQty", "quantity"),
        # Yonyou U8 (Hungarian-notation prefixes)
        ("cInvCode", "sku"),
        ("cInvName", "description"),
        ("cWhCode", "warehouse"),
        ("cInvCCode", "category"),
        ("iQuantity", "quantity"),
    ],
)
def test_erp_field_names(header, column):
    assert guess_column(header) == column


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("Qty (PCS)", ("QTY",)),
        ("Prix / kg", ("PRICE",)),
        ("Valeur (EUR)", ("VALUE",)),
        ("Montant €", ("VALUE",)),
        ("Valeur stock EUR", ("VALUE", "STOCK")),
        ("QTÉ.", ("QTY",)),
        ("PU HT (€)", ("UNIT", "PRICE")),
        # a bracket that is not a unit is kept: the expected cost is not the actual one
        ("Cost Amount (Expected)", ("COST", "VALUE", "?expected")),
        # a slash followed by words is not a unit
        ("Product/Internal Reference", ("PRODUCT", "INTERNAL", "REF")),
        ("Value BlockedStock", ("VALUE", "BLOCKED", "STOCK")),
        ("% of Tot Asset", ("TOTAL", "ASSET", "PERCENT")),
    ],
)
def test_normalisation_drops_units_currencies_and_punctuation(header, found):
    assert concepts(header) == found


def test_unknown_words_weaken_a_header():
    """Each unexplained word lowers the share a pattern explains: "Reserved Quantity" is half
    a quantity (1.0 × 1/2), under the acceptance threshold; a colour is nothing."""
    assert scores("Reserved Quantity")["quantity"] == pytest.approx(0.5)
    assert scores("Reserved Quantity")["quantity"] < ACCEPT
    assert guess_column("Reserved Quantity") is None
    assert guess_column("Couleur") is None
    assert guess_column("Transit and Transfer") is None  # SAP's quantity in transfer, not a flag


def test_the_best_assignment_is_global_not_first_come():
    """Header 0 fits a (0.9) and b (0.8), header 1 only a (0.85). First come would give a to
    header 0 and leave header 1 out (total 0.9); the best total is 0.8 + 0.85 = 1.65."""
    assert assign([{"quantity": 0.9, "book_value": 0.8}, {"quantity": 0.85}]) == {0: "book_value", 1: "quantity"}


def test_pairs_under_the_threshold_are_not_assigned():
    assert assign([{"quantity": ACCEPT - 0.01}, {"sku": ACCEPT}]) == {1: "sku"}


def test_a_tie_goes_to_the_first_header_and_the_second_is_a_conflict():
    mapping, conflicts = propose_mapping(["Code article", "Qté", "Quantité", "PU"])
    assert mapping.columns["Qté"] == "quantity"
    assert mapping.columns["Quantité"] is None
    assert conflicts == ["Quantité"]
    mapping, conflicts = propose_mapping(["Code article", "Quantité", "Qté", "PU"])
    assert (mapping.columns["Quantité"], conflicts) == ("quantity", ["Qté"])


@pytest.mark.parametrize(
    "headers",
    [
        ["Material", "Plant", "Storage Location", "Unrestricted", "Value Unrestricted"],
        ["Material", "Storage Location", "Plant", "Value Unrestricted", "Unrestricted"],
    ],
)
def test_storage_location_beats_plant_and_value_unrestricted_is_a_value(headers):
    """Whatever the order: the storage location (1.0) is the warehouse, not the plant (0.6);
    "Unrestricted" is the quantity and "Value Unrestricted" the book value."""
    mapping, conflicts = propose_mapping(headers)
    assert mapped(headers) == {
        "Material": "sku",
        "Storage Location": "warehouse",
        "Unrestricted": "quantity",
        "Value Unrestricted": "book_value",
    }
    assert conflicts == []  # a plant is only a weak warehouse: losing to a better one is normal
    assert mapping.unmapped == ["Plant"]


def test_two_candidate_value_columns_the_more_specific_wins():
    """ "Valeur stock" explains a qualifier more than "Valeur" (0.91 against 0.90)."""
    assert mapped(["Article", "Qté", "Valeur", "Valeur stock"])["Valeur stock"] == "book_value"
    assert mapped(["Article", "Qté", "Valeur stock", "Valeur"])["Valeur stock"] == "book_value"


@pytest.mark.parametrize(
    "headers",
    [
        ["物料编码", "期初数量", "期初金额", "本期收入数量", "本期发出数量", "期末数量", "期末金额"],
        ["Item", "Closing Qty", "Closing Value", "Opening Qty", "Opening Value"],
        ["Item", "Opening Qty", "Opening Value", "Receipts Qty", "Ending Qty", "Ending Value"],
    ],
)
def test_closing_figures_beat_opening_ones(headers):
    found = mapped(headers)
    closing = [h for h in headers if h.startswith(("期末", "Closing", "Ending"))]
    assert {found[h] for h in closing} == {"quantity", "book_value"}
    assert not any(h.startswith(("期初", "Opening", "本期", "Receipts")) for h in found)


def test_an_opening_figure_alone_is_not_the_stock():
    """An opening quantity scores half ((1.0 + 0.01 for the qualifier) × 0.5): under the
    threshold, never the stock."""
    assert scores("期初数量")["quantity"] == pytest.approx(0.505)
    assert "期初数量" not in mapped(["物料编码", "期初数量"])


def test_a_saved_mapping_wins_for_its_headers():
    """The advisor said the plant is the warehouse and "Unrestricted" is to be ignored: both
    hold, the storage location is left out (and said to compete), the rest is guessed."""
    saved = ColumnMapping(columns={"Plant": "warehouse", "Unrestricted": None})
    headers = ["Material", "Plant", "Storage Location", "Unrestricted", "Value Unrestricted"]
    mapping, conflicts = propose_mapping(headers, saved)
    assert mapped(headers, saved) == {"Material": "sku", "Plant": "warehouse", "Value Unrestricted": "book_value"}
    assert mapping.columns["Unrestricted"] is None
    assert conflicts == ["Storage Location"]


def test_header_score_finds_the_header_row_under_title_rows():
    rows = [
        ["Inventory Valuation Summary", "", ""],
        ["As of December 31, 2026", "", ""],
        ["", "", ""],
        ["Material", "Storage Location", "Unrestricted", "Value Unrestricted"],
        ["RM-1001", "PAR1", "1250", "5250.00"],
    ]
    # The title reads as "inventory value" plus an unknown word (2/3 of a book value): one cell
    # alone never makes a header row.
    assert [header_score(row) for row in rows] == [1, 0, 0, 4, 0]
    assert find_header_row(rows, None) == 3


def test_header_score_counts_the_cells_a_saved_mapping_knows():
    saved = ColumnMapping(columns={"Repère": "sku", "Pièces": "quantity"})
    assert header_score(["Repère", "Pièces", "Couleur"], saved) == 2
    assert header_score(["Repère", "Pièces", "Couleur"]) == 0
