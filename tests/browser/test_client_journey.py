"""The client user's job in the browser: upload the stock file, follow its processing (the page
polls while a worker has it), read the result; and a file with a broken row names the row and the
field. In English and in French (the user's language), with figures as each language writes them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from config.celery_app import app
from tests.browser.helpers import (
    AS_OF,
    BROKEN_CSV,
    FIGURES,
    PASSWORD,
    STOCK_CSV,
    Dossier,
    field,
    plain,
    tr,
    wait_until_processed,
    write,
)
from valuation.models import StockUpload, UploadStatus
from valuation.pipeline import tasks

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "fr": "fr-FR"}


@pytest.fixture
def no_worker_yet():  # type: ignore[no-untyped-def]
    """Tasks go to the (in-memory) queue instead of running in-process; the test then plays the
    worker by calling `run_queued`."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False

    def run_queued(upload_id: int) -> None:
        app.conf.task_always_eager = True
        tasks.process_upload.apply(args=[upload_id])

    yield run_queued
    app.conf.task_always_eager = eager


@pytest.mark.parametrize("language", ["en", "fr"])
def test_client_uploads_and_follows_the_file_to_its_figures(journey, language, tmp_path, no_worker_yet):
    dossier = Dossier(client_language=language)
    figures = FIGURES[language]
    one = journey(f"client-{language}", locale=LOCALES[language])
    page = one.page
    one.log_in(dossier.client_user.email, PASSWORD)
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", level=1)).to_have_text("Lumen Trading SARL")
    one.shot("my-company")

    # No worker has picked the file up yet, so the page shows its progress; then a worker
    # processes it and the polling page shows the result by itself.
    page.get_by_role("link", name=tr(language, "Upload a stock file")).first.click()
    field(page, tr(language, "Stock file")).set_input_files(write(tmp_path, "etat-stock.csv", STOCK_CSV))
    field(page, tr(language, "Stock date")).fill(AS_OF.isoformat())
    one.shot("upload-form")
    page.get_by_role("button", name=tr(language, "Upload"), exact=True).click()
    page.wait_for_url(re.compile(r"/uploads/\d+/$"))
    progress = page.locator("#upload-status progress")
    expect(progress).to_be_visible()
    waiting = plain(page.locator("#upload-status").inner_text())
    assert tr(language, "waiting for a worker") in waiting, waiting
    one.shot("queued")

    upload = StockUpload.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert upload.status == UploadStatus.QUEUED
    no_worker_yet(upload.pk)  # a worker takes the file
    status = wait_until_processed(page)
    expect(progress).to_have_count(0)
    assert {"en": "4 lines accepted", "fr": "4 lignes acceptées"}[language] in status, status
    assert tr(language, "Resulting figures") in status
    row = plain(page.get_by_role("row").filter(has_text="Gage sur stocks 2026").inner_text())
    for key in ("book", "eligible", "financing"):
        assert figures[key] in row, (key, row)
    one.shot("accepted")

    # The valuation behind the row, then the summary of the dossier on the company page.
    page.get_by_role("link", name="Gage sur stocks 2026").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run_page = plain(page.locator("main").inner_text())
    assert figures["book"] in run_page and figures["financing"] in run_page, run_page
    one.shot("valuation")
    page.get_by_role("navigation").get_by_role("link", name=tr(language, "My company")).click()
    summary = plain(page.locator("section.summary").inner_text())
    assert tr(language, "Your dossier") in summary
    assert figures["eligible"] in summary and figures["financing"] in summary, summary
    one.shot("dossier-summary")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_broken_row_is_shown_with_its_row_and_field(journey, language, tmp_path):
    dossier = Dossier(client_language=language)
    one = journey(f"client-broken-{language}", locale=LOCALES[language])
    page = one.page
    one.log_in(dossier.client_user.email, PASSWORD)
    page.get_by_role("link", name=tr(language, "Upload a stock file")).first.click()
    field(page, tr(language, "Stock file")).set_input_files(write(tmp_path, "etat-stock-casse.csv", BROKEN_CSV))
    field(page, tr(language, "Stock date")).fill(AS_OF.isoformat())
    page.get_by_role("button", name=tr(language, "Upload"), exact=True).click()
    page.wait_for_url(re.compile(r"/uploads/\d+/$"))
    wait_until_processed(page)
    expect(page.get_by_role("heading", name=tr(language, "Validation report"))).to_be_visible()
    # Row 3 of the file, its "Qté" column, the value found.
    problem = page.locator("table.validation tbody tr").filter(has_text="quarante")
    expect(problem).to_have_count(1)
    cells = [plain(text) for text in problem.locator("td").all_inner_texts()]
    assert cells[1:4] == ["3", "Qté", "quarante"], cells
    headings = [plain(text) for text in page.locator("table.validation thead th").all_inner_texts()]
    assert headings[1:4] == [tr(language, "Row"), tr(language, "Column"), tr(language, "Value")], headings
    assert StockUpload.objects.get().status == UploadStatus.REJECTED
    one.shot("rejected")


def test_the_plain_upload_form_works_without_javascript(journey, tmp_path):
    """No drop zone script, no htmx: the form posts as it is and the upload's page shows the result."""
    dossier = Dossier()
    one = journey("client-no-javascript", javascript=False)
    page = one.page
    one.log_in(dossier.client_user.email, PASSWORD)
    page.get_by_role("link", name="Upload a stock file").first.click()
    field(page, "Stock file").set_input_files(write(tmp_path, "etat-stock.csv", STOCK_CSV))
    field(page, "Stock date").fill(AS_OF.isoformat())
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/uploads/\d+/$"))
    status = plain(page.locator("#upload-status").inner_text())
    assert "4 lines accepted" in status, status
    row = plain(page.get_by_role("row").filter(has_text="Gage sur stocks 2026").inner_text())
    assert FIGURES["en"]["financing"] in row, row
    one.shot("accepted-without-javascript")
