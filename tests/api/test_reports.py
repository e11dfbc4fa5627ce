"""Reports through the API: issue (202, rendered in-process on commit), read, download (logged),
share and withdraw, comment, decide, certify — each a reports.services call behind access checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from facilities.models import Facility, Structure
from reports.models import ReportAccess, ReportShare, ReportVersion
from tests.api.conftest import token_client
from tests.conftest import World
from tests.pipeline.conftest import AS_OF, GOOD_CSV
from valuation.models import RunStatus, ValuationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(world: World, django_capture_on_commit_callbacks) -> dict[str, ValuationRun]:
    """GOOD_CSV valued under facility_x (pledge) and a borrowing-base facility of the same client."""
    revolver = Facility.objects.create(
        client=world.client_x,
        lender=world.lender_a,
        name="Revolver",
        structure=Structure.BORROWING_BASE,
        cost_advance_rate_pct=Decimal("60"),
        nolv_advance_rate_pct=Decimal("85"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = token_client(world.advisor_a).post(
            "/api/uploads/",
            {"client": world.client_x.pk, "file": SimpleUploadedFile("s.csv", GOOD_CSV), "as_of": AS_OF.isoformat()},
        )
    upload_id = answer.json()["id"]
    return {
        "pledge": ValuationRun.objects.get(upload_id=upload_id, facility=world.facility_x, status=RunStatus.DONE),
        "borrowing_base": ValuationRun.objects.get(upload_id=upload_id, facility=revolver, status=RunStatus.DONE),
    }


@pytest.fixture
def issue(world: World, django_capture_on_commit_callbacks):
    """Issue a report as firm A's advisor through the API; its PDF renders when the request commits."""

    def make(run: ValuationRun, **data) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            answer = token_client(world.advisor_a).post(
                "/api/reports/", {"run": run.pk, **data}, content_type="application/json"
            )
        assert answer.status_code == 202, answer.content
        assert answer.json()["render_status"] == "queued"
        return token_client(world.advisor_a).get(answer["Location"]).json()

    return make


def test_an_issued_report_renders_and_its_pdf_download_is_logged(world: World, runs, issue):
    report = issue(runs["pledge"], language="en")
    assert (report["render_status"], report["kind"], report["language"], report["number"]) == (
        "ready",
        "financing_report",
        "en",
        2,  # the world's report of the same facility is number 1
    )
    download = token_client(world.advisor_a).get(report["pdf_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="financing-report-pledge-2026-v2.pdf"'
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert ReportAccess.objects.filter(report_id=report["id"], user=world.advisor_a, action="download").count() == 1
    assert issue(runs["pledge"])["number"] == 3


def test_a_pdf_not_rendered_yet_is_409(world: World):
    ReportVersion.objects.filter(pk=world.report_x.pk).update(render_status="queued")
    answer = token_client(world.advisor_a).get(f"/api/reports/{world.report_x.pk}/pdf/")
    assert answer.status_code == 409 and answer.json()["error"] == "not_ready"


@pytest.mark.parametrize("persona", ["advisor_b", "client_user_x", "bank_shared"])
def test_only_the_firms_advisors_issue(world: World, runs, persona: str):
    answer = token_client(world.persona(persona)).post(
        "/api/reports/", {"run": runs["pledge"].pk}, content_type="application/json"
    )
    assert answer.status_code == 400 and "run" in answer.json()["fields"]
    assert not ReportVersion.objects.filter(run=runs["pledge"]).exists()


def test_issuing_refusals_name_the_field(world: World, runs):
    advisor = token_client(world.advisor_a)
    answer = advisor.post("/api/reports/", {"run": world.run_x.pk}, content_type="application/json")
    assert answer.status_code == 400 and "run" in answer.json()["fields"]  # no result to freeze
    answer = advisor.post(
        "/api/reports/",
        {"run": runs["pledge"].pk, "kind": "borrowing_base_certificate"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "kind" in answer.json()["fields"]  # not a borrowing base
    answer = advisor.post(
        "/api/reports/", {"run": runs["pledge"].pk, "language": "de"}, content_type="application/json"
    )
    assert answer.status_code == 400 and "language" in answer.json()["fields"]


def test_sharing_and_withdrawing_decide_what_a_bank_sees(world: World, runs, issue):
    report = issue(runs["pledge"])
    advisor, bank = token_client(world.advisor_a), token_client(world.bank_unshared)
    assert bank.get(f"/api/reports/{report['id']}/").status_code == 404

    shared = advisor.post(
        f"/api/reports/{report['id']}/shares/", {"lender": world.lender_a2.pk}, content_type="application/json"
    )
    assert shared.status_code == 201 and shared.json()["active"] is True
    assert bank.get(f"/api/reports/{report['id']}/").status_code == 200
    assert ReportAccess.objects.filter(report_id=report["id"], user=world.bank_unshared, action="view").exists()
    assert bank.get(report["pdf_url"]).status_code == 200

    share_id = shared.json()["id"]
    withdrawn = advisor.post(f"/api/reports/{report['id']}/shares/{share_id}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert bank.get(f"/api/reports/{report['id']}/").status_code == 404
    assert bank.get(report["pdf_url"]).status_code == 404
    assert [s["active"] for s in advisor.get(f"/api/reports/{report['id']}/shares/").json()] == [False]


def test_sharing_is_the_advisors_and_only_with_the_firms_lenders(world: World):
    url = f"/api/reports/{world.report_x.pk}/shares/"
    answer = token_client(world.advisor_a).post(url, {"lender": world.lender_b.pk}, content_type="application/json")
    assert answer.status_code == 400 and "lender" in answer.json()["fields"]
    for persona in ("client_user_x", "bank_shared"):
        answer = token_client(world.persona(persona)).post(
            url, {"lender": world.lender_a2.pk}, content_type="application/json"
        )
        assert answer.status_code == 403, persona
    assert token_client(world.advisor_b).post(url, {"lender": 1}, content_type="application/json").status_code == 404
    share = world.report_x.shares.get()
    other = f"/api/reports/{world.report_x.pk}/shares/{share.pk}/withdraw/"
    assert token_client(world.bank_shared).post(other).status_code == 403
    assert ReportShare.objects.get(pk=share.pk).withdrawn_at is None


def test_the_thread_between_advisors_and_the_bank(world: World):
    url = f"/api/reports/{world.report_x.pk}/comments/"
    bank, advisor = token_client(world.bank_shared), token_client(world.advisor_a)
    posted = bank.post(url, {"body": "Please detail the obsolete stock."}, content_type="application/json")
    assert posted.status_code == 201 and posted.json()["author_name"] == str(world.bank_shared)
    assert advisor.post(url, {"body": "See annex 2."}, content_type="application/json").status_code == 201
    assert [c["body"] for c in advisor.get(url).json()] == ["Please detail the obsolete stock.", "See annex 2."]
    assert [c["body"] for c in bank.get(url).json()] == ["Please detail the obsolete stock.", "See annex 2."]

    answer = bank.post(url, {"body": "   "}, content_type="application/json")
    assert answer.status_code == 400 and "body" in answer.json()["fields"]
    assert token_client(world.client_user_x).get(url).status_code == 403
    assert (
        token_client(world.bank_unshared).post(url, {"body": "hi"}, content_type="application/json").status_code == 404
    )


def test_a_bank_decides_with_a_reason_and_advisors_cannot_decide(world: World):
    url = f"/api/reports/{world.report_x.pk}/decisions/"
    bank = token_client(world.bank_shared)
    answer = bank.post(url, {"decision": "changes"}, content_type="application/json")
    assert answer.status_code == 400 and "comment" in answer.json()["fields"]
    answer = bank.post(url, {"decision": "waive", "comment": "Point 3"}, content_type="application/json")
    assert answer.status_code == 400 and "decision" in answer.json()["fields"]  # not a certificate
    answer = bank.post(url, {"decision": "maybe"}, content_type="application/json")
    assert answer.status_code == 400 and "decision" in answer.json()["fields"]
    made = bank.post(url, {"decision": "changes", "comment": "Update the reserves."}, content_type="application/json")
    assert made.status_code == 201 and made.json()["lender"] == world.lender_a.pk

    answer = token_client(world.advisor_a).post(url, {"decision": "approve"}, content_type="application/json")
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    assert [d["decision"] for d in token_client(world.advisor_a).get(url).json()] == ["changes"]


def test_a_certificate_is_certified_by_the_clients_signatory_before_it_is_shared(world: World, runs, issue):
    report = issue(runs["borrowing_base"], kind="borrowing_base_certificate")
    assert report["render_status"] == "ready" and report["certification"] is None
    url = f"/api/reports/{report['id']}/certification/"
    share_url = f"/api/reports/{report['id']}/shares/"
    advisor, signatory = token_client(world.advisor_a), token_client(world.client_user_x)

    answer = advisor.post(share_url, {"lender": world.lender_a.pk}, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"] == "not_certified"
    assert signatory.get(url).status_code == 404

    statement = {"signatory_name": "Claire Martin", "signatory_title": "CFO", "statement": "I certify this."}
    assert advisor.post(url, statement, content_type="application/json").status_code == 403
    answer = signatory.post(url, {**statement, "statement": ""}, content_type="application/json")
    assert answer.status_code == 400 and "statement" in answer.json()["fields"]
    made = signatory.post(url, statement, content_type="application/json")
    assert made.status_code == 201 and made.json()["signatory_name"] == "Claire Martin"
    again = signatory.post(url, statement, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"] == "already_certified"

    assert advisor.get(f"/api/reports/{report['id']}/").json()["certification"]["signatory_title"] == "CFO"
    assert advisor.post(share_url, {"lender": world.lender_a.pk}, content_type="application/json").status_code == 201


def test_report_lists_are_scoped_and_filterable(world: World):
    for persona, expected in (
        ("advisor_a", [world.report_x.pk]),
        ("advisor_b", []),
        ("client_user_x", [world.report_x.pk]),
        ("client_user_y", []),
        ("bank_shared", [world.report_x.pk]),
        ("bank_unshared", []),
    ):
        listed = token_client(world.persona(persona)).get("/api/reports/").json()["results"]
        assert [r["id"] for r in listed] == expected, persona
    advisor = token_client(world.advisor_a)
    assert advisor.get(f"/api/reports/?facility={world.facility_x.pk}&kind=financing_report").json()["count"] == 1
    assert advisor.get("/api/reports/?kind=borrowing_base_certificate").json()["count"] == 0
    answer = advisor.get("/api/reports/?kind=novel")
    assert answer.status_code == 400 and "kind" in answer.json()["fields"]


def test_the_report_list_takes_a_fixed_number_of_queries(world: World, django_assert_max_num_queries):
    for n in range(2, 15):
        ReportVersion.objects.create(
            run=world.run_x, facility=world.facility_x, number=n, title=f"v{n}", author=world.advisor_a
        )
    client = token_client(world.advisor_a)
    with django_assert_max_num_queries(4):  # token + user, count, page (with facility, author, certification)
        assert client.get("/api/reports/").json()["count"] == 14
