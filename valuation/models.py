"""Stock files as uploaded, their validated lines, and the valuation runs computed from them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borrowers.models import MONEY, ClientCompany, Firm, User


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Processing")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class JobBusy(Exception):  # noqa: N818 - not an error: another worker holds the lease
    """Another worker holds this job's lease; try again once it may have lapsed."""


class ClaimableQuerySet(models.QuerySet):
    """Work claimed with a conditional UPDATE, so one job runs once however often it is delivered.

    A claim is a lease: the worker refreshes `claimed_at` at each stage. A job still "running"
    whose lease has lapsed belonged to a worker that died; it may be claimed again.
    """

    def claim(self, pk: int, *, lease_seconds: int) -> bool:
        stale = timezone.now() - timedelta(seconds=lease_seconds)
        claimable = models.Q(status="queued") | models.Q(status="running", claimed_at__lt=stale)
        updated = self.filter(claimable, pk=pk).update(
            status="running", claimed_at=timezone.now(), attempts=models.F("attempts") + 1
        )
        return updated == 1

    def claim_job(self, pk: int, *, lease_seconds: int) -> bool:
        """Claim the job; False when there is nothing to do (done, failed, gone); JobBusy while
        another worker's lease is live (the caller retries once it may have lapsed)."""
        if self.claim(pk, lease_seconds=lease_seconds):
            return True
        if self.filter(pk=pk, status="running").exists():
            raise JobBusy(pk)
        return False

    def release(self, pk: int) -> None:
        """Give a running job back to the queue (its worker hit a transient error and retries)."""
        self.filter(pk=pk, status="running").update(status="queued", claimed_at=None)

    def heartbeat(self, pk: int, **fields: object) -> None:
        self.filter(pk=pk, status="running").update(claimed_at=timezone.now(), **fields)


class StockUploadQuerySet(ClaimableQuerySet):
    def visible_to(self, user: User) -> StockUploadQuerySet:
        from borrowers.common import access

        return access.scope(self, user)


def upload_path(instance: StockUpload, filename: str) -> str:
    return f"stock-files/{instance.client_id}/{instance.checksum[:2]}/{instance.checksum}-{filename[-80:]}"


class StockUpload(models.Model):
    """One stock file as the borrower's ERP exported it, and the state of its processing."""

    client = models.ForeignKey(ClientCompany, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to=upload_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    as_of = models.DateField(_("stock date"))
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    currency = models.CharField(
        _("file currency"),
        max_length=3,
        blank=True,
        help_text=_("The currency of lines with no currency of their own; the client's when blank."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("An earlier upload of exactly the same file."),
    )
    status = models.CharField(max_length=10, choices=UploadStatus.choices, default=UploadStatus.QUEUED)
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    rows_read = models.BigIntegerField(default=0)
    line_count = models.BigIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    # The saved mapping of this file's export format, when one was used or saved from it.
    column_mapping = models.ForeignKey(
        "ClientMapping", on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    columns = models.JSONField(default=list, blank=True, help_text=_("Canonical columns the file provided."))
    # The header row and first rows as read, kept once the mapping page has read them (a big
    # spreadsheet is not parsed again at each visit).
    sample = models.JSONField(default=dict, blank=True)
    warehouses = models.JSONField(default=list, blank=True, help_text=_("Warehouse codes found in the file."))
    report = models.JSONField(_("validation report"), default=dict, blank=True)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StockUploadQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.as_of})"

    def get_absolute_url(self) -> str:
        return reverse("valuation:upload-detail", args=[self.pk])

    @property
    def file_currency(self) -> str:
        """The currency of lines that state none: the one chosen at upload, else the client's."""
        return self.currency or self.client.currency


class UploadFingerprint(models.Model):
    """The first upload of each distinct file per client. Its unique constraint is what marks a
    duplicate when two identical files arrive at the same instant: neither transaction sees the
    other's upload, but only one can insert the fingerprint, and the other then reads it."""

    client = models.ForeignKey(ClientCompany, on_delete=models.CASCADE, related_name="+")
    checksum = models.CharField(max_length=64)
    first_upload = models.OneToOneField(StockUpload, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "checksum"], name="one_fingerprint_per_file")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.checksum[:12]}"


class ClientMapping(models.Model):
    """The column mapping of one of a client's export formats (its header set), reused for the
    client's next files with the same headers (``valuation.imports.formats``)."""

    client = models.ForeignKey(ClientCompany, on_delete=models.CASCADE, related_name="column_mappings")
    # SHA-256 of the format's normalised, sorted header set (``formats.header_signature``).
    signature = models.CharField(max_length=64)
    headers = models.JSONField(default=list, help_text=_("The header row this mapping was made for."))
    mapping = models.JSONField(default=dict)
    # A client user may propose the mapping of its own file: used at once, shown as "mapped by
    # the client" until an advisor confirms it (``confirmed_by`` set).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "signature"], name="one_mapping_per_format")]

    def __str__(self) -> str:
        return f"Column mapping of {self.client} ({len(self.headers)} columns)"

    @property
    def mapped_by_client(self) -> bool:
        """Proposed by the client and not yet confirmed by an advisor."""
        return self.confirmed_by_id is None


class StockLine(models.Model):
    """One validated line of an accepted stock file, in the canonical columns of the engine."""

    # One index only, the primary key (upload, row): an identity id, its index and a separate
    # (upload, row) index made COPY of a million lines ~1.4x slower (bench/README.md). A row number
    # is unique within its file, and a re-run deletes the upload's lines before copying them again.
    pk = models.CompositePrimaryKey("upload_id", "row")
    # No database constraint: lines arrive by COPY, and a deferred FK check per row doubles the
    # load time (bench/README.md). The pipeline writes lines only for an upload it has just claimed.
    # No index of its own either: the primary key starts with it.
    upload = models.ForeignKey(
        StockUpload, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="lines"
    )
    row = models.IntegerField()
    sku = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=20)
    sub_category = models.CharField(max_length=50, blank=True)
    warehouse = models.CharField(max_length=50, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=20, blank=True)
    unit_cost = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    book_value = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, blank=True)
    last_movement_date = models.DateField(null=True)
    receipt_date = models.DateField(null=True)
    annual_consumption_qty = models.DecimalField(max_digits=18, decimal_places=3, null=True)
    unpaid_amount = models.DecimalField(**MONEY, null=True)
    retention_of_title = models.BooleanField(null=True)
    supplier_consignment = models.BooleanField(null=True)
    reverse_factoring = models.BooleanField(null=True)
    defective = models.BooleanField(null=True)
    expiry_date = models.DateField(null=True)
    in_transit = models.BooleanField(null=True)
    customer_return = models.BooleanField(null=True)
    firm_order = models.BooleanField(null=True)
    sellable_as_is = models.BooleanField(null=True)
    resale_unit_price = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    transport_cost = models.DecimalField(**MONEY, null=True)
    storage_cost = models.DecimalField(**MONEY, null=True)
    commission_cost = models.DecimalField(**MONEY, null=True)

    def __str__(self) -> str:
        return f"{self.sku} (row {self.row})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Computing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Which valuation of a facility is current: the latest stock date; at equal dates the latest
# upload, whatever order the workers finish in (an older file finishing late after a crash must
# not replace a newer one); for one upload, the run finished last (a recompute under new terms,
# or an earlier run made current again when the terms return to what it was computed under).
CURRENT_ORDER = ("-as_of", "-upload__uploaded_at", "-upload_id", "-finished_at", "-id")


class ValuationRunQuerySet(ClaimableQuerySet):
    def visible_to(self, user: User) -> ValuationRunQuerySet:
        from borrowers.common import access

        return access.scope(self, user)

    def current(self) -> ValuationRunQuerySet:
        """The latest completed run per facility: a newer run becomes current only once done."""
        return self.filter(status=RunStatus.DONE).order_by("facility_id", *CURRENT_ORDER)


class ValuationRun(models.Model):
    """The engine's result for one facility's terms applied to one accepted stock file."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="runs")
    upload = models.ForeignKey(StockUpload, on_delete=models.CASCADE, related_name="runs")
    as_of = models.DateField()
    terms = models.JSONField(default=dict)
    terms_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=30, blank=True)
    result = models.JSONField(default=dict, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    book_value = models.DecimalField(**MONEY, null=True)
    eligible_value = models.DecimalField(**MONEY, null=True)
    liquidation_value = models.DecimalField(**MONEY, null=True)
    financing = models.DecimalField(**MONEY, null=True)
    availability = models.DecimalField(**MONEY, null=True)
    lines_file = models.FileField(
        upload_to="valuation-lines/%Y/%m/",
        blank=True,
        help_text=_("Per-line results (Parquet) for drill-down; derivable again from the stored lines."),
    )
    failure_reason = models.TextField(blank=True)
    # What computed the figures and from what: the engine's version and a SHA-256 of every input
    # the run read (terms, client facts, sites, categories, the file and its mapping).
    engine_version = models.CharField(_("engine version"), max_length=20, blank=True)
    inputs_digest = models.CharField(_("inputs digest"), max_length=64, blank=True)
    # Moves beyond the firm's threshold from the facility's previous accepted file (valuation.engine.jumps).
    jumps = models.JSONField(default=list, blank=True)
    # -- issue 15: the history's figures of the run (valuation.engine.history_figures), stored at
    # completion so a facility's history reads them instead of every run's whole result. Empty
    # (NULL): not stored (a run saved another way); the history then reads them from the result.
    history_figures = models.JSONField(null=True, blank=True, editable=False)
    # -- end issue 15 --
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ValuationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Running the same terms on the same file twice yields one run (idempotent tasks).
            models.UniqueConstraint(fields=["facility", "upload", "terms_hash"], name="one_run_per_terms")
        ]

    def __str__(self) -> str:
        return f"{self.facility} @ {self.as_of}"

    def get_absolute_url(self) -> str:
        return reverse("valuation:run-detail", args=[self.pk])


# ------------------------------------------------------------------------------------ alerts


class AlertKind(models.TextChoices):
    # The same codes as valuation.engine.alerting (which decides them).
    COLLATERAL_CHANGE = "collateral_change", _("Collateral change")
    LTV_ABOVE_CAP = "ltv_above_cap", _("LTV above cap")
    ROTATION_SLOWDOWN = "rotation_slowdown", _("Stock rotation slowing down")
    SITE_CONCENTRATION = "site_concentration", _("Concentration on one site")
    CATEGORY_CONCENTRATION = "category_concentration", _("Concentration on one category")
    # -- issue 15: one SKU's share --
    SKU_CONCENTRATION = "sku_concentration", _("Concentration on one SKU")
    BOOK_VALUE_JUMP = "book_value_jump", _("Book value jump")
    EXPIRED_APPRAISAL = "expired_appraisal", _("Expired appraisal")
    LATE_DELIVERABLE = "late_deliverable", _("Late deliverable")
    # --- the credit file (issue 16, part 4)
    DOCUMENT_EXPIRING = "document_expiring", _("Document expiring")
    DOCUMENT_EXPIRED = "document_expired", _("Document lapsed")
    # --- end of the credit file
    # roll-forward (issue 16)
    ROLLFORWARD_UNRECONCILED = "rollforward_unreconciled", _("Roll-forward unreconciled")
    # covenants (issue 16): raised by valuation/pipeline/covenants.py
    COVENANT_BREACH = "covenant_breach", _("Covenant breached")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


def _pct_field(
    label: str, default: str, help_text: str, *, null: bool = False, upper: str = "1000"
) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=3,
        default=None if null else Decimal(default),
        null=null,
        blank=null,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal(upper))],
        help_text=help_text,
    )


class AlertThresholds(models.Model):
    """The alert thresholds of a firm (``facility`` empty) or one facility's override of them."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="alert_thresholds")
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, null=True, blank=True, related_name="alert_thresholds"
    )
    collateral_change_pct = _pct_field(
        _("collateral change (%)"),
        "20",
        _("Alert when eligible stock or financing moves more than this from the previous valuation."),
    )
    ltv_max_pct = _pct_field(
        _("maximum LTV (%)"),
        "",
        _("Alert when the LTV is above this, besides the facility's own cap. Empty: the cap alone."),
        null=True,
    )
    rotation_slowdown_days = models.DecimalField(
        _("rotation slowdown (days)"),
        max_digits=7,
        decimal_places=1,
        default=Decimal("15"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3650"))],
        help_text=_("Alert when days of stock rise by more than this from the previous valuation."),
    )
    site_concentration_pct = _pct_field(
        _("one site (% of eligible)"),
        "60",
        _("Alert when one site holds more than this share of eligible stock (100: never)."),
        upper="100",
    )
    category_concentration_pct = _pct_field(
        _("one category (% of eligible)"),
        "70",
        _("Alert when one category holds more than this share of eligible stock (100: never)."),
        upper="100",
    )
    # -- issue 15: one SKU's share --
    sku_concentration_pct = _pct_field(
        _("one SKU (% of eligible)"),
        "50",
        _("Alert when one SKU, over all its sites, holds more than this share of eligible stock (100: never)."),
        upper="100",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm"], condition=models.Q(facility__isnull=True), name="one_alert_thresholds_per_firm"
            ),
            models.UniqueConstraint(fields=["firm", "facility"], name="one_alert_thresholds_per_facility"),
        ]

    def __str__(self) -> str:
        return f"Alert thresholds of {self.facility or self.firm}"


class Alert(models.Model):
    """One monitoring condition on a facility, from when it was raised until it is resolved.

    At most one alert per facility and kind is not resolved at a time; once resolved, the same
    condition coming back opens a new alert (its history stays with the old one)."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    state = models.CharField(max_length=15, choices=AlertState.choices, default=AlertState.OPEN)
    run = models.ForeignKey(ValuationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "kind"],
                condition=~models.Q(state="resolved"),
                name="one_unresolved_alert_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.facility_id} ({self.state})"


class AlertEvent(models.Model):
    """One change of an alert's state; ``by`` is empty for the system (a valuation)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_state = models.CharField(max_length=15, blank=True)
    to_state = models.CharField(max_length=15)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.from_state or '-'} -> {self.to_state}"


# ------------------------------------------------------------------------ roll-forward (issue 16)


class RollforwardSource(models.TextChoices):
    ENTERED = "entered", _("Entered")
    LEDGER = "ledger", _("General-ledger extract")


def ledger_path(instance: RollforwardPeriod, filename: str) -> str:
    checksum = instance.ledger_checksum
    return f"ledger-extracts/{instance.facility_id}/{checksum[:2]}/{checksum}-{filename[-80:]}"


class RollforwardPeriod(models.Model):
    """A facility's stock movements over the period ending at a stock date (valuation.engine.rollforward)."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="rollforward_periods")
    period_end = models.DateField(_("period end (stock date)"))
    purchases = models.DecimalField(_("purchases"), **MONEY, default=Decimal("0"))
    production = models.DecimalField(_("production"), **MONEY, default=Decimal("0"))
    cost_of_goods_sold = models.DecimalField(_("cost of goods sold"), **MONEY, default=Decimal("0"))
    adjustments = models.DecimalField(
        _("adjustments"), **MONEY, default=Decimal("0"), help_text=_("Signed: + adds to stock, − takes from it.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=RollforwardSource.choices, default=RollforwardSource.ENTERED)
    ledger_file = models.FileField(upload_to=ledger_path, max_length=300, blank=True)
    ledger_name = models.CharField(_("ledger extract"), max_length=255, blank=True)
    ledger_checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # The extract's rows behind the figures: [row number, account, label, bucket, amount as text].
    ledger_rows = models.JSONField(default=list, blank=True)
    ledger_ignored = models.PositiveIntegerField(default=0)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility_id", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "period_end"], name="one_rollforward_per_period"),
        ]

    def __str__(self) -> str:
        return f"Roll-forward of {self.facility_id} to {self.period_end}"


# -------------------------------------------------------------------- end of roll-forward (issue 16)
# ------------------------------------------------------------------------------------ covenants
# A covenant's tests: each names the run or the financial statement tested (the covenant and the
# statements are the facility's, facilities/covenant_models.py); the state is decided by the pure
# valuation.engine.covenants, the workflows are valuation/pipeline/covenants.py.


class CovenantState(models.TextChoices):
    # The same codes as valuation.engine.covenants.State.
    MET = "met", _("Met")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    WAIVED = "waived", _("Waived")
    NOT_TESTABLE = "not_testable", _("Not testable")


class CovenantTest(models.Model):
    """One covenant tested at one test date (the end of its test period): the value, the terms
    in force when it was tested, its state before any waiver, and its source."""

    covenant = models.ForeignKey("facilities.Covenant", on_delete=models.CASCADE, related_name="tests")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="covenant_tests")
    test_date = models.DateField(_("test date"))
    as_of = models.DateField(_("figures at"))
    value = models.DecimalField(_("value"), max_digits=30, decimal_places=10, null=True, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=4)
    direction = models.CharField(_("direction"), max_length=3)
    headroom_pct = models.DecimalField(_("at-risk headroom (%)"), max_digits=6, decimal_places=2)
    # Met, at risk, breached or not testable: the state before any waiver (a waiver's expiry is
    # read on the day the state is shown, so "waived" is never stored).
    raw_state = models.CharField(_("state"), max_length=15, choices=CovenantState.choices)
    run = models.ForeignKey(
        ValuationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="covenant_tests"
    )
    statement = models.ForeignKey(
        "facilities.FinancialStatement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="covenant_tests",
    )
    details = models.JSONField(default=dict, blank=True)
    tested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["covenant", "-test_date"]
        constraints = [
            models.UniqueConstraint(fields=["covenant", "test_date"], name="one_test_per_covenant_and_date"),
        ]

    def __str__(self) -> str:
        return f"{self.covenant} · {self.test_date.isoformat()} ({self.raw_state})"


class CovenantWaiver(models.Model):
    """A bank's waiver of a breached or at-risk test, with its reason and expiry; the latest
    waiver of a test is the one in force (until its expiry date, included)."""

    test = models.ForeignKey(CovenantTest, on_delete=models.CASCADE, related_name="waivers")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    expires_on = models.DateField(_("expires on"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["test", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"waiver of {self.test_id} until {self.expires_on.isoformat()}"

    @property
    def facility(self):  # type: ignore[no-untyped-def]
        return self.test.facility


# ------------------------------------------------------------------------ field exams (issue 16)
# A stock controller's test counts on site (docs/domain.md, "Field exams"): valuation.field_exams
# holds the services and pages, valuation.engine.field_exam the computation.


class ExamStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class SampleMethod(models.TextChoices):
    VALUE_COVERAGE = "value_coverage", _("Largest values covering a share of the stock")
    TOP_N = "top_n", _("The N largest values")
    RANDOM = "random", _("Random (seeded)")
    CHOSEN = "chosen", _("Lines chosen by hand")


class FieldExam(models.Model):
    """One field exam of a facility: a sample of the lines of an accepted stock file, counted on
    site by a controller; once an advisor accepts it, its variance feeds the record-accuracy
    discount of the facility's valuations."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="field_exams")
    upload = models.ForeignKey(StockUpload, on_delete=models.PROTECT, related_name="field_exams")
    run = models.ForeignKey(ValuationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    controller = models.ForeignKey(User, on_delete=models.PROTECT, related_name="field_exams")
    counted_on = models.DateField(_("count date"))
    # The currency of the sampled lines' values (one per exam: plan_exam refuses a mixed sample).
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    method = models.CharField(_("sample"), max_length=20, choices=SampleMethod.choices)
    coverage_pct = models.DecimalField(_("value covered (%)"), max_digits=7, decimal_places=3, null=True, blank=True)
    top_n = models.PositiveIntegerField(_("number of lines"), null=True, blank=True)
    seed = models.BigIntegerField(_("random seed"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExamStatus.choices, default=ExamStatus.COUNTING)
    # The outcome, written when the controller submits (valuation.engine.field_exam.variance).
    sampled_value = models.DecimalField(_("sampled recorded value"), **MONEY, null=True, blank=True)
    counted_value = models.DecimalField(_("counted value"), **MONEY, null=True, blank=True)
    gross_variance = models.DecimalField(_("gross variance"), **MONEY, null=True, blank=True)
    variance_pct = models.DecimalField(_("count variance (%)"), max_digits=7, decimal_places=3, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision_note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-counted_on", "-id"]
        verbose_name = _("field exam")

    def __str__(self) -> str:
        return f"{self.reference} – {self.facility}"

    def get_absolute_url(self) -> str:
        return reverse("valuation:exam-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"FE-{self.pk}"


class FieldExamLine(models.Model):
    """One sampled line: a copy of the stock file's record (so the exam reads the same whatever
    happens to the file) and the controller's count."""

    exam = models.ForeignKey(FieldExam, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    row = models.IntegerField(_("row"))
    sku = models.CharField(_("SKU"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    warehouse = models.CharField(_("site"), max_length=50, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    recorded_quantity = models.DecimalField(_("recorded quantity"), max_digits=18, decimal_places=3)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=18, decimal_places=4, null=True, blank=True)
    recorded_value = models.DecimalField(_("recorded value"), **MONEY)
    counted_quantity = models.DecimalField(
        _("counted quantity"),
        max_digits=18,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    counted_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["exam", "position"]
        constraints = [models.UniqueConstraint(fields=["exam", "row"], name="one_exam_line_per_row")]

    def __str__(self) -> str:
        return f"{self.sku} (row {self.row})"


class FindingKind(models.TextChoices):
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    NOT_OWNED = "not_owned", _("Not owned by the client")
    UNDECLARED_SITE = "undeclared_site", _("At an undeclared site")


class FindingDecision(models.TextChoices):
    PENDING = "pending", _("To decide")
    RESERVE = "reserve", _("Accepted as a reserve")
    EXCLUSION = "exclusion", _("Accepted as a line exclusion")
    REJECTED = "rejected", _("Rejected")


class FieldExamFinding(models.Model):
    """Something the controller found on a sampled line, with the amount at stake; the advisor
    accepts it as a reserve or a line exclusion, or rejects it."""

    line = models.ForeignKey(FieldExamLine, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("finding"), max_length=20, choices=FindingKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=FindingDecision.choices, default=FindingDecision.PENDING
    )
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # An accepted line exclusion stays in force until an advisor withdraws it, saying why
    # (valuation.field_exams.services.withdraw_exclusion); the decision is kept, for the record.
    withdrawn_at = models.DateTimeField(_("exclusion withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    withdrawal_note = models.CharField(_("why the exclusion was withdrawn"), max_length=500, blank=True)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.line})"

    @property
    def excludes(self) -> bool:
        """Whether this finding takes its line out of the facility's valuations now."""
        return self.decision == FindingDecision.EXCLUSION and self.withdrawn_at is None


class FieldExamPhoto(models.Model):
    """A photo taken of a counted line, with when and (when the browser gave it) where."""

    line = models.ForeignKey(FieldExamLine, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="field-exams/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    taken_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    # When the camera says it took the picture (EXIF DateTimeOriginal or DateTime), if it does.
    exif_taken_at = models.DateTimeField(_("taken at (camera)"), null=True, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["line", "taken_at", "id"]

    def __str__(self) -> str:
        return f"photo of {self.line} at {self.taken_at:%Y-%m-%d %H:%M}"


# ------------------------------------------------------------------------ end of field exams
