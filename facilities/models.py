"""Lenders and the facilities (pledge structures and terms) a firm negotiates for its clients."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from borrowers.common.formatting import plain_percent
from borrowers.models import MONEY, PERCENT, BaseCategory, ClientCompany, Firm, StockCategory
from facilities import terms_settings

OC_MIN, OC_MAX = Decimal("100"), Decimal("300")
OC_USUAL_MIN, OC_USUAL_MAX = Decimal("120"), Decimal("200")


class Lender(models.Model):
    """A bank or fund that lends against stock; its users see only what is shared with it."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="lenders")
    name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["firm", "name"], name="unique_lender_per_firm")]

    def __str__(self) -> str:
        return self.name


class Structure(models.TextChoices):
    BORROWING_BASE = "borrowing_base", _("Asset-based borrowing base")
    PLEDGE_WITH_DISPOSSESSION = "pledge_with_dispossession", _("Stock pledge with dispossession")
    PLEDGE_WITHOUT_DISPOSSESSION = "pledge_without_dispossession", _("Stock pledge without dispossession")


class Method(models.TextChoices):
    WATERFALL = "waterfall", _("Ineligibles waterfall (line by line)")
    CRITERIA = "criteria", _("Criteria method (portfolio discounts)")


class LeasedSiteTreatment(models.TextChoices):
    EXCLUDE = "exclude", _("Exclude their stock")
    RENT_RESERVE = "rent_reserve", _("Keep their stock and take a rent reserve")


class DayBasis(models.IntegerChoices):
    D360 = 360, "360"
    D365 = 365, "365"


# The named reserves (docs/domain.md, "Financing structures", borrowing base) and the treatment of
# leased sites without a landlord waiver, as the facility form's "Reserves" fieldset shows them.
RESERVE_FIELDS = (
    "shrink_reserve_pct",
    "priority_payables_reserve",
    "dilution_reserve",
    "other_reserve",
    "other_reserve_reason",
    "leased_site_treatment",
    "rent_reserve_months",
)
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]

# The fields an advisor edits (web form and API alike), in reading order.
FACILITY_TERMS_FIELDS = (
    "name",
    "lender",
    "structure",
    "method",
    "currency",
    "cost_advance_rate_pct",
    "use_leverage_grid",
    "nolv_advance_rate_pct",
    *RESERVE_FIELDS,
    "facility_limit",
    "outstanding",
    "receivables_cap_pct",
    "fungibility_share_pct",
    "over_collateralisation_pct",
    "pledged_guarantee",
    "eligibility_settings",
    "criteria_settings",
    "ltv_caps",
    "ltv_caps_indicative",
    "base_rate_pct",
    "margin_pct",
    "commitment_fee_pct",
    "monitoring_fee",
    "field_exam_fee",
    "servicing_fee",
    "average_drawn",
    "day_basis",
    "target_days_of_stock",
)


class Facility(models.Model):
    """A financing facility for one client with one lender: its structure and all its terms."""

    client = models.ForeignKey(
        ClientCompany, verbose_name=_("client company"), on_delete=models.CASCADE, related_name="facilities"
    )
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(_("name"), max_length=200)
    structure = models.CharField(_("structure"), max_length=40, choices=Structure.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.WATERFALL)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    # Borrowing base terms.
    cost_advance_rate_pct = models.DecimalField(_("cost advance rate (%)"), **PERCENT, default=Decimal("60"))
    use_leverage_grid = models.BooleanField(
        _("cost advance rate from the debt ÷ tangible net worth grid"), default=False
    )
    nolv_advance_rate_pct = models.DecimalField(_("NOLV advance rate (%)"), **PERCENT, default=Decimal("85"))
    # Named reserves: their sum is what the borrowing base subtracts (facilities/terms.py).
    shrink_reserve_pct = models.DecimalField(
        _("shrink reserve (% of eligible stock)"),
        **PERCENT,
        default=Decimal("0"),
        help_text=_("Stock expected to go missing between counts, as a share of the eligible stock at cost."),
    )
    priority_payables_reserve = models.DecimalField(
        _("priority payables reserve"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("Taxes, wages and other debts that rank before the bank."),
    )
    dilution_reserve = models.DecimalField(
        _("dilution reserve"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("An amount: credit notes, returns and discounts expected to erode what the stock will fetch."),
    )
    other_reserve = models.DecimalField(
        _("other reserve"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("Any other reserve the lender takes; it needs a written reason."),
    )
    other_reserve_reason = models.CharField(_("reason for the other reserve"), max_length=500, blank=True)
    leased_site_treatment = models.CharField(
        _("leased sites without a landlord waiver"),
        max_length=20,
        choices=LeasedSiteTreatment.choices,
        default=LeasedSiteTreatment.EXCLUDE,
        help_text=_(
            "Borrowing base only: a pledge always excludes them. With a rent reserve, a site whose "
            "monthly rent is not entered on the warehouse stays excluded."
        ),
    )
    rent_reserve_months = models.PositiveSmallIntegerField(
        _("rent reserve (months of rent)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    facility_limit = models.DecimalField(_("facility limit"), **MONEY, null=True, blank=True)
    outstanding = models.DecimalField(_("outstanding"), **MONEY, default=Decimal("0"))
    receivables_cap_pct = models.DecimalField(
        _("inventory cap (% of receivables advances)"), **PERCENT, null=True, blank=True
    )

    # Pledge terms.
    fungibility_share_pct = models.DecimalField(_("fungibility share (%)"), **PERCENT, default=Decimal("75"))
    over_collateralisation_pct = models.DecimalField(
        _("over-collateralisation rate (%)"),
        max_digits=7,
        decimal_places=3,
        default=Decimal("150"),
        validators=[MinValueValidator(OC_MIN), MaxValueValidator(OC_MAX)],
    )
    pledged_guarantee = models.DecimalField(
        _("pledged guarantee (replenishment level)"), **MONEY, null=True, blank=True
    )

    # Eligibility and method settings: the engine's own vocabulary, stored complete and written only
    # through facilities.terms_settings (the editors and the API), which refuses unknown keys.
    eligibility_settings = models.JSONField(
        _("eligibility rules"), default=terms_settings.default_eligibility, blank=True
    )
    criteria_settings = models.JSONField(
        _("criteria method settings"), default=terms_settings.default_criteria, blank=True
    )
    ltv_caps = models.JSONField(
        _("LTV caps by liquidity class (%)"), default=terms_settings.default_ltv_caps, blank=True
    )
    ltv_caps_indicative = models.BooleanField(
        _("LTV caps are indicative only (reported, not binding)"),
        default=False,
        help_text=_("Off (the default), financing is at most Σ cap × liquidation value of each class."),
    )

    # Cost of the financing.
    base_rate_pct = models.DecimalField(_("base rate (%)"), **PERCENT, default=Decimal("0"))
    margin_pct = models.DecimalField(_("margin (%)"), **PERCENT, default=Decimal("0"))
    commitment_fee_pct = models.DecimalField(_("commitment fee on undrawn (%)"), **PERCENT, default=Decimal("0"))
    monitoring_fee = models.DecimalField(_("collateral monitoring fee (per year)"), **MONEY, default=Decimal("0"))
    field_exam_fee = models.DecimalField(_("field exam fee (per year)"), **MONEY, default=Decimal("0"))
    servicing_fee = models.DecimalField(_("servicing fee (per year)"), **MONEY, default=Decimal("0"))
    average_drawn = models.DecimalField(
        _("average drawn amount"),
        **MONEY,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("What the cost is charged on; blank: the outstanding."),
    )
    day_basis = models.PositiveSmallIntegerField(_("day basis"), choices=DayBasis.choices, default=DayBasis.D360)
    target_days_of_stock = models.PositiveIntegerField(_("target days of stock"), null=True, blank=True)

    # Roll-forward (issue 16): how far the reported closing stock may stray from the expected one
    # before an alert (the larger of the two allows; valuation.engine.rollforward.Tolerance).
    rollforward_tolerance_amount = models.DecimalField(
        _("roll-forward tolerance (amount)"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("An unreconciled amount up to this is accepted."),
    )
    rollforward_tolerance_pct = models.DecimalField(
        _("roll-forward tolerance (% of closing stock)"),
        **PERCENT,
        default=Decimal("0.5"),
        help_text=_("An unreconciled amount up to this share of the reported closing stock is accepted."),
    )
    # -- field exams (issue 16). Written only by valuation.field_exams.services when an advisor
    # accepts an exam (this floor cannot point at the exam itself): the measured count variance
    # replaces the typed one in the terms (facilities.terms), with the exam named in the run's inputs.
    exam_count_variance_pct = models.DecimalField(
        _("measured count variance (%)"), max_digits=7, decimal_places=3, null=True, blank=True, editable=False
    )
    exam_counted_on = models.DateField(_("field exam date"), null=True, blank=True, editable=False)
    exam_reference = models.CharField(_("field exam"), max_length=100, blank=True, editable=False)
    exam_findings_reserve = models.DecimalField(
        _("field exam findings reserve"), **MONEY, default=Decimal("0"), editable=False
    )
    # The lines advisors excluded after a field exam's finding, in force (not withdrawn), of every
    # exam of the facility: [{"sku", "site", "finding", "exam", "counted_on", "accepted_on"}], as
    # valuation.engine.terms.LineExclusion reads them; facilities.terms puts them in the terms.
    exam_line_exclusions = models.JSONField(_("field exam line exclusions"), default=list, blank=True, editable=False)
    # -- end of field exams

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__legal_name", "name"]
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return f"{self.client} – {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("valuation:facility-detail", args=[self.pk])

    @property
    def is_pledge(self) -> bool:
        return self.structure != Structure.BORROWING_BASE

    @property
    def fixed_reserves(self) -> Decimal:
        """The reserves given as amounts (priority payables, dilution, other); shrink and rent
        depend on the stock and are computed with each valuation."""
        return self.priority_payables_reserve + self.dilution_reserve + self.other_reserve

    def dispossession_impossible_sites(self) -> list[str]:
        """For a pledge with dispossession, the client's declared sites where the stock cannot be
        put under a custodian: their stock cannot be pledged this way (rule
        "dispossession_impossible"), and the dossier and the report flag them."""
        if self.structure != Structure.PLEDGE_WITH_DISPOSSESSION or not self.client_id:
            return []
        return [w.code for w in self.client.warehouses.all() if not w.dispossession_possible]

    @property
    def over_collateralisation_warning(self) -> str | None:
        """Outside 120–200 % the rate is legal but unusual: funders will ask why."""
        if self.is_pledge and not (OC_USUAL_MIN <= self.over_collateralisation_pct <= OC_USUAL_MAX):
            return _("Over-collateralisation of %(rate)s %% is outside the usual 120–200 %% range.") % {
                "rate": plain_percent(self.over_collateralisation_pct)
            }
        return None


# ------------------------------------------------------------------------------------ appraisals


class AppraisalStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    FUTURE = "future", _("Not yet effective")


def appraisal_upload_path(instance: Appraisal, filename: str) -> str:
    # The name the user gave is not kept in the path: it could carry anything.
    return f"appraisals/{instance.facility_id}/{uuid.uuid4().hex}.pdf"


def default_expiry(effective: date) -> date:
    """An appraisal usually holds for 12 months (docs/domain.md, "Appraisals"): the day before the
    same date next year (29 February → 28 February)."""
    try:
        return effective.replace(year=effective.year + 1) - timedelta(days=1)
    except ValueError:
        return date(effective.year + 1, 2, 28)


class AppraisalQuerySet(models.QuerySet["Appraisal"]):
    def at(self, as_of: date) -> Appraisal | None:
        """The appraisal that applies at ``as_of``: the latest effective on or before it (it may
        have expired by then, see ``Appraisal.status``); None when none is effective yet."""
        return self.filter(effective_date__lte=as_of).order_by("-effective_date", "-pk").first()


class Appraisal(models.Model):
    """An appraiser's NOLV of a facility's collateral: who, when, until when, the rates, the report.

    An appraisal belongs to a facility, not to the client: the lender commissions it and relies on
    it for its own facility (another lender may not accept the same appraiser), and it replaces
    the facility's former NOLV setting one for one."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="appraisals"
    )
    appraiser = models.CharField(_("appraiser"), max_length=200)
    appraiser_firm = models.CharField(_("appraisal firm"), max_length=200, blank=True)
    effective_date = models.DateField(_("effective date"))
    expiry_date = models.DateField(_("expiry date"), help_text=_("Usually 12 months after the effective date."))
    report_file = models.FileField(_("appraisal report (PDF)"), upload_to=appraisal_upload_path, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expiry_date__gte=models.F("effective_date")),
                name="appraisal_expiry_after_effective",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appraiser} ({self.effective_date.isoformat()})"

    def status(self, on: date) -> str:
        """In force, expired or not yet effective on ``on`` (the stock date, or today)."""
        if self.effective_date > on:
            return AppraisalStatus.FUTURE
        if self.expiry_date < on:
            return AppraisalStatus.EXPIRED
        return AppraisalStatus.IN_FORCE


class AppraisalRate(models.Model):
    """One NOLV % of cost in an appraisal: for a base category, or for one firm (sub-)category."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="rates")
    base_category = models.CharField(_("base category"), max_length=20, choices=BaseCategory.choices, blank=True)
    stock_category = models.ForeignKey(
        StockCategory,
        verbose_name=_("firm category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appraisal_rates",
    )
    nolv_pct = models.DecimalField(_("NOLV (% of cost)"), **PERCENT)

    class Meta:
        ordering = ["base_category", "stock_category__code"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(base_category="") & models.Q(stock_category__isnull=False))
                | (~models.Q(base_category="") & models.Q(stock_category__isnull=True)),
                name="appraisal_rate_one_category",
            ),
            models.UniqueConstraint(
                fields=["appraisal", "base_category"],
                condition=~models.Q(base_category=""),
                name="unique_appraisal_base_rate",
            ),
            models.UniqueConstraint(
                fields=["appraisal", "stock_category"],
                condition=models.Q(stock_category__isnull=False),
                name="unique_appraisal_category_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_code}: {self.nolv_pct} %"

    @property
    def category_code(self) -> str:
        return self.stock_category.code if self.stock_category_id else self.base_category


# ------------------------------------------------------------------------------ reporting calendar
# What a facility's client owes its lender and when (docs/domain.md, "Reporting calendar"); the
# dates are computed by facilities/calendar.py, the workflows are facilities/calendar_services.py.


class DeliverableKind(models.TextChoices):
    STOCK_FILE = "stock_file", _("Stock file")
    BORROWING_BASE_CERTIFICATE = "borrowing_base_certificate", _("Borrowing base certificate")
    FINANCIAL_STATEMENTS = "financial_statements", _("Financial statements")
    INSURANCE_CERTIFICATE = "insurance_certificate", _("Insurance certificate")
    APPRAISAL = "appraisal", _("Appraisal")
    FIELD_EXAM = "field_exam", _("Field exam")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")


class Deliverable(models.Model):
    """Something the client delivers for a facility at each period end: its frequency, how many
    days after the period end it is due, and the grace days before it is late."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="deliverables"
    )
    kind = models.CharField(_("deliverable"), max_length=40, choices=DeliverableKind.choices)
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY)
    due_days = models.PositiveSmallIntegerField(
        _("due (days after the period end)"),
        default=20,
        validators=[MaxValueValidator(366)],
        help_text=_("Calendar days after the last day of the period: 20 means a March file is due on 20 April."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace (days)"),
        default=0,
        validators=[MaxValueValidator(366)],
        help_text=_("Days after the due date before the deliverable counts as late."),
    )
    start = models.DateField(_("start"), help_text=_("The first period is the one that contains this date."))
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility", "kind"]
        constraints = [models.UniqueConstraint(fields=["facility", "kind"], name="unique_deliverable_per_facility")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.facility}"


class DeliverablePeriod(models.Model):
    """One period of a deliverable, materialised: received (by a person, or by what closed it —
    a stock file, named by label and URL since this floor cannot know the upload), or waived."""

    deliverable = models.ForeignKey(
        Deliverable, verbose_name=_("deliverable"), on_delete=models.CASCADE, related_name="periods"
    )
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        "borrowers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waived_by = models.ForeignKey("borrowers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    waiver_reason = models.CharField(_("reason for the waiver"), max_length=500, blank=True)
    source_label = models.CharField(_("received as"), max_length=300, blank=True)
    source_url = models.CharField(_("link"), max_length=500, blank=True)

    class Meta:
        ordering = ["deliverable", "period_end"]
        constraints = [models.UniqueConstraint(fields=["deliverable", "period_end"], name="unique_deliverable_period")]

    def __str__(self) -> str:
        return f"{self.deliverable} · {self.period_end.isoformat()}"

    @property
    def facility(self) -> Facility:
        return self.deliverable.facility


# ---------------------------------------------------------------------- credit file (issue 16, part 4)
# The documents of a client and its facilities (docs/domain.md, "The credit file"): the dates are
# computed by facilities/credit_dates.py, the workflows and checks are facilities/credit_file.py.


class CreditDocumentKind(models.TextChoices):
    PLEDGE_DEED = "pledge_deed", _("Pledge deed")
    REGISTRATION = "registration", _("Registration at the commercial court's registry")
    LANDLORD_WAIVER = "landlord_waiver", _("Landlord waiver")
    CUSTODIAN_AGREEMENT = "custodian_agreement", _("Custodian agreement")
    INSURANCE_CERTIFICATE = "insurance_certificate", _("Insurance certificate")
    APPRAISAL_REPORT = "appraisal_report", _("Appraisal report")
    FINANCIAL_STATEMENTS = "financial_statements", _("Financial statements")
    OTHER = "other", _("Other")


def credit_document_path(instance: CreditDocument, filename: str) -> str:
    # Neither the user's file name nor its extension goes into the path: it could carry anything.
    return f"credit-file/{instance.client_id}/{uuid.uuid4().hex}"


class CreditDocumentQuerySet(models.QuerySet["CreditDocument"]):
    def current(self) -> CreditDocumentQuerySet:
        """The documents no newer version has superseded."""
        return self.filter(superseded_at__isnull=True)


class CreditDocument(models.Model):
    """One version of a document of a client's credit file, for the client or one of its
    facilities: its kind, title, dates and stored file (with its SHA-256).

    A new version (a renewal, a newer certificate) supersedes the one before and points to it;
    the old version stays listed and downloadable. ``lapses_on`` is computed from the dates
    (facilities.credit_dates.lapse_date) whenever they are saved."""

    client = models.ForeignKey(
        ClientCompany, verbose_name=_("client company"), on_delete=models.CASCADE, related_name="credit_documents"
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_documents",
        help_text=_("Blank: the document concerns the client as a whole."),
    )
    warehouse = models.ForeignKey(
        "borrowers.Warehouse",
        verbose_name=_("warehouse"),
        # A site that closes keeps its waiver on file (without the link); the client's deletion
        # takes both.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_documents",
        help_text=_("For a landlord waiver or a custodian agreement: the site it covers."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CreditDocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    signed_on = models.DateField(_("signed or effective on"), null=True, blank=True)
    expires_on = models.DateField(
        _("expires on"),
        null=True,
        blank=True,
        help_text=_("The last day the document holds; blank: it does not expire."),
    )
    registered_on = models.DateField(
        _("registered on"),
        null=True,
        blank=True,
        help_text=_("Registration or its renewal: the date entered at the registry. It lapses five years later."),
    )
    lapses_on = models.DateField(_("lapses on"), null=True, blank=True, editable=False, db_index=True)
    visible_to_client = models.BooleanField(
        _("visible to the client"),
        default=True,
        help_text=_("Off: an internal document the client's users do not see."),
    )
    visible_to_bank = models.BooleanField(
        _("visible to the bank"),
        default=True,
        help_text=_("The lender sees the documents of its facility once a report is shared with it."),
    )
    notes = models.TextField(_("notes"), blank=True)
    file = models.FileField(_("file"), upload_to=credit_document_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=120)
    previous = models.ForeignKey(
        # RESTRICT, not PROTECT: a version is never deleted alone, but with its client or facility.
        "self",
        verbose_name=_("previous version"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    uploaded_by = models.ForeignKey("borrowers.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CreditDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(signed_on__isnull=True)
                | models.Q(expires_on__gte=models.F("signed_on")),
                name="credit_document_expiry_after_signature",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


# ------------------------------------------------------------------------------------ covenants
# The covenant models live in their own module (facilities/covenant_models.py); imported here so
# Django registers them with the app.
from facilities.covenant_models import (  # noqa: E402, F401
    Covenant,
    CovenantDirection,
    CovenantFrequency,
    CovenantMetric,
    CovenantRevision,
    FinancialStatement,
    StatementLine,
    StatementSource,
)

# ------------------------------------------------------------------------ field exams (issue 16)


class ControllerAssignment(models.Model):
    """A stock controller (a controller user) assigned to a facility: it may plan and count field
    exams there, and sees nothing else (borrowers.common.access)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="controller_assignments")
    user = models.ForeignKey(
        "borrowers.User", on_delete=models.CASCADE, related_name="controller_assignments", verbose_name=_("controller")
    )
    assigned_by = models.ForeignKey(
        "borrowers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility", "user"]
        verbose_name = _("controller assignment")
        constraints = [models.UniqueConstraint(fields=["facility", "user"], name="one_assignment_per_controller")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.facility}"


# ------------------------------------------------------------------------ end of field exams
