"""Columns by their contents: the quantity × unit cost = value triple, dates by parse rate, the
category column by its codes, the SKU as a mostly unique code column; and the rule that a saved
mapping is never overturned."""

from __future__ import annotations

import polars as pl
import pytest

from tests.imports.conftest import TODAY, csv_text, write
from valuation.imports import read_stock_file
from valuation.imports.categories import match_category
from valuation.imports.contents import (
    SAMPLE_ROWS,
    content_sample,
    day_first,
    find_triple,
    profile,
    sku_candidate,
    weigh,
)
from valuation.imports.headers import ACCEPT, STRONG, scores
from valuation.imports.mapping import ColumnMapping, propose_mapping


def grid(rows: list[list[str | None]]) -> pl.DataFrame:
    """A grid as the readers build it: text columns c0, c1..."""
    width = len(rows[0])
    return pl.DataFrame(
        {f"c{i}": [row[i] for row in rows] for i in range(width)}, schema={f"c{i}": pl.String for i in range(width)}
    )


def propose(headers: list[str], rows: list[list[str | None]], saved: ColumnMapping | None = None, mark: str = "."):
    mapping, conflicts = propose_mapping(headers, saved, sample=grid(rows), decimal_mark=mark)
    return {h: t for h, t in mapping.columns.items() if t}, conflicts


# Quantity × unit cost = value on every row, by hand: 12 × 2.5 = 30; 3 × 7.25 = 21.75;
# 100 × 0.125 = 12.50 (12.5 to the cent); 8 × 40 = 320.
TRIPLE_ROWS = [
    ["A-1", "12", "2.5", "30.00", "7"],
    ["A-2", "3", "7.25", "21.75", "1"],
    ["A-3", "100", "0.125", "12.50", "4"],
    ["A-4", "8", "40", "320.00", "9"],
]


def test_the_triple_is_found_with_no_header_help():
    """Columns 1-3 satisfy q × c = v on 4 rows of 4; column 4 is a bystander. The quantity is
    the factor with whole numbers (all of column 1, half of column 2)."""
    profiles = profile(grid(TRIPLE_ROWS), ".")
    triple = find_triple(profiles, {})
    assert (triple.quantity, triple.unit_cost, triple.book_value, triple.share) == (1, 2, 3, 1.0)


def test_the_triple_fills_columns_no_header_names():
    found, _ = propose(["Ref", "Col B", "Col C", "Col D", "Col E"], TRIPLE_ROWS)
    assert found == {"Ref": "sku", "Col B": "quantity", "Col C": "unit_cost", "Col D": "book_value"}


def test_the_headers_say_which_factor_is_the_quantity():
    """Here the cost column comes first and holds whole numbers: the headers decide."""
    rows = [[r[0], r[2], r[1], r[3]] for r in TRIPLE_ROWS]
    rows[0][1], rows[0][2] = "3", "10"  # 10 × 3 = 30: every cost now a whole number or not
    found, _ = propose(["SKU", "PU", "Qté", "Valeur"], rows)
    assert (found["PU"], found["Qté"], found["Valeur"]) == ("unit_cost", "quantity", "book_value")


def test_of_two_candidate_value_columns_the_one_equal_to_quantity_times_cost_wins():
    """By words "Stock value" (1.0) beats "Value" (0.9); but only "Value" equals
    quantity × unit cost, which adds 0.7 to it: "Value" is the book value."""
    rows = [r[:4] + [str(float(r[3]) * 2)] for r in TRIPLE_ROWS]
    found, conflicts = propose(["SKU", "Qty", "Unit cost", "Value", "Stock value"], rows)
    assert found["Value"] == "book_value"
    assert "Stock value" not in found
    assert conflicts == ["Stock value"]
    assert (
        propose(["SKU", "Qty", "Unit cost", "Value", "Stock value"], [r[:4] + ["1"] for r in TRIPLE_ROWS])[0]["Value"]
        == "book_value"
    )


def test_rows_with_a_unit_factor_are_no_evidence():
    """One unit at 5 is worth 5: any column equal to another "matches" the product; such rows
    are left out, so three identical-looking columns are not taken for a triple."""
    rows = [["A", "1", "5", "5"], ["B", "1", "7", "7"], ["C", "1", "9", "9"], ["D", "1", "2", "2"]]
    assert find_triple(profile(grid(rows), "."), {}) is None


def test_a_triple_holding_on_too_few_rows_is_not_one():
    rows = [r[:] for r in TRIPLE_ROWS]
    rows[1][3] = "99.00"  # 3 × 7.25 ≠ 99: 3 rows of 4 (75 % < 90 %)
    assert find_triple(profile(grid(rows), "."), {}) is None


def test_the_file_decimal_comma_is_read_for_the_triple():
    rows = [["A-1", "12", "2,5", "30,00"], ["A-2", "3", "7,25", "21,75"], ["A-3", "100", "0,125", "12,50"]]
    profiles = profile(grid(rows), ".")  # the cells prove the comma, whatever the default
    assert profiles[2].numbers.tolist() == [2.5, 7.25, 0.125]
    triple = find_triple(profiles, {})
    assert (triple.quantity, triple.unit_cost, triple.book_value) == (1, 2, 3)


DATED_ROWS = [
    ["A-1", "MP", "12", "2.5", "15/01/2026", "3"],
    ["A-2", "PF", "3", "7.25", "31/12/2025", "0"],
    ["A-3", "MP", "100", "0.125", "30/06/2024", "12"],
]


def test_dates_by_parse_rate_turn_a_weak_hint_into_the_date_column():
    """ "Mvt" alone is a weak hint of the last movement (0.4 < 0.55); its cells are all dates,
    which adds 0.3: it is taken. "Mouvement" over numbers is refused."""
    headers = ["Article", "Famille", "Qté", "PU", "Mvt", "Mouvement"]
    found, _ = propose(headers, DATED_ROWS)
    assert found["Mvt"] == "last_movement_date"
    assert "Mouvement" not in found


def test_a_weak_date_header_over_numbers_is_refused_but_a_strong_one_is_kept():
    """A strong header keeps its column even when its cells are wrong, so the validator can
    report each bad cell rather than a missing column."""
    found, _ = propose(["Article", "Famille", "Qté", "PU", "Date dernier mouvement", "Mouvement"], DATED_ROWS)
    assert found["Date dernier mouvement"] == "last_movement_date"
    rows = [r[:4] + [r[5], r[4]] for r in DATED_ROWS]  # the "date" column now holds numbers
    found, _ = propose(["Article", "Famille", "Qté", "PU", "Date dernier mouvement", "Mvt"], rows)
    assert found["Date dernier mouvement"] == "last_movement_date"
    assert found["Mvt"] != "last_movement_date" if "Mvt" in found else True


def test_month_first_dates_count_as_dates():
    rows = [["A", "11/28/2026"], ["B", "12/31/2025"], ["C", "01/15/2026"]]
    assert profile(grid(rows), ".")[1].date_share == 1.0


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["28/11/2026", "31/12/2025", "01/02/2026"], True),
        (["11/28/2026", "12/31/2025", "02/01/2026"], False),  # 28 and 31 cannot be months
        (["01/02/2026", "03/04/2026"], True),  # either order reads them: day first, by default
        (["2026-11-28", "2025-12-31"], True),
    ],
)
def test_the_date_order_is_the_one_reading_more_cells(cells, expected):
    assert day_first(pl.Series(cells)) is expected


def test_numbers_under_a_flag_header_are_a_quantity_not_a_flag():
    """NetSuite's "In Transit" is a quantity: numbers other than 0/1 are no yes/no flags."""
    rows = [r[:4] + [n] for r, n in zip(DATED_ROWS, ["5", "0", "12"])]
    found, _ = propose(["Article", "Famille", "Qté", "PU", "In Transit"], rows)
    assert "In Transit" not in found
    rows = [r[:4] + [n] for r, n in zip(DATED_ROWS, ["oui", "non", "non"])]
    assert propose(["Article", "Famille", "Qté", "PU", "En transit"], rows)[0]["En transit"] == "in_transit"


NETSUITE_ROWS = [
    ["RM-1001", "Inventory Item", "12010 Inventory : Raw Materials", "12", "2.5", "30.00"],
    ["SF-2001", "Assembly", "12020 Inventory : Work in Process", "3", "7.25", "21.75"],
    ["FG-3001", "Assembly", "12030 Inventory : Finished Goods", "100", "0.125", "12.50"],
    ["RM-1002", "Inventory Item", "12010 Inventory : Raw Materials", "8", "40", "320.00"],
]


def test_the_category_column_is_the_one_holding_categories_not_the_type_header():
    """ "Type" is a weak category header (0.6) over "Inventory Item"/"Assembly"; the asset
    account holds known categories on every row (+0.7): it is the category."""
    found, _ = propose(["Name", "Type", "Asset Account", "On Hand", "Average Cost", "Total Value"], NETSUITE_ROWS)
    assert found == {
        "Name": "sku",
        "Asset Account": "category",
        "On Hand": "quantity",
        "Average Cost": "unit_cost",
        "Total Value": "book_value",
    }


def test_a_weak_category_header_stays_when_no_column_holds_categories():
    rows = [r[:2] + r[3:] for r in NETSUITE_ROWS]
    found, _ = propose(["Name", "Type", "On Hand", "Average Cost", "Total Value"], rows)
    assert found["Type"] == "category"


def test_category_aliases_make_a_column_the_category_one():
    rows = [["A1", "Négoce", "2", "1.5", "3"], ["A2", "Fabrication", "1", "3", "3"], ["A3", "Négoce", "4", "2", "8"]]
    headers = ["Réf", "Activité", "Qté", "PU", "Valeur"]
    assert "Activité" not in propose(headers, rows)[0]
    aliases = {"Négoce": "finished_good", "Fabrication": "wip"}
    mapping, _ = propose_mapping(headers, sample=grid(rows), category_aliases=aliases)
    assert mapping.columns["Activité"] == "category"


def test_the_sku_is_the_mostly_unique_code_column():
    """No header names the SKU: "Repère" is unique on every row and holds no spaces; "Lot"
    repeats and the description has spaces."""
    rows = [
        ["Vis M6 inox", "L1", "X-001", "MP", "12", "2.5", "30"],
        ["Tube acier", "L1", "X-002", "MP", "3", "7.25", "21.75"],
        ["Moteur 1,5 kW", "L2", "X-003", "PF", "100", "0.125", "12.5"],
        ["Carter", "L2", "X-004", "PF", "8", "40", "320"],
    ]
    headers = ["Désignation", "Lot", "Repère", "Famille", "Qté", "PU", "Valeur"]
    found, _ = propose(headers, rows)
    assert found["Repère"] == "sku"
    assert found["Désignation"] == "description"
    profiles = profile(grid(rows), ".")
    assert sku_candidate(profiles, claimed=set()) == 2
    # Without it (and without "Qté", unique whole numbers), the others repeat, have spaces or
    # hold decimal numbers.
    assert sku_candidate(profiles, claimed={2, 4}) is None


def test_a_header_naming_the_sku_is_not_replaced_by_contents():
    rows = [["W1", "A-1", "12"], ["W1", "A-2", "3"], ["W2", "A-3", "4"]]
    found, _ = propose(["Code article", "Repère", "Qté"], rows)
    assert found["Code article"] == "sku"


def test_contents_never_override_a_saved_mapping():
    """The advisor mapped "Stock value" to the book value and told to ignore "Col B": the
    triple (Col B × Col C = Value) gives the unsaved headers their columns, not those two."""
    rows = [r[:4] + ["1"] for r in TRIPLE_ROWS]
    saved = ColumnMapping(columns={"Stock value": "book_value", "Col B": None})
    found, _ = propose(["Ref", "Col B", "Col C", "Value", "Stock value"], rows, saved)
    assert found["Stock value"] == "book_value"
    assert "Col B" not in found
    assert found.get("Value") != "book_value"


def test_the_sample_is_the_first_rows_without_total_rows():
    frame = grid([[f"A{i}", str(i)] for i in range(SAMPLE_ROWS + 10)] + [["Total", "99"]])
    assert content_sample(frame, 2).height == SAMPLE_ROWS
    frame = grid([["A1", "1"], ["Sous-total", "1"], ["合计", "1"], ["A2", "2"]])
    assert content_sample(frame, 2).get_column("c0").to_list() == ["A1", "A2"]


def test_a_file_with_cryptic_headers_is_read_by_its_contents(tmp_path):
    """End to end: headers no dictionary knows; the codes, the categories, the triple and the
    unique SKU column are found in the cells, and the lines read as written."""
    header = ["Col1", "Col2", "Col3", "Col4", "Col5"]
    rows = [
        ["X-001", "Matières premières", "12", "2,5", "30,00"],
        ["X-002", "En-cours", "3", "7,25", "21,75"],
        ["X-003", "Produits finis", "100", "0,125", "12,50"],
    ]
    outcome = read_stock_file(write(tmp_path, "s.csv", csv_text(header, rows)), today=TODAY)
    assert outcome.accepted, outcome.report.to_json()
    assert outcome.mapping.columns == {
        "Col1": "sku",
        "Col2": "category",
        "Col3": "quantity",
        "Col4": "unit_cost",
        "Col5": "book_value",
    }
    assert outcome.lines["book_value"].tolist() == ["30", "21.75", "12.5"]
    assert outcome.lines["category"].tolist() == ["raw_material", "wip", "finished_good"]


@pytest.mark.parametrize("rows", [[], [["", "", ""]]])
def test_an_empty_sample_changes_nothing(rows):
    headers = ["Code article", "Qté", "PU"]
    sample = grid(rows) if rows else pl.DataFrame(schema={f"c{i}": pl.String for i in range(3)})
    mapping, _ = propose_mapping(headers, sample=sample)
    assert mapping.columns == {"Code article": "sku", "Qté": "quantity", "PU": "unit_cost"}


def test_weigh_says_what_the_contents_found():
    """On the NetSuite rows: the triple (3 × 4 = 5), the category column (2, by its values, the
    "Type" guess refuted and cut to 0.6 × 0.3 = 0.18) and the SKU (0, claimed by no strong
    header: "Name" is only a weak description)."""
    headers = ["Name", "Type", "Asset Account", "On Hand", "Average Cost", "Total Value"]
    word_scores = [scores(h) for h in headers]
    weights, found = weigh(
        word_scores,
        profile(grid(NETSUITE_ROWS), "."),
        open_columns=set(range(6)),
        open_targets={"sku", "category", "quantity", "unit_cost", "book_value", "description"},
        is_category=lambda value: match_category(value) is not None,
        accept=ACCEPT,
        strong=STRONG,
    )
    assert (found.triple.quantity, found.triple.unit_cost, found.triple.book_value) == (3, 4, 5)
    assert (found.category, found.sku) == (2, 0)
    assert set(found.refuted) == {(1, "category"), (0, "description")}
    assert weights[1]["category"] == pytest.approx(0.18)
    assert weights[2]["category"] == pytest.approx(word_scores[2].get("category", 0.0) + 0.7)
    assert weights[3]["quantity"] == pytest.approx(word_scores[3]["quantity"] + 0.7)
