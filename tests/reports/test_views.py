"""The report pages: advisors issue, share and withdraw and read the access log; lenders read,
download, comment and decide; clients see their reports and certify certificates."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from facilities.models import Structure
from reports.models import (
    Certification,
    ReportAccess,
    ReportComment,
    ReportDecision,
    ReportKind,
    ReportShare,
    ReportVersion,
)
from tests.engine.helpers import lines
from tests.reports.conftest import TERMS_B, make_run


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_advisor_issues_a_report_and_follows_the_render(world, run_a, django_capture_on_commit_callbacks):
    client = login(world.advisor_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("reports:report-issue", args=[run_a.pk]), {"kind": "financing_report", "language": "en"}
        )
    report = ReportVersion.objects.get(run=run_a)
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    status = client.get(reverse("reports:report-status", args=[report.pk]))
    assert b"hx-get" in status.content and b"<progress" in status.content  # polling while queued
    for callback in callbacks:
        callback()
    status = client.get(reverse("reports:report-status", args=[report.pk]))
    assert b"hx-get" not in status.content
    assert reverse("reports:report-download", args=[report.pk]).encode() in status.content


def test_issue_form_names_the_field_at_fault(world, run_a):
    response = login(world.advisor_a).post(
        reverse("reports:report-issue", args=[run_a.pk]), {"kind": "borrowing_base_certificate", "language": "en"}
    )
    assert response.status_code == 200
    assert "borrowing base facility" in response.content.decode()
    assert not ReportVersion.objects.filter(run=run_a).exists()


def test_lender_reads_downloads_comments_and_decides(world):
    world.report_x.pdf.save("r.pdf", __import__("django.core.files.base").core.files.base.ContentFile(b"%PDF-1.4"))
    bank = login(world.bank_shared)
    assert bank.get(world.report_x.get_absolute_url()).status_code == 200
    download = bank.get(reverse("reports:report-download", args=[world.report_x.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == b"%PDF-1.4"
    assert list(ReportAccess.objects.filter(user=world.bank_shared).values_list("action", flat=True)) == [
        "download",
        "view",
    ]
    thread = bank.post(
        reverse("reports:report-comment", args=[world.report_x.pk]),
        {"body": "Why is <b>WIP</b> excluded?"},
        HTTP_HX_REQUEST="true",
    )
    assert thread.status_code == 200 and b'id="report-thread"' in thread.content
    assert b"Why is &lt;b&gt;WIP&lt;/b&gt; excluded?" in thread.content  # escaped
    decided = bank.post(
        reverse("reports:report-decide", args=[world.report_x.pk]), {"decision": "changes", "comment": "Add the NOLV."}
    )
    assert decided.status_code == 302
    decision = ReportDecision.objects.get()
    assert (decision.decision, decision.author, decision.comment) == ("changes", world.bank_shared, "Add the NOLV.")
    refused = bank.post(reverse("reports:report-decide", args=[world.report_x.pk]), {"decision": "decline"})
    assert refused.status_code == 400 and ReportDecision.objects.count() == 1  # a decline needs a comment


def test_the_bank_chooses_its_decision_and_confirms_an_approval(world):
    """Nothing is preselected, and approve (or decline) is recorded only after a confirmation step."""
    bank = login(world.bank_shared)
    page = bank.get(world.report_x.get_absolute_url()).content.decode()
    select = re.search(r'<select name="decision".*?</select>', page, re.S).group(0)
    assert "selected" not in select.split("</option>", 1)[1]  # only the empty prompt may be selected
    decide = reverse("reports:report-decide", args=[world.report_x.pk])
    assert bank.post(decide, {"decision": ""}).status_code == 400
    asked = bank.post(decide, {"decision": "approve", "comment": "Fine."})
    assert asked.status_code == 200 and ReportDecision.objects.count() == 0
    assert 'name="confirmed" value="on"' in asked.content.decode()
    assert bank.post(decide, {"decision": "approve", "comment": "Fine.", "confirmed": "on"}).status_code == 302
    assert ReportDecision.objects.get().decision == "approve"


def test_advisor_sees_the_access_log_and_decisions(world):
    login(world.bank_shared).get(world.report_x.get_absolute_url())
    ReportDecision.objects.create(
        report=world.report_x, lender=world.lender_a, author=world.bank_shared, decision="approve"
    )
    page = login(world.advisor_a).get(world.report_x.get_absolute_url()).content.decode()
    assert "analyst@banque-un.test" in page and "Banque Un" in page
    assert "Approve" in page
    assert ReportAccess.objects.filter(user=world.advisor_a).count() == 0  # advisors' own reading is not logged


def test_advisor_shares_and_withdraws(world):
    client = login(world.advisor_a)
    response = client.post(reverse("reports:report-share", args=[world.report_x.pk]), {"lender": world.lender_a2.pk})
    assert response.status_code == 302
    share = ReportShare.objects.get(lender=world.lender_a2)
    assert login(world.bank_unshared).get(world.report_x.get_absolute_url()).status_code == 200
    client.post(reverse("reports:share-withdraw", args=[share.pk]))
    assert login(world.bank_unshared).get(world.report_x.get_absolute_url()).status_code == 404
    # Another firm's lender cannot be chosen.
    client.post(reverse("reports:report-share", args=[world.report_x.pk]), {"lender": world.lender_b.pk})
    assert not ReportShare.objects.filter(lender=world.lender_b).exists()


@pytest.mark.parametrize("persona", ["advisor_b", "client_user_x", "client_user_y", "bank_shared", "bank_unshared"])
def test_outsiders_cannot_share_or_withdraw(world, persona):
    client = login(getattr(world, persona))
    share = world.report_x.shares.get()
    assert (
        client.post(
            reverse("reports:report-share", args=[world.report_x.pk]), {"lender": world.lender_a2.pk}
        ).status_code
        == 404
    )
    assert client.post(reverse("reports:share-withdraw", args=[share.pk])).status_code == 404
    share.refresh_from_db()
    assert share.withdrawn_at is None and ReportShare.objects.count() == 1


def test_clients_cannot_comment_or_decide(world):
    client = login(world.client_user_x)
    assert client.post(reverse("reports:report-comment", args=[world.report_x.pk]), {"body": "hi"}).status_code == 404
    assert (
        client.post(reverse("reports:report-decide", args=[world.report_x.pk]), {"decision": "approve"}).status_code
        == 404
    )
    assert not ReportComment.objects.exists() and not ReportDecision.objects.exists()


def test_client_certifies_a_certificate_then_the_advisor_shares_it(world, django_capture_on_commit_callbacks):
    from tests.reports.conftest import issue_and_render

    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    report = issue_and_render(
        run, world.advisor_a, kind=ReportKind.BORROWING_BASE_CERTIFICATE, capture=django_capture_on_commit_callbacks
    )
    advisor = login(world.advisor_a)
    advisor.post(reverse("reports:report-share", args=[report.pk]), {"lender": world.lender_a.pk}, follow=False)
    assert not ReportShare.objects.filter(report=report).exists()
    page = advisor.get(report.get_absolute_url()).content.decode()
    assert "certify" in page.lower()
    client = login(world.client_user_x)
    assert client.get(reverse("reports:report-certify", args=[report.pk])).status_code == 200
    bad = client.post(reverse("reports:report-certify", args=[report.pk]), {"signatory_name": "", "statement": "x"})
    assert bad.status_code == 200 and not Certification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("reports:report-certify", args=[report.pk]),
            {
                "signatory_name": "Claire Martin",
                "signatory_title": "CFO",
                "statement": "True and complete.",
                "confirm": "on",
            },
        )
    assert done.status_code == 302
    advisor.post(reverse("reports:report-share", args=[report.pk]), {"lender": world.lender_a.pk})
    assert ReportShare.objects.filter(report=report, lender=world.lender_a).exists()
    assert login(world.client_user_y).get(reverse("reports:report-certify", args=[report.pk])).status_code == 404


def test_report_detail_query_count_does_not_grow(world, django_assert_max_num_queries):
    for i in range(20):
        ReportComment.objects.create(report=world.report_x, author=world.bank_shared, body=f"c{i}")
        ReportAccess.objects.create(report=world.report_x, user=world.bank_shared, action="view")
        ReportDecision.objects.create(
            report=world.report_x, lender=world.lender_a, author=world.bank_shared, decision="approve"
        )
    client = login(world.advisor_a)
    # 17: the page also checks the run's inputs against the facility's as they are now (terms,
    # categories, appraisal, sites, the file), a fixed number of queries.
    with django_assert_max_num_queries(18):  # +1: the unread-notifications badge
        assert client.get(world.report_x.get_absolute_url()).status_code == 200
    bank = login(world.bank_shared)
    with django_assert_max_num_queries(21):  # +1: the unread-notifications badge
        assert bank.get(world.report_x.get_absolute_url()).status_code == 200


def test_clients_see_their_own_reports_only(world):
    page = login(world.client_user_y).get(reverse("reports:report-list")).content.decode()
    assert world.report_x.title not in page
    page = login(world.client_user_x).get(reverse("reports:report-list")).content.decode()
    assert world.report_x.title in page


def test_advisors_find_runs_to_issue_from_on_the_report_list(world, run_a, django_assert_max_num_queries):
    client = login(world.advisor_a)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("reports:report-list")).content.decode()
    assert reverse("reports:report-issue", args=[run_a.pk]) in page
    assert (
        reverse("reports:report-issue", args=[run_a.pk])
        not in login(world.advisor_b).get(reverse("reports:report-list")).content.decode()
    )
