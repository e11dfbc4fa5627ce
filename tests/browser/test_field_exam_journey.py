"""A field exam in the browser at phone width (375 px): the controller plans an exam, draws the
two largest lines, photographs and counts them on site and submits; the advisor accepts it, and
the facility's next valuation takes the measured variance.

Hand-worked on the journeys' stock file (tests/browser/helpers.py): the two largest lines are
C003 (20 × 2 000,00 = 40 000,00) and B002 (40 × 150,00 = 6 000,00), sampled value 46 000,00.
19 pumps counted: 38 000,00, variance −2 000,00; 40 sub-assemblies counted: no variance.
Gross 2 000,00 ÷ 46 000,00 = 4,3478…% → rounded up 4.348 %."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from borrowers.models import ControlFirm, Role, User
from facilities.models import ControllerAssignment
from tests.browser.helpers import AS_OF, PASSWORD, STOCK_CSV, Dossier
from tests.field_exams.helpers import image_bytes
from valuation.models import ExamStatus, FieldExam, RunStatus, ValuationRun
from valuation.pipeline import services as uploads

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _fits_the_phone(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_controller_counts_on_a_phone_and_the_variance_feeds_the_next_valuation(journey, tmp_path):
    dossier = Dossier()
    dossier.facility.method = "criteria"
    dossier.facility.save()
    uploads.create_upload(
        client=dossier.client,
        by=dossier.client_user,
        file=SimpleUploadedFile("stock.csv", STOCK_CSV, content_type="text/csv"),
        as_of=AS_OF,
    )
    first = ValuationRun.objects.get(facility=dossier.facility)
    assert first.status == RunStatus.DONE, first.failure_reason
    control_firm = ControlFirm.objects.create(firm=dossier.firm, name="Contrôle Rhône")
    controller = User.objects.create_user(
        "paul@controle-rhone.test", PASSWORD, role=Role.CONTROLLER, firm=dossier.firm, control_firm=control_firm
    )
    ControllerAssignment.objects.create(facility=dossier.facility, user=controller, assigned_by=dossier.advisor)

    phone = journey("field-exam-controller")
    phone.page.set_viewport_size(PHONE)
    phone.context.grant_permissions(["geolocation"], origin=phone.base)
    phone.context.set_geolocation({"latitude": 45.764043, "longitude": 4.835659})
    phone.log_in(controller.email, PASSWORD)
    page = phone.page
    assert page.url.endswith("/field-exams/")
    phone.shot("exams")
    page.get_by_role("link", name="Plan an exam").click()
    page.get_by_label("The N largest values").check()
    page.get_by_label("number of lines").fill("2")
    assert _fits_the_phone(page)
    phone.shot("plan")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator("#exam-status")).to_have_text("Counting")
    exam = FieldExam.objects.get(facility=dossier.facility)
    assert list(exam.lines.order_by("position").values_list("sku", flat=True)) == ["C003", "B002"]

    page.get_by_role("link", name="Count line by line").click()
    expect(page.locator("h1")).to_have_text("C003")
    assert _fits_the_phone(page)
    page.locator("summary", has_text="Add a photo").click()
    expect(page.locator("input[name=latitude]")).to_have_value("45.764043")
    photo = tmp_path / "pumps.png"
    photo.write_bytes(image_bytes())
    page.locator("input[name=image]").set_input_files(str(photo))
    page.get_by_role("button", name="Upload the photo").click()
    expect(page.locator(".messages")).to_contain_text("Photo saved.")
    page.locator("input[name=counted_quantity]").fill("19")
    phone.shot("count-first-line")
    page.get_by_role("button", name="Save and next line").click()
    expect(page.locator("h1")).to_have_text("B002")
    page.locator("input[name=counted_quantity]").fill("40")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Every line of the sample has a count")
    assert _fits_the_phone(page)
    page.get_by_role("button", name="Submit the counts").click()
    expect(page.locator("#variance-pct")).to_have_text("4.348%")
    phone.shot("submitted")
    stored = exam.lines.get(sku="C003").photos.get()
    assert (str(stored.latitude), str(stored.longitude)) == ("45.764043", "4.835659")

    desk = journey("field-exam-advisor")
    desk.log_in(dossier.advisor.email, PASSWORD)
    desk.goto(f"/field-exams/{exam.pk}/")
    desk.page.get_by_role("button", name="Accept: use this variance").click()
    expect(desk.page.locator("#exam-status")).to_have_text("Accepted")
    desk.shot("accepted")
    exam.refresh_from_db()
    assert exam.status == ExamStatus.ACCEPTED
    latest = ValuationRun.objects.filter(facility=dossier.facility).exclude(pk=first.pk).get()
    assert latest.status == RunStatus.DONE, latest.failure_reason
    criteria = latest.terms["criteria"]
    assert criteria["count_variance_pct"] == "4.348"
    assert criteria["count_variance_source"].startswith(f"field exam FE-{exam.pk} of {exam.counted_on:%Y-%m-%d}")
