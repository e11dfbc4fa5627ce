"""Field-exam workflows: plan and sample, count, find, photograph, submit, decide.

The computation is ``valuation.engine.field_exam``'s; these functions read and write the database,
check who may act (``borrowers.common.access`` decides what a user reaches, these the state of the
exam), audit every decision and, once an advisor accepts an exam, feed its variance (and the
reserves accepted from its findings) into the facility's terms and queue a new valuation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowers.common import access, audit, notify
from borrowers.common.errors import DomainError
from borrowers.models import NotificationKind, User
from facilities.models import Facility
from valuation.engine import field_exam as engine
from valuation.models import (
    ExamStatus,
    FieldExam,
    FieldExamFinding,
    FieldExamLine,
    FieldExamPhoto,
    FindingDecision,
    SampleMethod,
    StockLine,
)
from valuation.pipeline.services import current_run, recompute_latest

# The largest sample an exam may hold: a controller counts lines by hand.
MAX_SAMPLE_LINES = 500
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def photo_max_bytes() -> int:
    return int(getattr(settings, "FIELD_EXAM_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class SampleRequest:
    """How to draw the sample (valuation.engine.field_exam): one of the four methods and its setting."""

    method: str
    coverage_pct: Decimal | None = None
    top_n: int | None = None
    size: int | None = None
    seed: int | None = None
    rows: tuple[int, ...] = ()
    skus: tuple[str, ...] = ()


def _check_controller(facility: Facility, by: User) -> None:
    if not access.facilities_assigned_to(by).filter(pk=facility.pk).exists():
        raise DomainError(_("Only a controller assigned to this facility can plan its field exams."))


def _draw(recorded: list[engine.RecordedLine], sample: SampleRequest) -> tuple[int, ...]:
    try:
        if sample.method == SampleMethod.VALUE_COVERAGE:
            return engine.sample_by_value(recorded, coverage_pct=sample.coverage_pct)
        if sample.method == SampleMethod.TOP_N:
            return engine.sample_by_value(recorded, top_n=sample.top_n)
        if sample.method == SampleMethod.RANDOM:
            assert sample.seed is not None
            return engine.sample_random(recorded, size=sample.size or 0, seed=sample.seed)
        if sample.method == SampleMethod.CHOSEN:
            return engine.sample_chosen(recorded, rows=sample.rows)
    except engine.SampleError as error:
        raise DomainError(error.message, field=error.setting) from error
    raise DomainError(_("Choose how to draw the sample."), field="method")


def _rows_of(lines: Any, skus: tuple[str, ...]) -> list[int]:
    """The rows of the named SKUs (every line of each, in file order); an unknown SKU is refused."""
    wanted = [sku.strip() for sku in skus if sku.strip()]
    found = dict(lines.filter(sku__in=wanted).order_by("row").values_list("row", "sku"))
    unknown = sorted(set(wanted) - set(found.values()))
    if unknown:
        raise DomainError(
            _("Not in the stock file: %(skus)s.") % {"skus": ", ".join(unknown)},
            field="skus",
        )
    return [row for sku in wanted for row, line_sku in found.items() if line_sku == sku]


@transaction.atomic
def plan_exam(*, facility: Facility, by: User, counted_on: date, sample: SampleRequest) -> FieldExam:
    """Plan an exam on the facility's current valuation (its latest accepted stock file) and draw
    its sample; a random sample's seed is stored (drawn here when none is given), so the same
    sample can be drawn again from the same file."""
    _check_controller(facility, by)
    run = current_run(facility)
    if run is None:
        raise DomainError(_("This facility has no valued stock file yet: there is nothing to sample."))
    if sample.method == SampleMethod.RANDOM and sample.seed is None:
        sample = SampleRequest(method=sample.method, size=sample.size, seed=secrets.randbelow(2**53))
    lines = StockLine.objects.filter(upload_id=run.upload_id)
    recorded = [engine.RecordedLine(row, value) for row, value in lines.values_list("row", "book_value")]
    if sample.method == SampleMethod.CHOSEN and sample.skus:
        sample = SampleRequest(method=sample.method, rows=(*sample.rows, *_rows_of(lines, sample.skus)))
    rows = _draw(recorded, sample)
    if not rows:
        raise DomainError(_("The sample is empty: the stock file has no line of positive value to draw."))
    if len(rows) > MAX_SAMPLE_LINES:
        raise DomainError(
            _("The sample holds %(n)s lines, more than the %(max)s a controller can count: take a smaller one.")
            % {"n": len(rows), "max": MAX_SAMPLE_LINES},
            field="coverage_pct" if sample.method == SampleMethod.VALUE_COVERAGE else "method",
        )
    # Values are added up across the sample: they must be in one currency (the file's, for lines
    # that name none). A mixed sample is refused rather than summed wrongly.
    by_row = {line.row: line for line in lines.filter(row__in=rows)}
    file_currency = run.upload.file_currency
    currencies = sorted({by_row[row].currency or file_currency for row in rows})
    if len(currencies) > 1:
        raise DomainError(
            _("The sample mixes currencies (%(currencies)s): choose lines of one currency.")
            % {"currencies": ", ".join(currencies)},
            field="method",
        )
    exam = FieldExam.objects.create(
        facility=facility,
        currency=currencies[0],
        upload_id=run.upload_id,
        run=run,
        controller=by,
        counted_on=counted_on,
        method=sample.method,
        coverage_pct=sample.coverage_pct,
        top_n=sample.top_n if sample.method == SampleMethod.TOP_N else sample.size,
        seed=sample.seed,
    )
    FieldExamLine.objects.bulk_create(
        FieldExamLine(
            exam=exam,
            position=position,
            row=row,
            sku=by_row[row].sku,
            description=by_row[row].description,
            warehouse=by_row[row].warehouse,
            unit=by_row[row].unit,
            recorded_quantity=by_row[row].quantity,
            unit_cost=by_row[row].unit_cost,
            recorded_value=by_row[row].book_value,
        )
        for position, row in enumerate(rows, start=1)
    )
    audit.record(actor=by, action="plan-field-exam", instance=exam, after=audit.snapshot(exam))
    return exam


def _counting(exam: FieldExam, by: User) -> None:
    if exam.status != ExamStatus.COUNTING:
        raise DomainError(_("This exam has been submitted: its counts can no longer change."))
    if exam.controller_id != by.pk:
        raise DomainError(_("Only the exam's controller records its counts."))


@transaction.atomic
def record_count(*, line: FieldExamLine, by: User, counted_quantity: Decimal, note: str = "") -> FieldExamLine:
    """The controller's count of one sampled line (a recount replaces it)."""
    _counting(line.exam, by)
    if counted_quantity < 0:
        raise DomainError(_("A count cannot be negative."), field="counted_quantity")
    line.counted_quantity = counted_quantity
    line.counted_at = timezone.now()
    line.note = note.strip()
    line.save(update_fields=["counted_quantity", "counted_at", "note"])
    return line


@transaction.atomic
def add_finding(*, line: FieldExamLine, by: User, kind: str, amount: Decimal, note: str = "") -> FieldExamFinding:
    """Something wrong with a sampled line (damaged, missing, not owned, at an undeclared site)."""
    _counting(line.exam, by)
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    finding = FieldExamFinding.objects.create(line=line, kind=kind, amount=amount, note=note.strip(), created_by=by)
    audit.record(
        actor=by,
        action="add-field-exam-finding",
        instance=line.exam,
        after={"finding": finding.pk, "row": line.row, "kind": kind, "amount": str(amount)},
    )
    return finding


EXIF_DATE_TIME, EXIF_IFD, EXIF_DATE_TIME_ORIGINAL = 306, 0x8769, 36867


def _image_format(upload: UploadedFile) -> tuple[str | None, datetime | None]:
    """JPEG or PNG as read from the content (never the name or the browser's type), else None;
    and the camera's date when the EXIF data gives one (read as local time, as cameras write it)."""
    from PIL import Image, UnidentifiedImageError

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            exif = image.getexif()
            stamp = exif.get_ifd(EXIF_IFD).get(EXIF_DATE_TIME_ORIGINAL) or exif.get(EXIF_DATE_TIME)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        # Not an image, a broken one, or one whose pixel count would exhaust memory when opened.
        return None, None
    finally:
        upload.seek(0)
    if kind not in PHOTO_TYPES:
        return None, None
    taken = None
    if isinstance(stamp, str):
        try:
            taken = timezone.make_aware(datetime.strptime(stamp.strip("\x00 "), "%Y:%m:%d %H:%M:%S"))
        except ValueError:
            taken = None  # a camera's odd date is left out, never a reason to refuse the photo
    return kind, taken


@transaction.atomic
def add_photo(
    *,
    line: FieldExamLine,
    by: User,
    image: UploadedFile,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> FieldExamPhoto:
    """A photo of a sampled line, checked by its content (JPEG or PNG, at most the size cap), with
    the time of the upload and the browser's position when it gave one."""
    _counting(line.exam, by)
    if image.size > photo_max_bytes():
        raise DomainError(
            _("The photo is larger than %(mb)s MB.") % {"mb": photo_max_bytes() // (1024 * 1024)}, field="image"
        )
    kind, camera_time = _image_format(image)
    if kind is None:
        raise DomainError(_("Send a JPEG or PNG photo."), field="image")
    if (latitude is None) != (longitude is None):
        raise DomainError(_("Give both the latitude and the longitude, or neither."), field="latitude")
    photo = FieldExamPhoto(
        line=line,
        content_type=PHOTO_TYPES[kind],
        size=image.size,
        latitude=latitude,
        longitude=longitude,
        exif_taken_at=camera_time,
        uploaded_by=by,
    )
    extension = "jpg" if kind == "JPEG" else "png"
    photo.image.save(f"exam-{line.exam_id}-row-{line.row}.{extension}", image, save=False)
    photo.save()
    return photo


def exam_lines_of(lines: Any) -> list[engine.CountedLine]:
    """The counted lines among ``lines``, as the engine reads them."""
    return [
        engine.CountedLine(line.recorded_quantity, line.recorded_value, line.counted_quantity, line.unit_cost)
        for line in lines
        if line.counted_quantity is not None
    ]


def exam_lines(exam: FieldExam) -> list[engine.CountedLine]:
    return exam_lines_of(exam.lines.all())


def typed_variance(facility: Facility) -> Decimal:
    """The count variance typed in the facility's terms (what an exam's measured figure replaces)."""
    from facilities import terms_settings

    return Decimal(str(terms_settings.clean_criteria(facility.criteria_settings)["count_variance_pct"]))


@transaction.atomic
def submit_exam(*, exam: FieldExam, by: User) -> FieldExam:
    """The controller hands the counts in: every sampled line must be counted; the variance is
    computed (valuation.engine.field_exam.variance) and frozen with the exam."""
    exam = FieldExam.objects.select_for_update().get(pk=exam.pk)
    _counting(exam, by)
    missing = exam.lines.filter(counted_quantity__isnull=True).count()
    if missing:
        raise DomainError(
            _("%(n)s sampled lines are not counted yet: count them (0 when nothing is there).") % {"n": missing}
        )
    outcome = engine.variance(exam_lines(exam))
    exam.sampled_value = outcome.sampled_value
    exam.counted_value = outcome.counted_value
    exam.gross_variance = outcome.gross_variance
    exam.variance_pct = outcome.pct
    exam.status = ExamStatus.SUBMITTED
    exam.submitted_at = timezone.now()
    exam.save()
    audit.record(
        actor=by,
        action="submit-field-exam",
        instance=exam,
        after={"variance_pct": str(outcome.pct), "gross_variance": str(outcome.gross_variance)},
    )
    notify.notify(
        users=notify.firm_advisors(exam.facility.client.firm_id),
        kind=NotificationKind.FIELD_EXAM_SUBMITTED,
        title=_("Field exam %(ref)s submitted for %(facility)s") % {"ref": exam.reference, "facility": exam.facility},
        body=_("Count variance %(pct)s %%: accept or reject it.") % {"pct": outcome.pct},
        url=reverse("valuation:exam-detail", args=[exam.pk]),
        subject_key=f"field-exam:{exam.pk}:submitted",
    )
    return exam


def _tell_controller(exam: FieldExam) -> None:
    notify.notify(
        users=[exam.controller],
        kind=NotificationKind.FIELD_EXAM_DECIDED,
        title=_("Field exam %(ref)s: %(status)s") % {"ref": exam.reference, "status": exam.get_status_display()},
        body=exam.decision_note,
        url=reverse("valuation:exam-detail", args=[exam.pk]),
        subject_key=f"field-exam:{exam.pk}:{exam.status}",
    )


def _decider(exam: FieldExam, by: User) -> None:
    if not (by.is_advisor and exam.facility.client.firm_id == by.firm_id):
        raise DomainError(_("Only the firm's advisors decide on a field exam."))


def applied_exam(facility: Facility) -> FieldExam | None:
    """The exam whose variance feeds the facility's valuations: the latest accepted one (by count
    date, then by acceptance)."""
    return (
        FieldExam.objects.filter(facility=facility, status=ExamStatus.ACCEPTED)
        .order_by("-counted_on", "-decided_at", "-id")
        .first()
    )


def findings_reserve(exam: FieldExam | None) -> Decimal:
    """The findings of the exam the advisor accepted as a reserve, summed."""
    if exam is None:
        return Decimal("0")
    total = FieldExamFinding.objects.filter(line__exam=exam, decision=FindingDecision.RESERVE).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0")


def exclusions_in_force(facility: Facility) -> Any:
    """The findings of the facility's exams that exclude their line now: accepted as a line
    exclusion and not withdrawn, whatever became of the exam afterwards (a rejected count does
    not make stock the funder cannot seize seizable: the exclusion is lifted only by withdrawing
    it). Oldest finding first."""
    return (
        FieldExamFinding.objects.filter(
            line__exam__facility=facility, decision=FindingDecision.EXCLUSION, withdrawn_at__isnull=True
        )
        .select_related("line__exam")
        .order_by("id")
    )


def line_exclusions(facility: Facility) -> list[dict[str, Any]]:
    """The exclusions in force as the terms carry them (valuation.engine.terms.LineExclusion):
    the finding's line by SKU and site (warehouse code, empty when the line had none: then the
    SKU at every site), with the exam, the finding and their dates for the record."""
    return [
        {
            "sku": finding.line.sku.strip(),
            "site": finding.line.warehouse.strip(),
            "finding": finding.pk,
            "exam": finding.line.exam.reference,
            "counted_on": finding.line.exam.counted_on.isoformat(),
            "accepted_on": timezone.localdate(finding.decided_at).isoformat() if finding.decided_at else "",
        }
        for finding in exclusions_in_force(facility)
    ]


def _apply_to_facility(facility: Facility, by: User) -> bool:
    """Write the applied exam's variance and reserve, and the line exclusions in force, onto the
    facility's terms (audited) and queue a valuation when they changed; True when they did."""
    exam = applied_exam(facility)
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    fields = (
        "exam_count_variance_pct",
        "exam_counted_on",
        "exam_reference",
        "exam_findings_reserve",
        "exam_line_exclusions",
    )

    def state() -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(facility, name) for name in fields}
        for name in fields[:-1]:
            values[name] = None if values[name] is None else str(values[name])
        values["exam_line_exclusions"] = list(values["exam_line_exclusions"] or [])
        return values

    before = state()
    facility.exam_count_variance_pct = exam.variance_pct if exam else None
    facility.exam_counted_on = exam.counted_on if exam else None
    facility.exam_reference = exam.reference if exam else ""
    facility.exam_findings_reserve = findings_reserve(exam)
    facility.exam_line_exclusions = line_exclusions(facility)
    after = state()
    if before == after:
        return False
    facility.save(update_fields=[*fields, "updated_at"])
    audit.record(actor=by, action="apply-field-exam", instance=facility, before=before, after=after)
    recompute_latest(facility=facility, by=by)
    return True


@transaction.atomic
def accept_exam(*, exam: FieldExam, by: User, note: str = "") -> FieldExam:
    """The advisor accepts the submitted exam: if it is the facility's latest accepted one, its
    variance becomes the record-accuracy input of the facility's valuations (a new one is queued)."""
    exam = FieldExam.objects.select_for_update().select_related("facility__client").get(pk=exam.pk)
    _decider(exam, by)
    if exam.status != ExamStatus.SUBMITTED:
        raise DomainError(_("Only a submitted exam can be accepted."))
    if exam.variance_pct is None:
        # Fail safe: an exam that measured nothing must not replace the typed figure.
        raise DomainError(_("The sample has no recorded value: its variance measures nothing. Reject it."))
    exam.status = ExamStatus.ACCEPTED
    exam.decided_at = timezone.now()
    exam.decided_by = by
    exam.decision_note = note.strip()
    exam.save()
    audit.record(
        actor=by,
        action="accept-field-exam",
        instance=exam,
        before={"status": ExamStatus.SUBMITTED},
        after={"status": exam.status, "variance_pct": str(exam.variance_pct), "note": exam.decision_note},
    )
    _apply_to_facility(exam.facility, by)
    _tell_controller(exam)
    return exam


@transaction.atomic
def reject_exam(*, exam: FieldExam, by: User, note: str) -> FieldExam:
    """The advisor rejects a submitted exam, saying why; its figures feed nothing."""
    exam = FieldExam.objects.select_for_update().select_related("facility__client").get(pk=exam.pk)
    _decider(exam, by)
    if exam.status != ExamStatus.SUBMITTED:
        raise DomainError(_("Only a submitted exam can be rejected."))
    if not note.strip():
        raise DomainError(_("Say why the exam is rejected."), field="note")
    exam.status = ExamStatus.REJECTED
    exam.decided_at = timezone.now()
    exam.decided_by = by
    exam.decision_note = note.strip()
    exam.save()
    audit.record(
        actor=by,
        action="reject-field-exam",
        instance=exam,
        before={"status": ExamStatus.SUBMITTED},
        after={"status": exam.status, "note": exam.decision_note},
    )
    _tell_controller(exam)
    return exam


@transaction.atomic
def decide_finding(*, finding: FieldExamFinding, by: User, decision: str) -> FieldExamFinding:
    """The advisor accepts a finding as a reserve or a line exclusion, or rejects it (audited). A
    reserve of the applied exam is deducted from the facility's borrowing base (facilities.terms);
    a line exclusion takes the finding's SKU at its site out of eligible stock in every valuation
    from now on, the current one recomputed at once. An exclusion in force is lifted only by
    withdrawing it (``withdraw_exclusion``), with a reason; a withdrawn one may be decided again."""
    # Locked alone (a row lock cannot take the outer joins of select_related), then read whole:
    # two advisors deciding the same finding at once are served one after the other.
    finding = FieldExamFinding.objects.select_for_update().get(pk=finding.pk)
    finding = FieldExamFinding.objects.select_related("line__exam__facility__client").get(pk=finding.pk)
    exam = finding.line.exam
    _decider(exam, by)
    if exam.status not in (ExamStatus.SUBMITTED, ExamStatus.ACCEPTED):
        raise DomainError(_("Findings are decided once the exam is submitted."))
    if decision not in FindingDecision.values or decision == FindingDecision.PENDING:
        raise DomainError(_("Choose a decision."), field="decision")
    if finding.excludes:
        if decision == FindingDecision.EXCLUSION:
            return finding  # already in force: nothing to record
        raise DomainError(_("This finding excludes its line: withdraw the exclusion first, saying why."))
    before = {"finding": finding.pk, "decision": finding.decision}
    if finding.withdrawn_at is not None:
        before["withdrawn_at"] = finding.withdrawn_at.isoformat()
    finding.decision = decision
    finding.decided_by = by
    finding.decided_at = timezone.now()
    finding.withdrawn_at, finding.withdrawn_by, finding.withdrawal_note = None, None, ""
    finding.save(
        update_fields=["decision", "decided_by", "decided_at", "withdrawn_at", "withdrawn_by", "withdrawal_note"]
    )
    after = {"finding": finding.pk, "decision": decision, "amount": str(finding.amount)}
    if decision == FindingDecision.EXCLUSION:
        after.update(sku=finding.line.sku, site=finding.line.warehouse)
    audit.record(actor=by, action="decide-field-exam-finding", instance=exam, before=before, after=after)
    # The applied exam's reserve and every exclusion in force; a valuation is queued if they changed.
    _apply_to_facility(exam.facility, by)
    return finding


@transaction.atomic
def withdraw_exclusion(*, finding: FieldExamFinding, by: User, note: str) -> FieldExamFinding:
    """The advisor withdraws a line exclusion, saying why (audited): the line counts again in the
    valuations from now on, the current one recomputed at once. The decision stays on record."""
    finding = FieldExamFinding.objects.select_for_update().get(pk=finding.pk)
    finding = FieldExamFinding.objects.select_related("line__exam__facility__client").get(pk=finding.pk)
    exam = finding.line.exam
    _decider(exam, by)
    if not finding.excludes:
        raise DomainError(_("This finding excludes no line: there is nothing to withdraw."))
    if not note.strip():
        raise DomainError(_("Say why the exclusion is withdrawn."), field="note")
    finding.withdrawn_at = timezone.now()
    finding.withdrawn_by = by
    finding.withdrawal_note = note.strip()[:500]
    finding.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    audit.record(
        actor=by,
        action="withdraw-field-exam-exclusion",
        instance=exam,
        before={"finding": finding.pk, "decision": finding.decision, "sku": finding.line.sku},
        after={"finding": finding.pk, "withdrawn": True, "note": finding.withdrawal_note},
    )
    _apply_to_facility(exam.facility, by)
    return finding


def exclusions(exam: FieldExam) -> Any:
    """The findings of the exam accepted as line exclusions (withdrawn ones included: ``excludes``
    tells those in force)."""
    return FieldExamFinding.objects.filter(line__exam=exam, decision=FindingDecision.EXCLUSION).select_related("line")
