"""Appraisals as records: their validation (shared by the form and the API), the audited save,
and what the dossier, the dashboard and the report show of them.

A rate names a base category ("raw_material") or one of the firm's own categories (by code in the
API, by a drop-down on the page): a name the firm does not have is refused, naming it, never
ignored (the former JSON setting ignored ``{"Raw materials": 70}`` silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.common import audit
from borrowers.models import BaseCategory, StockCategory, User
from facilities.models import Appraisal, AppraisalRate, AppraisalStatus, Facility, default_expiry
from facilities.services import revalue_facility
from valuation.engine.columns import code_key

PDF_MAGIC = b"%PDF-"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_report_bytes() -> int:
    return int(getattr(settings, "APPRAISAL_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_report_file(upload: Any) -> None:
    """An appraisal report is a PDF of reasonable size: checked on its bytes, not its name."""
    if upload is None:
        return
    if upload.size > max_report_bytes():
        raise ValidationError(
            _("The appraisal report is larger than %(limit)s MB.") % {"limit": max_report_bytes() // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise ValidationError(_("The appraisal report must be a PDF file."))


@dataclass(frozen=True)
class RateInput:
    """One rate as entered: a base category or a firm category, and a NOLV % of cost."""

    base_category: str
    stock_category: StockCategory | None
    nolv_pct: Decimal

    @property
    def key(self) -> str:
        return f"cat:{self.stock_category.pk}" if self.stock_category else f"base:{self.base_category}"


def firm_categories(firm_id: int) -> list[StockCategory]:
    return list(StockCategory.objects.filter(firm_id=firm_id).order_by("base_category", "code"))


def resolve_category(name: str, firm_id: int) -> tuple[str, StockCategory | None]:
    """A base category's code or a firm category's code (matched as the readers match codes);
    anything else raises ValidationError naming it."""
    key = code_key(name)
    for base in BaseCategory.values:
        if key == code_key(base):
            return base, None
    for category in firm_categories(firm_id):
        if code_key(category.code) == key:
            return "", category
    known = ", ".join([*BaseCategory.values, *(c.code for c in firm_categories(firm_id))])
    raise ValidationError(
        _("“%(name)s” is neither a base category nor one of the firm's categories (%(known)s).")
        % {"name": name, "known": known}
    )


def parse_pct(value: Any) -> Decimal:
    if isinstance(value, bool | float) or value is None:
        raise ValidationError(_('Write the percentage as a decimal number in text, e.g. "62.5".'))
    try:
        pct = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(_("Enter a percentage between 0 and 100.")) from None
    if not pct.is_finite() or not Decimal(0) <= pct <= Decimal(100) or pct.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValidationError(_("Enter a percentage between 0 and 100, with at most 3 decimals."))
    return pct


def check_rates(rates: list[RateInput]) -> None:
    """No category twice in one appraisal."""
    seen: set[str] = set()
    for rate in rates:
        if rate.key in seen:
            name = rate.stock_category.code if rate.stock_category else rate.base_category
            raise ValidationError(_("“%(name)s” has two rates in this appraisal.") % {"name": name})
        seen.add(rate.key)


def check_dates(effective: date | None, expiry: date | None) -> date | None:
    """The expiry date, defaulting to 12 months after the effective date; never before it."""
    if effective is None:
        return expiry
    expiry = expiry or default_expiry(effective)
    if expiry < effective:
        raise ValidationError({"expiry_date": [_("The expiry date is before the effective date.")]})
    return expiry


@transaction.atomic
def save_appraisal(
    *, by: User, appraisal: Appraisal, rates: list[RateInput] | None, report_file: Any = None
) -> Appraisal:
    """Save an appraisal and (when given) replace its rates, audited; the facility's latest
    valuation is then recomputed, since the NOLV it rests on may have changed."""
    is_new = appraisal.pk is None
    before = None if is_new else _snapshot(Appraisal.objects.get(pk=appraisal.pk))
    if report_file is not None:
        check_report_file(report_file)
        if appraisal.report_file:
            appraisal.report_file.delete(save=False)
        appraisal.report_file.save(f"{report_file.name}", report_file, save=False)
    appraisal.full_clean(exclude=["report_file"])
    appraisal.save()
    if rates is not None:
        check_rates(rates)
        appraisal.rates.all().delete()
        AppraisalRate.objects.bulk_create(
            AppraisalRate(
                appraisal=appraisal,
                base_category=r.base_category,
                stock_category=r.stock_category,
                nolv_pct=r.nolv_pct,
            )
            for r in rates
        )
    after = _snapshot(appraisal)
    audit.record(
        actor=by, action="create" if is_new else "update-appraisal", instance=appraisal, before=before, after=after
    )
    if before != after:
        revalue_facility(appraisal.facility)
    return appraisal


@transaction.atomic
def delete_appraisal(*, by: User, appraisal: Appraisal) -> None:
    audit.record(actor=by, action="delete", instance=appraisal, before=_snapshot(appraisal))
    facility = appraisal.facility
    if appraisal.report_file:
        appraisal.report_file.delete(save=False)
    appraisal.delete()
    revalue_facility(facility)


def _snapshot(appraisal: Appraisal) -> dict[str, Any]:
    # An empty FieldFile has no url, which audit.snapshot would ask for: the name says it all.
    data = audit.snapshot(appraisal, exclude=("report_file",))
    data["report_file"] = appraisal.report_file.name or ""
    data["rates"] = sorted(f"{r.category_code}={r.nolv_pct}" for r in appraisal.rates.select_related("stock_category"))
    return data


# --------------------------------------------------------------------------------- what is shown

STATUS_BADGES = {
    AppraisalStatus.IN_FORCE: "badge-ok",
    AppraisalStatus.EXPIRED: "badge-bad",
    AppraisalStatus.FUTURE: "badge-muted",
}


@dataclass(frozen=True)
class RateRow:
    label: str
    nolv_pct: Decimal


@dataclass(frozen=True)
class AppraisalView:
    """An appraisal as a page or a report shows it, with its status on a given day."""

    pk: int
    appraiser: str
    appraiser_firm: str
    effective_date: date
    expiry_date: date
    status: str
    status_label: str
    rates: tuple[RateRow, ...]
    has_report: bool
    notes: str

    @property
    def expired(self) -> bool:
        return self.status == AppraisalStatus.EXPIRED

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.status, "")


def rate_label(rate: AppraisalRate) -> str:
    from borrowers.common.labels import category_label

    if rate.stock_category_id:
        return f"{rate.stock_category.code} – {rate.stock_category.name}"
    return str(gettext_lazy("All %(category)s") % {"category": category_label(rate.base_category)})


def appraisal_view(appraisal: Appraisal, on: date) -> AppraisalView:
    status = appraisal.status(on)
    return AppraisalView(
        pk=appraisal.pk,
        appraiser=appraisal.appraiser,
        appraiser_firm=appraisal.appraiser_firm,
        effective_date=appraisal.effective_date,
        expiry_date=appraisal.expiry_date,
        status=status,
        status_label=str(AppraisalStatus(status).label),
        rates=tuple(RateRow(rate_label(r), r.nolv_pct) for r in appraisal.rates.select_related("stock_category").all()),
        has_report=bool(appraisal.report_file),
        notes=appraisal.notes,
    )


def facility_appraisals(facility: Facility, on: date | None = None) -> list[AppraisalView]:
    day = on or timezone.localdate()
    return [appraisal_view(a, day) for a in facility.appraisals.prefetch_related("rates__stock_category")]


def appraisal_used(facility: Facility, as_of: date) -> AppraisalView | None:
    """The appraisal the valuation of stock dated ``as_of`` used (status on that date)."""
    appraisal = Appraisal.objects.filter(facility=facility).at(as_of)
    return None if appraisal is None else appraisal_view(appraisal, as_of)
