"""Header and category recognition, mapping proposal, reuse and preview."""

from __future__ import annotations

import json

import pytest

from tests.imports.conftest import EN_HEADER, FR_HEADER, FR_ROWS, TODAY, ZH_HEADER, csv_text, write
from valuation.imports import ColumnMapping, guess_column, preview_stock_file, read_stock_file
from valuation.imports.mapping import category_lookup, normalise

REFERENCE = ["sku", "description", "category", "warehouse", "quantity", "unit_cost", "book_value", "last_movement_date"]


@pytest.mark.parametrize("header", [FR_HEADER, EN_HEADER, ZH_HEADER])
def test_proposal_in_three_languages(header):
    assert [guess_column(h) for h in header] == REFERENCE


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("QTÉ.", "quantity"),
        ("pu_ht (€)", "unit_cost"),
        ("Valeur stock EUR", "book_value"),
        ("DEPOT", "warehouse"),
        ("Item", "sku"),
        ("Unit Cost", "unit_cost"),
        ("Catégorie", "category"),
        ("仓库", "warehouse"),
        ("单价", "unit_cost"),
        ("Date de péremption", "expiry_date"),
        ("Couleur", None),
    ],
)
def test_matching_ignores_accents_case_and_punctuation(header, column):
    assert guess_column(header) == column


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("MP", "raw_material"),
        ("Matières premières", "raw_material"),
        ("RM", "raw_material"),
        ("原材料", "raw_material"),
        ("原料", "raw_material"),
        ("en-cours", "wip"),
        ("ENCOURS", "wip"),
        ("Semi-finis", "wip"),
        ("WIP", "wip"),
        ("在制品", "wip"),
        ("半成品", "wip"),
        ("Produits finis", "finished_good"),
        ("PF", "finished_good"),
        ("FG", "finished_good"),
        ("产成品", "finished_good"),
        ("成品", "finished_good"),
    ],
)
def test_category_names(name, category):
    assert category_lookup()[normalise(name)].value == category


def test_firm_aliases_and_saved_mapping_are_reused(tmp_path):
    """An unusual export: an advisor maps it once; the next upload reuses the saved mapping."""
    header = ["Ref interne", "Libellé", "Nature", "Site", "Pièces", "Coût", "Couleur"]
    rows = [["A1", "Vis", "Négoce", "S1", "2", "1,5", "rouge"], ["A2", "Fût", "MP", "S2", "1", "3", "bleu"]]
    path = write(tmp_path, "s.csv", csv_text(header, rows))
    first = read_stock_file(path, today=TODAY)
    assert not first.accepted
    assert {p.field for p in first.report.problems} == {"quantity"}

    preview = preview_stock_file(path)
    assert preview.headers == header
    assert preview.sample_rows[0][:2] == ["A1", "Vis"]
    corrected = preview.mapping.to_json()
    corrected["columns"].update({"Ref interne": "sku", "Pièces": "quantity", "Coût": "unit_cost", "Couleur": None})
    corrected["category_aliases"] = {"Négoce": "finished_good"}
    saved = json.loads(json.dumps(corrected))  # as stored by the Django side

    second = read_stock_file(path, mapping=ColumnMapping.from_json(saved), today=TODAY)
    assert second.accepted, second.report.to_json()
    assert second.lines["category"].tolist() == ["finished_good", "raw_material"]
    assert second.lines["quantity"].tolist() == ["2", "1"]
    assert second.mapping.unmapped == ["Couleur"]
    assert second.warehouses == ["S1", "S2"]


def test_firm_wide_category_aliases(tmp_path):
    rows = [r[:] for r in FR_ROWS]
    rows[0][2] = "Négoce"
    path = write(tmp_path, "s.csv", csv_text(FR_HEADER, rows))
    outcome = read_stock_file(path, category_aliases={"negoce": "finished_good"}, today=TODAY)
    assert outcome.lines["category"].iloc[0] == "finished_good"


def test_second_candidate_for_a_column_is_a_warning(tmp_path):
    header = [*FR_HEADER, "Quantité"]
    rows = [r + ["7"] for r in FR_ROWS]
    outcome = read_stock_file(write(tmp_path, "s.csv", csv_text(header, rows)), today=TODAY)
    assert outcome.accepted
    assert outcome.report.counts == {"duplicate_column": 1}
    assert outcome.mapping.unmapped == ["Quantité"]


def test_mapping_json_round_trip_and_validation():
    mapping = ColumnMapping(columns={"Qté": "quantity", "X": None}, category_aliases={"Négoce": "finished_good"})
    assert ColumnMapping.from_json(json.loads(json.dumps(mapping.to_json()))) == mapping
    with pytest.raises(ValueError):
        ColumnMapping.from_json({"columns": {"Qté": "qty"}})
    with pytest.raises(ValueError):
        ColumnMapping.from_json({"category_aliases": {"X": "gold"}})
