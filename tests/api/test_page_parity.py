"""The workspace pages' API routes give the pages' figures: the dashboard with its alerts, compare,
"try other terms", and a facility's lines and their exports. Figures are the dossier's hand-worked
ones (tests/dossier/conftest.py), checked against the page's own answer too.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from borrowers.models import AuditEvent
from facilities.models import Facility
from tests.api.conftest import token_client
from tests.conftest import World
from tests.dossier import conftest as dossier_fixtures
from tests.dossier.conftest import BOOK, ELIGIBLE, FINANCING, FINANCING_80_125, INELIGIBLE
from tests.dossier.test_compare import _earlier_run
from tests.dossier.test_dossier_page import _form_data
from valuation.models import ValuationRun
from valuation.workspace import drilldown

pytestmark = pytest.mark.django_db
dossier_run = dossier_fixtures.dossier_run  # the dossier's hand-worked stock file, valued

OUTSIDERS = ("advisor_b", "client_user_x", "client_user_y", "bank_shared", "bank_unshared")


def _open_every_switch(w: World) -> None:
    """A client company that shows its users everything it can: still never the working material."""
    w.client_x.client_sees_figures = w.client_x.client_sees_waterfall = w.client_x.client_sees_ineligibles = True
    w.client_x.save()


def _page(user, url: str, **params):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get(url, params)


def _by_key(rows: list[dict]) -> dict[str, tuple]:
    return {row["key"]: (row["before"], row["after"], row["delta"]) for row in rows}


# ------------------------------------------------------------------------------------ dashboard


def test_the_dashboard_gives_the_pages_lines_figures_and_alerts(world: World, dossier_run: ValuationRun):
    response = token_client(world.advisor_a).get("/api/dashboard/", {"sort": "-financing"})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["num_pages"], body["next"]) == (2, 1, 1, None)
    xylo, yarn = body["results"]
    assert (xylo["client_name"], xylo["facility"], xylo["run"]) == (
        "Xylo Industries",
        world.facility_x.pk,
        dossier_run.pk,
    )
    assert (xylo["book_value"], xylo["eligible_value"], xylo["financing"]) == (str(BOOK), str(ELIGIBLE), str(FINANCING))
    assert (xylo["last_stock_date"], xylo["currency"], xylo["lender_name"]) == ("2026-11-15", "EUR", "Banque Un")
    # Yarn & Co has no facility and no stock file: one line, with the client-level alert.
    assert (yarn["client_name"], yarn["facility"], yarn["financing"]) == ("Yarn & Co", None, None)
    assert [(a["code"], a["label"], a["facility"]) for a in yarn["alerts"]] == [
        ("no_stock_file", "No stock file yet", None)
    ]
    # The page, for the same sort: the same lines in the same order, the same figures and alerts.
    page = _page(world.advisor_a, reverse("valuation:dashboard"), sort="-financing").context["page"]
    assert [(r.client.pk, r.figures.facility.pk if r.figures else None) for r in page] == [
        (row["client"], row["facility"]) for row in body["results"]
    ]
    for row, shown in zip(page, body["results"], strict=True):
        for name in ("book_value", "eligible_value", "liquidation_value", "financing", "availability"):
            figure = row.figure(name)
            assert shown[name] == (None if figure is None else str(figure)), name
        assert [code for code, _label, _tone in row.alert_labels] == [a["code"] for a in shown["alerts"]]


def test_the_dashboard_searches_by_name_and_alerts_an_over_advance(world: World, dossier_run: ValuationRun):
    """Outstanding 40 000,00 against financing 38 000,07: availability −1 999,93, an over-advance."""
    world.facility_x.outstanding = Decimal("40000.00")
    world.facility_x.save()
    ValuationRun.objects.filter(pk=dossier_run.pk).update(availability=Decimal("-1999.93"))
    body = token_client(world.advisor_a).get("/api/dashboard/", {"q": "xylo"}).json()
    (row,) = body["results"]
    assert row["availability"] == "-1999.93"
    assert row["alerts"][0] == {
        "code": "over_advance",
        "label": "Over-advance",
        "tone": "bad",
        "severity": 4,
        "facility": world.facility_x.pk,
    }


def test_each_advisor_sees_only_its_firms_dashboard_and_nobody_else_any(world: World):
    body = token_client(world.advisor_b).get("/api/dashboard/").json()
    assert [row["client_name"] for row in body["results"]] == ["Bravo SA"]
    for persona in ("client_user_x", "client_user_y", "bank_shared", "bank_unshared"):
        assert token_client(world.persona(persona)).get("/api/dashboard/").status_code == 404, persona
    assert Client().get("/api/dashboard/").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"), [({"sort": "-nonsense"}, "sort"), ({"q": "x" * 201}, "q"), ({"page": "0"}, "page")]
)
def test_bad_dashboard_queries_name_the_parameter(world: World, params: dict, field: str):
    response = token_client(world.advisor_a).get("/api/dashboard/", params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_dashboard_page_past_the_last_is_not_found(world: World):
    assert token_client(world.advisor_a).get("/api/dashboard/", {"page": "2"}).status_code == 404


# ------------------------------------------------------------------------------------ compare


def test_compare_puts_two_stock_dates_side_by_side(world: World, dossier_run, django_capture_on_commit_callbacks):
    """8 000,03 → 83 000,03 of book value; financing 500,07 → 38 000,07 (tests/dossier/test_compare)."""
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    url = f"/api/facilities/{world.facility_x.pk}/compare/"
    body = token_client(world.advisor_a).get(url).json()  # default: the current run against the one before
    assert (body["before"]["id"], body["after"]["id"]) == (earlier.pk, dossier_run.pk)
    table = _by_key(body["rows"])
    assert table["eligibility.book_value"] == ("8000.03", "83000.03", "75000.00")
    assert table["eligibility.eligible"] == ("1000.13", "76000.13", "75000.00")
    assert table["financing.financing"] == ("500.07", str(FINANCING), "37500.00")
    assert table["reason:obsolete"] == ("999.90", "999.90", "0.00")
    labels = {row["key"]: row["label"] for row in body["rows"]}
    assert (labels["financing.financing"], labels["reason:obsolete"]) == ("Financing", "− Obsolete")
    # The page, asked for the same two runs: the same rows.
    page = _page(world.advisor_a, reverse("valuation:facility-compare", args=[world.facility_x.pk]))
    assert [(r.label, r.before, r.after, r.delta) for r in page.context["rows"]] == [
        (row["label"], *(None if row[k] is None else Decimal(row[k]) for k in ("before", "after", "delta")))
        for row in body["rows"]
    ]
    assert [run["id"] for run in body["runs"]] == [r.pk for r in page.context["runs"]]


def test_compare_takes_the_runs_asked_for_and_refuses_others(world: World, dossier_run: ValuationRun):
    api = token_client(world.advisor_a)
    url = f"/api/facilities/{world.facility_x.pk}/compare/"
    body = api.get(url, {"a": dossier_run.pk, "b": world.run_x.pk}).json()
    assert (body["before"]["id"], body["after"]["id"]) == (dossier_run.pk, world.run_x.pk)
    other = Facility.objects.create(
        client=world.client_y, lender=world.lender_a, name="Other", structure="borrowing_base"
    )
    assert api.get(f"/api/facilities/{other.pk}/compare/").json()["rows"] == []  # no run yet: nothing to compare
    response = api.get(url, {"a": "first"})
    assert response.status_code == 400 and "a" in response.json()["fields"]
    assert api.get(url, {"b": "999999"}).status_code == 404


# ------------------------------------------------------------------------------------ try terms


def test_proposed_terms_give_the_pages_figures_and_save_nothing(world: World, dossier_run: ValuationRun):
    """Fungibility 80 %, over-collateralisation 125 %: 48 640,08 against 38 000,07 today."""
    runs_before = ValuationRun.objects.count()
    url = f"/api/facilities/{world.facility_x.pk}/try-terms/"
    asked = {"fungibility_share_pct": "80", "over_collateralisation_pct": 125}
    response = token_client(world.advisor_a).post(url, asked, content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["run"]["id"] == dossier_run.pk
    table = _by_key(body["rows"])
    assert table["financing.financing"] == (str(FINANCING), str(FINANCING_80_125), "10640.01")
    assert table["financing.pledge.guarantee"] == ("57000.10", "60800.10", "3800.00")
    assert table["eligibility.eligible"][2] == "0.00"
    world.facility_x.refresh_from_db()
    assert world.facility_x.fungibility_share_pct == Decimal("75")
    assert ValuationRun.objects.count() == runs_before
    # The page's form, posted the same terms: the same rows.
    page = Client()
    page.force_login(world.advisor_a)
    posted = page.post(
        reverse("valuation:facility-compare-terms", args=[world.facility_x.pk]),
        _form_data(world.facility_x, world, fungibility_share_pct="80", over_collateralisation_pct="125"),
    )
    assert [(r.label, str(r.before), str(r.after)) for r in posted.context["rows"]] == [
        (row["label"], row["before"], row["after"]) for row in body["rows"]
    ]


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"fungibility": "80"}, "fungibility"),  # not a term: refused, named
        ({"reserves": "a lot"}, "reserves"),
        ({"structure": "overdraft"}, "structure"),
        ({"lender": 10**12}, "lender"),
        ({"eligibility_settings": [1, 2]}, "eligibility_settings"),
        ({"fungibility_share_pct": "180"}, "fungibility_share_pct"),
        (["fungibility_share_pct"], "non_field_errors"),
    ],
)
def test_bad_proposed_terms_are_refused_naming_the_field(world: World, dossier_run, asked, field: str):
    url = f"/api/facilities/{world.facility_x.pk}/try-terms/"
    response = token_client(world.advisor_a).post(url, asked, content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid" and field in body["fields"], body
    if field == "fungibility":
        assert "fungibility" in body["fields"]["fungibility"][0]


def test_terms_that_are_not_json_are_a_400(world: World, dossier_run):
    url = f"/api/facilities/{world.facility_x.pk}/try-terms/"
    response = token_client(world.advisor_a).post(url, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "parse_error"


def test_proposed_terms_without_any_valuation_say_so(world: World):
    facility = Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="New", structure="borrowing_base"
    )
    response = token_client(world.advisor_a).post(
        f"/api/facilities/{facility.pk}/try-terms/", {}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "no valuation to compare with" in response.json()["detail"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_only_the_firms_advisors_try_terms(world: World, dossier_run, persona: str):
    _open_every_switch(world)
    url = f"/api/facilities/{world.facility_x.pk}/try-terms/"
    response = token_client(world.persona(persona)).post(url, {}, content_type="application/json")
    assert response.status_code == 404


# ------------------------------------------------------------------------------------ lines


def test_a_facilitys_lines_are_the_pages_lines(world: World, dossier_run: ValuationRun):
    url = f"/api/facilities/{world.facility_x.pk}/lines/"
    body = token_client(world.advisor_a).get(url, {"status": "ineligible", "sort": "-book_value"}).json()
    assert (body["run"], body["available"], body["count"]) == (dossier_run.pk, True, 2)
    assert [line["row"] for line in body["results"]] == [3, 5]
    assert [line["reason"] for line in body["results"]] == ["wip", "obsolete"]
    assert body["totals"]["book_value"] == str(INELIGIBLE) == body["totals"]["ineligible"]
    everything = token_client(world.advisor_a).get(url).json()
    assert (everything["totals"]["book_value"], everything["totals"]["eligible"]) == (str(BOOK), str(ELIGIBLE))
    page = _page(world.advisor_a, reverse("valuation:facility-lines", args=[world.facility_x.pk]), status="ineligible")
    assert [line["row"] for line in page.context["page"].rows] == [3, 5]
    assert page.context["page"].totals["book_value"] == Decimal(body["totals"]["book_value"])


def test_lines_of_an_earlier_run_and_of_a_run_without_a_lines_file(world: World, dossier_run: ValuationRun):
    api = token_client(world.advisor_a)
    url = f"/api/facilities/{world.facility_x.pk}/lines/"
    body = api.get(url, {"run": world.run_x.pk}).json()  # the world's run has no stored lines
    assert (body["run"], body["available"], body["count"], body["results"]) == (world.run_x.pk, False, 0, [])
    assert api.get(url, {"run": "999999"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"sort": "price"}, "sort"), ({"status": "maybe"}, "status"), ({"run": "latest"}, "run"), ({"page": "0"}, "page")],
)
def test_bad_line_queries_name_the_parameter(world: World, dossier_run, params: dict, field: str):
    response = token_client(world.advisor_a).get(f"/api/facilities/{world.facility_x.pk}/lines/", params)
    assert response.status_code == 400 and field in response.json()["fields"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_no_client_however_open_nor_outsider_gets_the_lines(world: World, dossier_run, persona: str):
    _open_every_switch(world)
    api = token_client(world.persona(persona))
    base = f"/api/facilities/{world.facility_x.pk}"
    assert api.get(f"{base}/lines/").status_code == 404
    assert api.get(f"{base}/lines/export/", {"file_format": "csv"}).status_code == 404
    assert api.get(f"{base}/compare/").status_code == 404


# ------------------------------------------------------------------------------------ exports


def test_the_csv_export_is_the_pages_export_and_is_logged(world: World, dossier_run: ValuationRun):
    url = f"/api/facilities/{world.facility_x.pk}/lines/export/"
    response = token_client(world.advisor_a).get(url, {"file_format": "csv", "status": "eligible"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="lines-pledge-2026-2026-11-15.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in table[1:]] == ["2", "4", "6"]
    assert table[1][8] == "1000.00"  # money as exact decimals
    page = _page(
        world.advisor_a,
        reverse("valuation:facility-lines-export", args=[world.facility_x.pk, "csv"]),
        status="eligible",
    )
    assert b"".join(page.streaming_content).decode("utf-8-sig") == text
    assert AuditEvent.objects.filter(action="export-lines-csv", actor=world.advisor_a).count() == 2


def test_the_xlsx_export_is_formula_safe(world: World, dossier_run: ValuationRun):
    url = f"/api/facilities/{world.facility_x.pk}/lines/export/"
    # DRF's own `format` parameter picks nothing here: the file's format is `file_format`.
    response = token_client(world.advisor_a).get(url, {"file_format": "xlsx", "format": "json"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 6
    assert str(values[2][2]).startswith("'=HYPERLINK")


@pytest.mark.parametrize("params", [{}, {"file_format": "pdf"}, {"format": "csv"}])
def test_an_export_without_a_known_format_names_file_format(world: World, dossier_run, params: dict):
    response = token_client(world.advisor_a).get(f"/api/facilities/{world.facility_x.pk}/lines/export/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "file_format" in response.json()["fields"]


def test_a_large_xlsx_export_is_refused_with_the_pages_message(world: World, dossier_run, monkeypatch):
    monkeypatch.setattr(drilldown, "XLSX_MAX_LINES", 2)
    url = f"/api/facilities/{world.facility_x.pk}/lines/export/"
    response = token_client(world.advisor_a).get(url, {"file_format": "xlsx"})
    assert response.status_code == 400
    (message,) = response.json()["fields"]["file_format"]
    assert message.startswith("An XLSX export holds at most 2 lines and this selection has 5")


def test_an_export_whatever_the_accept_header_answers_its_file_or_json(world: World, dossier_run):
    api = token_client(world.advisor_a)
    url = f"/api/facilities/{world.facility_x.pk}/lines/export/"
    assert api.get(url, {"file_format": "csv"}, HTTP_ACCEPT="text/csv").status_code == 200
    refused = api.get(url, HTTP_ACCEPT="text/csv")
    assert refused.status_code == 400 and json.loads(refused.content)["fields"]["file_format"]


def test_a_facility_without_a_valuation_has_nothing_to_export(world: World):
    facility = Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="New", structure="borrowing_base"
    )
    api = token_client(world.advisor_a)
    assert api.get(f"/api/facilities/{facility.pk}/lines/export/", {"file_format": "csv"}).status_code == 404
    body = api.get(f"/api/facilities/{facility.pk}/lines/").json()
    assert (body["run"], body["available"], body["results"]) == (None, False, [])
