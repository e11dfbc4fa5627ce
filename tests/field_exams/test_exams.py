"""Field exams end to end on the world's facility: the controller role and its invitation, the
sample, the counts, the variance into the valuation, findings and photos."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from borrowers import services as borrower_services
from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent, ControlFirm, Invitation, Notification, Role, User
from facilities.models import ControllerAssignment
from facilities.terms import engine_terms_dict
from tests.conftest import PASSWORD, World
from tests.field_exams.helpers import add_lines, image_bytes
from valuation.field_exams import services
from valuation.field_exams.services import SampleRequest
from valuation.models import ExamStatus, FieldExamPhoto, RunStatus, ValuationRun

D = Decimal

# The world's stock file, worked by hand: total 1,000.00.
#   row 1  A  100 units at 5.00  = 500.00
#   row 2  B   30 units, no cost = 300.00 (10.00 each)
#   row 3  C   15 units at 10.00 = 150.00
#   row 4  D   50 units at 1.00  =  50.00
LINES = [
    (1, "A", "100", "500.00", "5"),
    (2, "B", "30", "300.00", None),
    (3, "C", "15", "150.00", "10"),
    (4, "D", "50", "50.00", "1"),
]


@pytest.fixture
def stock(world: World) -> World:
    add_lines(world, LINES)
    return world


def _plan(w: World, **sample) -> services.FieldExam:
    return services.plan_exam(
        facility=w.facility_x, by=w.controller, counted_on=w.upload_x.as_of, sample=SampleRequest(**sample)
    )


# ----------------------------------------------------------------------------- role and access


def test_a_controller_belongs_to_a_firm_and_to_no_client_or_lender(world: World):
    """The database refuses a controller tied to a client company (user_role_matches_party)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="bad@ctrl.test", role=Role.CONTROLLER, firm=world.firm_a, client=world.client_x)
    assert world.controller.is_controller and not world.controller.is_advisor
    assert world.controller_unassigned.control_firm is None  # the firm's own staff


def test_an_advisor_invites_a_controller_to_chosen_facilities(world: World):
    """The invitation names the facilities and a new control firm; accepting it makes a
    controller of that firm, assigned to those facilities only."""
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(
        reverse("borrowers:invitation-list"),
        {
            "email": "new-counter@audit.test",
            "role": "controller",
            "new_control_firm": "Audit Stock",
            "facilities": [world.facility_x.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Invitation.objects.get(email="new-counter@audit.test")
    assert list(invitation.facilities.all()) == [world.facility_x]
    user = borrower_services.accept_invitation(
        invitation=invitation, first_name="Ana", last_name="Count", password=PASSWORD
    )
    assert user.role == Role.CONTROLLER and user.firm_id == world.firm_a.pk
    assert user.control_firm == ControlFirm.objects.get(firm=world.firm_a, name="Audit Stock")
    assert list(ControllerAssignment.objects.filter(user=user).values_list("facility_id", flat=True)) == [
        world.facility_x.pk
    ]


def test_a_controller_invitation_needs_facilities(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(reverse("borrowers:invitation-list"), {"email": "x@audit.test", "role": "controller"})
    assert response.status_code == 200
    assert "Choose the facilities this stock controller is assigned to." in response.content.decode()
    assert not Invitation.objects.filter(email="x@audit.test").exists()


def test_a_controller_lands_on_its_field_exams(world: World):
    client = Client()
    client.force_login(world.controller)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("valuation:exam-list")
    page = client.get(reverse("valuation:exam-list")).content.decode()
    assert reverse("valuation:exam-plan", args=[world.facility_x.pk]) in page


def test_an_unassigned_controller_cannot_plan(stock: World):
    with pytest.raises(DomainError):
        services.plan_exam(
            facility=stock.facility_x,
            by=stock.controller_unassigned,
            counted_on=stock.upload_x.as_of,
            sample=SampleRequest(method="top_n", top_n=2),
        )


# ----------------------------------------------------------------------------------- sampling


def test_value_sample_snapshots_the_largest_lines(stock: World):
    """70 % of 1,000 is reached by A (500) + B (300)."""
    exam = _plan(stock, method="value_coverage", coverage_pct=D("70"))
    lines = list(exam.lines.order_by("position"))
    assert [(line.row, line.sku, line.recorded_value) for line in lines] == [
        (1, "A", D("500.00")),
        (2, "B", D("300.00")),
    ]
    assert exam.upload_id == stock.upload_x.pk and exam.run_id == stock.run_x.pk
    assert AuditEvent.objects.filter(action="plan-field-exam", object_id=str(exam.pk)).exists()


def test_random_sample_stores_its_seed_and_draws_the_same_lines_again(stock: World):
    first = _plan(stock, method="random", size=2)
    assert first.seed is not None
    again = _plan(stock, method="random", size=2, seed=first.seed)
    assert list(first.lines.values_list("row", flat=True)) == list(again.lines.values_list("row", flat=True))


def test_chosen_lines_by_sku_and_an_unknown_sku_is_named(stock: World):
    exam = _plan(stock, method="chosen", skus=("D", "C"))
    assert list(exam.lines.order_by("position").values_list("sku", flat=True)) == ["D", "C"]
    with pytest.raises(DomainError, match="ZZZ") as caught:
        _plan(stock, method="chosen", skus=("A", "ZZZ"))
    assert caught.value.field == "skus"


def test_plan_page_shows_a_bad_setting_next_to_its_field(stock: World):
    client = Client()
    client.force_login(stock.controller)
    url = reverse("valuation:exam-plan", args=[stock.facility_x.pk])
    response = client.post(url, {"counted_on": "2026-11-20", "method": "value_coverage", "coverage_pct": "150"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100" in response.content.decode()


# ------------------------------------------------------------------- counts, variance, valuation


def _count_all(w: World, exam, counts: dict[str, str]) -> None:
    for line in exam.lines.all():
        services.record_count(line=line, by=w.controller, counted_quantity=D(counts[line.sku]))


def test_submitted_counts_give_the_gross_variance(stock: World):
    """A: 98 counted × 5.00 = 490.00 (−10); B: 31 × 10.00 = 310.00 (+10): gross 20 of 800 = 2.5 %."""
    exam = _plan(stock, method="value_coverage", coverage_pct=D("70"))
    _count_all(stock, exam, {"A": "98", "B": "31"})
    exam = services.submit_exam(exam=exam, by=stock.controller)
    assert exam.status == ExamStatus.SUBMITTED
    assert (exam.sampled_value, exam.counted_value, exam.gross_variance) == (D("800.00"), D("800.00"), D("20.00"))
    assert exam.variance_pct == D("2.500")


def test_an_exam_with_uncounted_lines_cannot_be_submitted(stock: World):
    exam = _plan(stock, method="top_n", top_n=2)
    services.record_count(line=exam.lines.first(), by=stock.controller, counted_quantity=D("1"))
    with pytest.raises(DomainError, match="1 sampled lines"):
        services.submit_exam(exam=exam, by=stock.controller)


def test_accepted_variance_replaces_the_typed_one_in_the_next_valuation(stock: World):
    """The facility typed 3 %; the exam measured 2.5 %: accepted, the terms read 2.5 % and name the
    exam and its date, and a valuation under them is queued (traceable in its stored terms)."""
    facility = stock.facility_x
    facility.criteria_settings = {**(facility.criteria_settings or {}), "count_variance_pct": "3"}
    facility.save()
    exam = _plan(stock, method="value_coverage", coverage_pct=D("70"))
    _count_all(stock, exam, {"A": "98", "B": "31"})
    services.submit_exam(exam=exam, by=stock.controller)
    with pytest.raises(DomainError):
        services.accept_exam(exam=exam, by=stock.controller)  # a controller never decides
    services.accept_exam(exam=exam, by=stock.advisor_a, note="Counted with the warehouse manager")
    facility.refresh_from_db()
    assert facility.exam_count_variance_pct == D("2.500")
    assert facility.exam_counted_on == stock.upload_x.as_of
    criteria = engine_terms_dict(facility, as_of=stock.upload_x.as_of)["criteria"]
    assert criteria["count_variance_pct"] == "2.5"
    assert criteria["count_variance_source"] == f"field exam FE-{exam.pk} of 2026-10-31; typed figure 3 %"
    queued = ValuationRun.objects.filter(facility=facility).exclude(pk=stock.run_x.pk).get()
    assert queued.status == RunStatus.QUEUED
    assert AuditEvent.objects.filter(action="apply-field-exam", object_id=str(facility.pk)).exists()
    assert AuditEvent.objects.filter(action="accept-field-exam", object_id=str(exam.pk)).exists()
    # The advisors were told of the submission, the controller of the decision.
    assert Notification.objects.filter(user=stock.advisor_a, kind="field_exam_submitted").count() == 1
    assert not Notification.objects.filter(user=stock.advisor_b, kind="field_exam_submitted").exists()
    assert Notification.objects.get(user=stock.controller, kind="field_exam_decided").url == reverse(
        "valuation:exam-detail", args=[exam.pk]
    )


def test_the_record_accuracy_discount_names_the_exam():
    """The engine's basis shows the measured figure's source (valuation.engine.criteria)."""
    from valuation.engine.criteria import Discount, _portfolio
    from valuation.engine.terms import CriteriaTerms

    criteria = CriteriaTerms(count_variance_pct=D("2.5"), count_variance_source="field exam FE-7 of 2026-10-31")
    outcome = _portfolio(Discount.RECORD_ACCURACY, criteria, 400_000_000)  # 4,000,000.00 in cents
    assert outcome.applied == 10_000_000  # 2.5 % of 4,000,000.00 = 100,000.00
    assert "(field exam FE-7 of 2026-10-31)" in outcome.basis


def test_without_an_accepted_exam_the_terms_are_unchanged(stock: World):
    before = engine_terms_dict(stock.facility_x)
    exam = _plan(stock, method="top_n", top_n=1)
    _count_all(stock, exam, {"A": "90"})
    services.submit_exam(exam=exam, by=stock.controller)
    services.reject_exam(exam=exam, by=stock.advisor_a, note="Wrong warehouse counted")
    assert engine_terms_dict(stock.facility_x) == before
    assert "count_variance_source" not in before["criteria"]


# ----------------------------------------------------------------------------------- findings


def test_findings_accepted_as_a_reserve_reach_a_borrowing_base(stock: World):
    facility = stock.facility_x
    facility.structure = "borrowing_base"
    facility.save()
    exam = _plan(stock, method="top_n", top_n=1)
    line = exam.lines.get()
    services.record_count(line=line, by=stock.controller, counted_quantity=D("100"))
    damaged = services.add_finding(line=line, by=stock.controller, kind="damaged", amount=D("120.00"), note="wet")
    other = services.add_finding(line=line, by=stock.controller, kind="not_owned", amount=D("40.00"))
    services.submit_exam(exam=exam, by=stock.controller)
    services.decide_finding(finding=damaged, by=stock.advisor_a, decision="reserve")
    services.decide_finding(finding=other, by=stock.advisor_a, decision="rejected")
    services.accept_exam(exam=exam, by=stock.advisor_a)
    facility.refresh_from_db()
    assert facility.exam_findings_reserve == D("120.00")
    reserves = engine_terms_dict(facility)["borrowing_base"]["reserves"]
    assert {"kind": "other", "amount": "120", "reason": f"field exam FE-{exam.pk} findings"} in reserves
    decided = AuditEvent.objects.filter(action="decide-field-exam-finding", object_id=str(exam.pk))
    assert decided.count() == 2


# ------------------------------------------------------------------------------------- photos


def test_a_png_photo_is_stored_with_its_position(stock: World):
    exam = _plan(stock, method="top_n", top_n=1)
    line = exam.lines.get()
    photo = services.add_photo(
        line=line,
        by=stock.controller,
        image=SimpleUploadedFile("x.bin", image_bytes("PNG")),
        latitude=D("45.764043"),
        longitude=D("4.835659"),
    )
    assert photo.content_type == "image/png" and photo.latitude == D("45.764043")
    assert photo.image.read().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "content",
    [b"GIF89a" + b"\x00" * 20, b"not an image at all", image_bytes("GIF")],
    ids=["gif-header", "text", "real-gif"],
)
def test_photos_are_checked_by_content(stock: World, content: bytes):
    exam = _plan(stock, method="top_n", top_n=1)
    with pytest.raises(DomainError, match="JPEG or PNG") as caught:
        services.add_photo(line=exam.lines.get(), by=stock.controller, image=SimpleUploadedFile("a.png", content))
    assert caught.value.field == "image"
    assert not FieldExamPhoto.objects.exists()


def test_photos_above_the_size_cap_are_refused(stock: World, settings):
    settings.FIELD_EXAM_PHOTO_MAX_BYTES = 100
    exam = _plan(stock, method="top_n", top_n=1)
    big = image_bytes("JPEG", (64, 64))
    assert len(big) > 100
    with pytest.raises(DomainError, match="larger"):
        services.add_photo(line=exam.lines.get(), by=stock.controller, image=SimpleUploadedFile("a.jpg", big))


# --------------------------------------------------------------------------------- the pages


def test_the_count_page_counts_one_line_then_moves_to_the_next(stock: World):
    exam = _plan(stock, method="top_n", top_n=2)
    first, second = exam.lines.order_by("position")
    client = Client()
    client.force_login(stock.controller)
    url = reverse("valuation:exam-count", args=[exam.pk, first.pk])
    page = client.get(url).content.decode()
    assert 'inputmode="decimal"' in page and 'name="counted_quantity"' in page
    response = client.post(url, {"what": "count", "counted_quantity": "98", "note": ""})
    assert response["Location"] == reverse("valuation:exam-count", args=[exam.pk, second.pk])
    first.refresh_from_db()
    assert first.counted_quantity == D("98")
    bad = client.post(url, {"what": "count", "counted_quantity": "-1"})
    assert bad.status_code == 200 and "greater than or equal to 0" in bad.content.decode()


def test_the_count_page_uploads_a_photo(stock: World):
    exam = _plan(stock, method="top_n", top_n=1)
    line = exam.lines.get()
    client = Client()
    client.force_login(stock.controller)
    url = reverse("valuation:exam-count", args=[exam.pk, line.pk])
    response = client.post(
        url,
        {
            "what": "photo",
            "image": SimpleUploadedFile("p.jpg", image_bytes("JPEG")),
            "latitude": "45.1",
            "longitude": "4.2",
        },
    )
    assert response.status_code == 302
    photo = line.photos.get()
    assert client.get(reverse("valuation:exam-photo", args=[photo.pk]))["Content-Type"] == "image/jpeg"
    other = Client()
    other.force_login(stock.controller_unassigned)
    assert other.get(reverse("valuation:exam-photo", args=[photo.pk])).status_code == 404


def test_the_other_controller_cannot_count(stock: World):
    exam = _plan(stock, method="top_n", top_n=1)
    line = exam.lines.get()
    client = Client()
    client.force_login(stock.controller_unassigned)
    url = reverse("valuation:exam-count", args=[exam.pk, line.pk])
    assert client.post(url, {"what": "count", "counted_quantity": "1"}).status_code == 404


def test_the_discount_basis_naming_the_exam_reads_in_french():
    from django.utils import translation

    from valuation.workspace.problem_labels import rule_note_text

    basis = "count variance 2.5 % × total stock 4,000,000.00 (field exam FE-7 of 2026-10-31; typed figure 3 %)"
    with translation.override("fr"):
        text = rule_note_text(basis, currency="EUR")
    assert "FE-7" in text and "2026-10-31" in text
    assert "2,5" in text and "4 000 000,00" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_the_cameras_date_is_kept_when_the_exif_gives_one(stock: World):
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[306] = "2026:11:20 10:30:00"  # DateTime
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="JPEG", exif=exif)
    exam = _plan(stock, method="top_n", top_n=1)
    photo = services.add_photo(
        line=exam.lines.get(), by=stock.controller, image=SimpleUploadedFile("c.jpg", buffer.getvalue())
    )
    from django.utils import timezone

    local = timezone.localtime(photo.exif_taken_at)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-11-20", 10, 30)
    assert photo.latitude is None


def test_a_controller_sees_only_its_own_exams(stock: World):
    """Another controller assigned to the same facility sees its own exams, not this one."""
    from borrowers.common import access
    from facilities.models import ControllerAssignment
    from valuation.models import FieldExam

    exam = _plan(stock, method="top_n", top_n=1)
    colleague = User.objects.create_user("colleague@controle.test", PASSWORD, role=Role.CONTROLLER, firm=stock.firm_a)
    ControllerAssignment.objects.create(facility=stock.facility_x, user=colleague)
    assert not access.scope(FieldExam.objects.all(), colleague).exists()
    assert list(access.scope(FieldExam.objects.all(), stock.controller)) == [exam]
    ControllerAssignment.objects.filter(user=stock.controller).delete()
    assert not access.scope(FieldExam.objects.all(), stock.controller).exists()


def test_an_advisor_assigns_and_withdraws_an_existing_controller(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    url = reverse("facilities:facility-controllers", args=[world.facility_x.pk])
    assert client.post(url, {"user": world.controller_unassigned.pk}).status_code == 302
    assignment = ControllerAssignment.objects.get(facility=world.facility_x, user=world.controller_unassigned)
    assert AuditEvent.objects.filter(action="assign-controller", object_id=str(world.facility_x.pk)).exists()
    # Only controllers of the firm can be chosen: a client user is refused by the form.
    refused = client.post(url, {"user": world.client_user_x.pk})
    assert refused.status_code == 200 and not ControllerAssignment.objects.filter(user=world.client_user_x).exists()
    withdraw = reverse("facilities:controller-withdraw", args=[assignment.pk])
    other = Client()
    other.force_login(world.advisor_b)
    assert other.post(withdraw).status_code == 404
    assert client.post(withdraw).status_code == 302
    assert not ControllerAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="withdraw-controller", object_id=str(world.facility_x.pk)).exists()


def test_a_decompression_bomb_is_refused_not_a_500(stock: World, monkeypatch):
    """An image whose pixel count is far above Pillow's limit is refused with the field's message."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 64 × 64 = 4,096 pixels: > 2 × 10, a "bomb"
    exam = _plan(stock, method="top_n", top_n=1)
    with pytest.raises(DomainError, match="JPEG or PNG"):
        services.add_photo(
            line=exam.lines.get(), by=stock.controller, image=SimpleUploadedFile("b.png", image_bytes("PNG", (64, 64)))
        )


def test_a_sample_mixing_currencies_is_refused(stock: World):
    from valuation.models import StockLine

    StockLine.objects.filter(upload=stock.upload_x, row=2).update(currency="USD")
    with pytest.raises(DomainError, match="EUR, USD"):
        _plan(stock, method="top_n", top_n=2)
    exam = _plan(stock, method="chosen", skus=("A", "C"))
    assert exam.currency == "EUR"
