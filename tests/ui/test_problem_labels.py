"""The stock-file validation report and the engine's rule notes in the reader's language.

The problems come from the real reader on tiny bad files and the notes from the real engine, so a
reworded reader or engine message that the display no longer recognises fails here instead of
showing English to a French or Chinese reader; in English the text stays the readers' own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from reports.context import presentation
from tests.api.conftest import token_client
from tests.dossier.conftest import dossier_run  # noqa: F401 - the fixture
from tests.engine.helpers import AS_OF as ENGINE_AS_OF
from tests.engine.helpers import lines, terms
from tests.pipeline.conftest import AS_OF, BAD_CSV, csv_file
from valuation.engine import valuate
from valuation.engine.serialize import result_to_dict
from valuation.imports import read_stock_file
from valuation.workspace.problem_labels import (
    expected_text,
    kind_label,
    problem_text,
    rule_note_text,
    summary_text,
    translated_report,
)

TODAY = dt.date(2026, 12, 31)
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Valeur stock;Date dernier mouvement"
# Row numbers are the file's own (the header is row 1).
BAD_ROWS = (
    "A-001;Vis;MP;PAR1;abc;0,125;154,31;15/01/2026",  # row 2: quantity not a number
    "B-002;Tube;Zorglub;LYO2;10;2,50;25,00;32/13/2025",  # row 3: unknown category, bad date
    "C-003;Moteur;PF;PAR1;-3;1 500;-4 500,00;30/06/2027",  # row 4: negative stock, future date
    "C-004;Écrou;PF;PAR1;2;1;2;30/06/2024",  # row 5: clean
    "D-004;X;PF;PAR1;3;;;30/06/2024",  # row 6: no cost or value
    "E-005;Y;PF;PAR1;3;2;99;30/06/2024",  # row 7: 99 is not 3 × 2
    "F-006;Y;PF;PAR1;3;9999999999999;2;30/06/2024",  # row 8: absurd unit cost
    "G-007;Y;PF;PAR1;3;2;6;30/06/2024;extra",  # row 9: one value too many
)


def _report(tmp_path: Path, text: str, name: str = "stock.csv") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_stock_file(path, today=TODAY).report.to_json()


@pytest.fixture
def bad_report(tmp_path: Path) -> dict:
    return _report(tmp_path, "\n".join((HEADER, *BAD_ROWS)) + "\n")


def _problem(report: dict, kind: str, row: int | None = None) -> dict:
    found = [p for p in report["problems"] if p["kind"] == kind and (row is None or p["row"] == row)]
    assert found, f"no {kind} problem at row {row} in {[(p['kind'], p['row']) for p in report['problems']]}"
    return found[0]


def test_every_problem_reads_as_the_reader_wrote_it_in_english(bad_report, tmp_path):
    header_twice = _report(tmp_path, "SKU;Qty;Qty;Unit cost;Category\nA;1;2;3;MP\n", "twice.csv")
    no_cost = _report(tmp_path, "SKU;Qty;Category\nA;1;MP\n", "no_cost.csv")
    no_lines = _report(tmp_path, "SKU;Qty;Unit cost;Category\n", "no_lines.csv")
    problems = bad_report["problems"] + header_twice["problems"] + no_cost["problems"] + no_lines["problems"]
    kinds = {p["kind"] for p in problems}
    assert {"not_a_number", "unknown_category", "bad_date", "negative_stock", "future_date"} <= kinds
    assert {"missing_value", "inconsistent_book_value", "absurd_value", "too_many_values"} <= kinds
    assert {"duplicate_header", "missing_column"} <= kinds
    with translation.override("en"):
        for problem in problems:
            assert problem_text(problem) == problem["message"], problem["kind"]
        assert summary_text(bad_report) == bad_report["summary"]
        assert translated_report(bad_report) == bad_report


def test_a_problem_in_french_keeps_its_row_column_and_value(bad_report):
    with translation.override("fr"):
        assert problem_text(_problem(bad_report, "not_a_number", 2)) == (
            "Ligne 2, colonne « Qté » (quantité) : « abc » n'est pas un nombre ; "
            "attendu : un nombre comme 1234,56 ou 1 234.56."
        )
        category = problem_text(_problem(bad_report, "unknown_category", 3))
        assert category.startswith("Ligne 3, colonne « Famille » (catégorie) : « Zorglub » n'est pas une catégorie")
        assert "matières premières (MP, RM)" in category
        assert problem_text(_problem(bad_report, "negative_stock", 4)) == (
            "Ligne 4, colonne « Qté » (quantité) : -3 est négatif (stock négatif : vérifiez l'ERP)."
        )
        future = _problem(bad_report, "future_date", 4)
        assert expected_text(future["kind"], future["expected"]) == "au plus tard le 31/12/2026"
        assert problem_text(_problem(bad_report, "missing_value", 6)) == (
            "Ligne 6 : aucun coût ni aucune valeur n'est renseigné (colonne « PU HT » ou « Valeur stock »)."
        )
        assert problem_text(_problem(bad_report, "inconsistent_book_value", 7)) == (
            "Ligne 7 : la valeur comptable 99 (quantité 3 × coût unitaire 2) ne correspond pas à "
            "quantité × coût unitaire."
        )
        assert summary_text(bad_report) == "Fichier refusé : 7 lignes de stock, 6 erreur(s), 5 avertissement(s)."
        assert kind_label("not_a_number") == "pas un nombre"


def test_a_problem_in_chinese_keeps_its_row_column_and_value(bad_report):
    with translation.override("zh-hans"):
        assert problem_text(_problem(bad_report, "bad_date", 3)) == (
            "第 3 行，列“Date dernier mouvement”（最后变动日期）：“32/13/2025”不是日期；"
            "应为日期，例如 31/12/2026 或 2026-12-31。"
        )
        book = problem_text(_problem(bad_report, "inconsistent_book_value", 7))
        assert book.startswith("第 7 行：账面价值 99") and "与数量 × 单位成本不符" in book
        assert "第 8 行" in problem_text(_problem(bad_report, "absurd_value", 8))
        assert problem_text(_problem(bad_report, "too_many_values", 9)).startswith("第 9 行的值多于表头的列数")


def test_a_whole_file_rejection_in_french(tmp_path):
    report = _report(tmp_path, "SKU;Qty;Unit cost;Category\n", "no_lines.csv")
    with translation.override("fr"):
        assert (
            problem_text(_problem(report, "no_lines"))
            == "Le fichier a un en-tête mais aucune ligne de stock en dessous."
        )


def test_an_unknown_kind_or_expected_is_shown_as_written():
    problem = {"kind": "martian_value", "row": 4, "column": "X", "value": "?", "expected": "a moon", "message": "Odd."}
    with translation.override("fr"):
        assert problem_text(problem) == "Odd."
        assert expected_text("martian_value", "a moon") == "a moon"
        assert kind_label("martian_value") == "martian_value"
        assert rule_note_text("a note the engine wrote tomorrow") == "a note the engine wrote tomorrow"


def _rule_notes(data: dict | None = None) -> dict[str, str]:
    result = result_to_dict(valuate(lines(["1000"], warehouse=["W1"]), terms(data), as_of=ENGINE_AS_OF))
    rules = {r["reason"]: r.get("note") or "" for r in result["eligibility"]["rules"]}
    bases = {d["discount"]: d.get("basis") or "" for d in result["eligibility"].get("discounts") or []}
    return {**rules, **bases}


def test_engine_rule_notes_in_french_and_chinese():
    note = _rule_notes()["location"]
    assert note == "no accepted or excluded locations set"
    with translation.override("fr"):
        assert rule_note_text(note) == "aucun emplacement accepté ou exclu n'est défini"
    with translation.override("zh-hans"):
        assert rule_note_text(note) == "未设置接受或排除的存放地点"
    with translation.override("en"):
        assert rule_note_text(note) == note
    wip = _rule_notes()["wip"]
    with translation.override("fr"):
        assert (
            rule_note_text(wip)
            == "colonnes d'exception absentes : aucune exception pour les en-cours de production n'a pu être établie"
        )


def test_criteria_bases_in_french_with_figures_formatted():
    basis = "count variance 2 % × total stock 1,234.56"
    with translation.override("fr"):
        assert rule_note_text(basis) == "écart d'inventaire 2\xa0% × stock total 1\u202f234,56\xa0€"
    with translation.override("en"):
        assert rule_note_text(basis) == basis


@pytest.mark.django_db
def test_the_upload_page_in_french_shows_the_report_in_french(client, world, django_capture_on_commit_callbacks):
    world.client_user_x.language = "fr"
    world.client_user_x.save()
    client.force_login(world.client_user_x)
    url = reverse("valuation:upload-create", args=[world.client_x.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": csv_file(BAD_CSV, "bad.csv"), "as_of": AS_OF.isoformat()})
    html = client.get(response.url).content.decode()
    assert escape("Ligne 3, colonne « Qté » (quantité) : « quarante » n'est pas un nombre") in html
    assert "<td>un nombre comme 1234,56 ou 1 234.56</td>" in html
    assert escape("« Divers » n'est pas une catégorie connue") in html
    assert "<td>erreur</td>" in html and "pas un nombre" in html
    assert "is not a number" not in html and "a number such as" not in html


@pytest.mark.django_db
def test_the_api_gives_the_message_in_the_requests_language_and_keeps_the_fields(
    world, django_capture_on_commit_callbacks
):
    api = token_client(world.advisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            "/api/uploads/",
            {"client": world.client_x.pk, "file": csv_file(BAD_CSV, "bad.csv"), "as_of": AS_OF.isoformat()},
        )
    french = api.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="fr").json()["report"]
    english = api.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en").json()["report"]
    quarante = next(p for p in french["problems"] if p["value"] == "quarante")
    assert (quarante["kind"], quarante["row"], quarante["column"]) == ("not_a_number", 3, "Qté")
    assert quarante["message"].startswith("Ligne 3, colonne « Qté » (quantité) : « quarante » n'est pas un nombre")
    assert quarante["expected"] == "a number such as 1234,56 or 1 234.56"  # the structured field, as stored
    assert next(p for p in english["problems"] if p["value"] == "quarante")["message"].startswith(
        "Row 3, column “Qté” (quantity): “quarante” is not a number"
    )


@pytest.mark.django_db
def test_the_dossier_in_french_shows_the_engine_notes_in_french(client, world, dossier_run):  # noqa: F811
    rules = {r["reason"]: r for r in dossier_run.result["eligibility"]["rules"]}
    assert rules["location"]["note"] == "no accepted or excluded locations set"
    world.advisor_a.language = "fr"
    world.advisor_a.save()
    client.force_login(world.advisor_a)
    html = client.get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content.decode()
    assert escape("aucun emplacement accepté ou exclu n'est défini") in html
    assert "no accepted or excluded locations set" not in html


def test_the_pdf_shows_a_criteria_basis_in_the_reports_language():
    frozen = {
        "currency": "EUR",
        "result": {
            "eligibility": {
                "discounts": [
                    {
                        "discount": "record_accuracy",
                        "basis": "count variance 2 % × total stock 1,234.56",
                        "computed": "24.69",
                        "amount": "24.69",
                    }
                ]
            }
        },
    }
    with translation.override("zh-hans"):
        (row,) = presentation(frozen)["discounts"]
    assert row.basis.startswith("盘点差异 2") and "1,234.56" in row.basis and "count variance" not in row.basis


def test_a_column_mixing_date_orders_is_explained_in_french_with_both_rows(tmp_path):
    text = "SKU;Qty;Unit cost;Category;Last movement\nA;1;2;MP;25/01/2026\nB;1;2;MP;03/04/2026\nC;1;2;MP;01/28/2026\n"
    problem = _problem(_report(tmp_path, text, "mixed.csv"), "mixed_date_order")
    with translation.override("fr"):
        sentence = problem_text(problem)
        assert sentence.startswith("La colonne « Last movement »") or "Last movement" in sentence
        assert "ligne 2" in sentence and "« 25/01/2026 »" in sentence
        assert "ligne 4" in sentence and "« 01/28/2026 »" in sentence
        assert kind_label("mixed_date_order") == "deux ordres de date dans une colonne"
