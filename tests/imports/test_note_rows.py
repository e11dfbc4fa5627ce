"""A row with text but no SKU, quantity or value (a note the ERP printed) is skipped with a
warning naming the row and its text; the file is still accepted."""

from __future__ import annotations

from tests.imports.conftest import TODAY
from valuation.imports import read_stock_file

CSV = (
    "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Valeur stock\n"
    "A-1;Vis;MP;PAR;10;2,5;25\n"
    ";Note du service   achats;;;;;\n"
    "B-2;Tube;PF;PAR;3;10;30\n"
)


def test_a_note_row_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(CSV, encoding="utf-8")
    outcome = read_stock_file(path, filename="notes.csv", today=TODAY)
    report = outcome.report.to_json()
    assert report["accepted"] is True
    assert (report["lines"], report["rows_skipped"], report["warning_count"]) == (2, 1, 1)
    (problem,) = report["problems"]
    assert (problem["kind"], problem["row"], problem["value"]) == ("row_ignored", 3, "Note du service achats")
    assert list(outcome.lines["sku"]) == ["A-1", "B-2"]
