"""The demo data of `make run` (`manage.py seed_demo`) lets each role do its job in the browser, in
each of the three languages: the advisor reads the demo dossier, the client user certifies the
borrowing base certificate waiting for it, the bank user opens the shared financing report and
approves it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from borrowers.models import Role, User
from facilities.models import Facility
from reports.management.commands.seed_demo import BORROWING_BASE_FACILITY, DEMO_PASSWORD, LOGINS, PLEDGE_FACILITY
from reports.models import Certification, ReportDecision, ReportKind, ReportVersion
from tests.browser.helpers import field, plain, tr

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "fr": "fr-FR", "zh-hans": "zh-CN"}


@pytest.mark.parametrize("language", ["en", "fr", "zh-hans"])
def test_each_demo_login_does_its_job(journey, language):
    call_command("seed_demo", stdout=io.StringIO())
    User.objects.filter(email__in=LOGINS.values()).update(language=language)
    financing_report = ReportVersion.objects.get(kind=ReportKind.FINANCING_REPORT)
    certificate = ReportVersion.objects.get(kind=ReportKind.BORROWING_BASE_CERTIFICATE)

    # The advisor: the dashboard, the client, the dossier with its figures and chart.
    advisor = journey(f"demo-{language}-advisor", locale=LOCALES[language])
    page = advisor.page
    advisor.log_in(LOGINS[Role.ADVISOR], DEMO_PASSWORD)
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(language, "Dashboard"))
    advisor.shot("dashboard")
    page.get_by_role("link", name="Atelier Lumière SAS").first.click()
    # The facility's dossier (the client page also links each facility's reporting calendar).
    dossier_url = Facility.objects.get(name=PLEDGE_FACILITY).get_absolute_url()
    page.locator(f'a[href="{dossier_url}"]', has_text=PLEDGE_FACILITY).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PLEDGE_FACILITY)
    kpis = plain(page.locator("dl.kpis").text_content() or "")
    assert tr(language, "Book value") in kpis and tr(language, "Financing") in kpis, kpis
    expect(page.locator("svg.waterfall")).to_be_visible()
    advisor.shot("dossier")

    # The client user: the summary of the dossier, then the certificate to certify.
    client = journey(f"demo-{language}-client", locale=LOCALES[language])
    page = client.page
    client.log_in(LOGINS[Role.CLIENT], DEMO_PASSWORD)
    expect(page.get_by_role("heading", name=tr(language, "Your dossier"))).to_be_visible()
    client.shot("my-company")
    page.get_by_role("link", name=re.compile(re.escape(certificate.title))).first.click()
    page.wait_for_url(re.compile(rf"/reports/{certificate.pk}/$"))
    page.get_by_role("link", name=tr(language, "Certify this certificate")).click()
    field(page, tr(language, "Signatory name")).fill("Marc Lumière")
    field(page, tr(language, "Title")).fill("CFO")
    field(page, tr(language, "I am authorised to sign for the borrower and certify the above.")).check()
    client.shot("certify")
    page.get_by_role("button", name=tr(language, "Save")).click()
    page.wait_for_url(re.compile(rf"/reports/{certificate.pk}/$"))
    expect(page.get_by_text("Marc Lumière", exact=True)).to_be_visible()
    client.shot("certified")
    assert Certification.objects.get(report=certificate).signatory_name == "Marc Lumière"
    assert certificate.facility.name == BORROWING_BASE_FACILITY

    # The bank user: the shared financing report, its figures, an approval.
    bank = journey(f"demo-{language}-bank", locale=LOCALES[language])
    page = bank.page
    bank.log_in(LOGINS[Role.BANK], DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(language, "Reports"))
    page.get_by_role("link", name=re.compile(re.escape(financing_report.title))).click()
    page.wait_for_url(re.compile(rf"/reports/{financing_report.pk}/$"))
    kpis = plain(page.locator(".kpis").text_content() or "")
    assert tr(language, "Eligible stock") in kpis, kpis
    expect(page.get_by_role("link", name=tr(language, "Download the PDF"))).to_be_visible()
    decisions = page.locator("section", has=page.get_by_role("heading", name=tr(language, "Decisions"), exact=True))
    field(decisions, tr(language, "Decision")).select_option(label=tr(language, "Approve"))
    decisions.get_by_role("button", name=tr(language, "Record the decision")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(language, "Confirm the decision"))
    assert not ReportDecision.objects.filter(report=financing_report).exists()  # nothing recorded yet
    page.locator("form.actions button.primary").click()
    page.wait_for_url(re.compile(rf"/reports/{financing_report.pk}/$"))
    expect(page.get_by_text(tr(language, "Decision recorded."))).to_be_visible()
    bank.shot("approved")
    assert ReportDecision.objects.get(report=financing_report).decision == "approve"
