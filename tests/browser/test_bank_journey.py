"""The bank partner's job in the browser: open the report shared with its bank, read the figures,
download the PDF, ask a question in the thread and record a decision; then the advisor sees the
question and the decision. In English and in Chinese (the bank user's language)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from reports import services as reports
from reports.models import RenderStatus, ReportDecision
from tests.browser.helpers import AS_OF, FIGURES, PASSWORD, STOCK_CSV, Dossier, field, plain, tr
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services as uploads

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "zh-hans": "zh-CN"}
QUESTION = {"en": "Is the obsolete stock still insured?", "zh-hans": "呆滞库存是否仍有保险？"}
REASON = {"en": "Please add the count of 30 November.", "zh-hans": "请补充11月30日的盘点。"}


def shared_report(dossier: Dossier, language: str):  # type: ignore[no-untyped-def]
    """The client's file valued, a financing report issued from the run (its PDF rendered in
    process) and shared with the lender."""
    uploads.create_upload(
        client=dossier.client,
        by=dossier.client_user,
        file=SimpleUploadedFile("etat-stock.csv", STOCK_CSV, content_type="text/csv"),
        as_of=AS_OF,
    )
    run = ValuationRun.objects.get(facility=dossier.facility)
    assert run.status == RunStatus.DONE, run.failure_reason
    report = reports.issue_report(run=run, by=dossier.advisor, language=language)
    report.refresh_from_db()
    assert report.render_status == RenderStatus.READY, report.failure_reason
    reports.share_report(report=report, lender=dossier.lender, by=dossier.advisor)
    return report


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_bank_reviews_a_shared_report_and_decides(journey, language):
    dossier = Dossier(bank_language=language)
    report = shared_report(dossier, language)
    figures = FIGURES[language]

    bank = journey(f"bank-{language}", locale=LOCALES[language])
    page = bank.page
    bank.log_in(dossier.bank_user.email, PASSWORD)
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(language, "Reports"))
    bank.shot("shared-reports")

    page.get_by_role("link", name=re.compile(re.escape(report.title))).click()
    page.wait_for_url(re.compile(rf"/reports/{report.pk}/$"))
    kpis = plain(page.locator(".kpis").text_content() or "")  # not inner_text: the labels are upper-cased by CSS
    for key in ("book", "eligible", "financing"):
        assert figures[key] in kpis, (key, kpis)
    assert tr(language, "Book value") in kpis and tr(language, "Financing") in kpis, kpis
    bank.shot("report")

    # The PDF behind the link, with the bank user's session.
    link = page.get_by_role("link", name=tr(language, "Download the PDF"))
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as saved:
        assert saved.read(5) == b"%PDF-"
    pdf = bank.context.request.get(bank.base + (link.get_attribute("href") or ""))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"

    # A question in the thread (sent by htmx, the thread swapped in place).
    thread = page.locator("#report-thread")
    thread.get_by_label(re.compile(rf"^{re.escape(tr(language, 'Comment'))}")).fill(QUESTION[language])
    thread.get_by_role("button", name=tr(language, "Post")).click()
    expect(page.locator("#report-thread")).to_contain_text(QUESTION[language])
    bank.shot("question-posted")

    # The decision: ask for changes, saying which.
    decisions = page.locator("section", has=page.get_by_role("heading", name=tr(language, "Decisions"), exact=True))
    field(decisions, tr(language, "Decision")).select_option(label=tr(language, "Ask for changes"))
    field(decisions, tr(language, "Comment")).fill(REASON[language])
    bank.shot("decision-form")
    decisions.get_by_role("button", name=tr(language, "Record the decision")).click()
    page.wait_for_url(re.compile(rf"/reports/{report.pk}/$"))
    recorded = page.locator("section", has=page.get_by_role("heading", name=tr(language, "Decisions"), exact=True))
    row = recorded.locator("tbody tr").first
    expect(row).to_contain_text(tr(language, "Ask for changes"))
    expect(row).to_contain_text(REASON[language])
    bank.shot("decision-recorded")
    made = ReportDecision.objects.get(report=report)
    assert (made.decision, made.author, made.comment) == ("changes", dossier.bank_user, REASON[language])

    # The advisor sees the question, the decision, and who opened and downloaded the report.
    advisor = journey(f"bank-{language}-advisor")
    advisor.log_in(dossier.advisor.email, PASSWORD)
    advisor.goto(f"/reports/{report.pk}/")
    view = advisor.page
    expect(view.locator("#report-thread")).to_contain_text(QUESTION[language])
    decided = view.locator("section", has=view.get_by_role("heading", name="Decisions", exact=True)).locator("tbody tr")
    expect(decided.first).to_contain_text("Ask for changes")
    expect(decided.first).to_contain_text("Banque Journée")
    expect(decided.first).to_contain_text(REASON[language])
    log = plain(view.locator("section", has=view.get_by_role("heading", name="Access log")).inner_text())
    assert dossier.bank_user.email in log and "Downloaded" in log and "Viewed" in log, log
    advisor.shot("advisor-sees-the-decision")
