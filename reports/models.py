"""Frozen report versions, their sharing with lenders, and the lenders' comments and decisions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from borrowers.models import MONEY, User


class ReportKind(models.TextChoices):
    FINANCING_REPORT = "financing_report", _("Financing report")
    BORROWING_BASE_CERTIFICATE = "borrowing_base_certificate", _("Borrowing base certificate")


class RenderStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportVersionQuerySet(models.QuerySet["ReportVersion"]):
    def visible_to(self, user: User) -> ReportVersionQuerySet:
        from borrowers.common import access

        return access.scope(self, user)

    def claim_render(self, pk: int, *, lease_seconds: int) -> bool:
        """Claim the render with a conditional UPDATE: queued, or rendering under a lapsed lease
        (its worker died). False when another worker holds it or there is nothing to do."""
        stale = timezone.now() - timedelta(seconds=lease_seconds)
        claimable = models.Q(render_status=RenderStatus.QUEUED) | models.Q(
            render_status=RenderStatus.RENDERING, claimed_at__lt=stale
        )
        updated = self.filter(claimable, pk=pk).update(
            render_status=RenderStatus.RENDERING,
            claimed_at=timezone.now(),
            render_attempts=models.F("render_attempts") + 1,
        )
        return updated == 1


class ReportVersion(models.Model):
    """A numbered, dated, signed and frozen report issued from one valuation run."""

    run = models.ForeignKey("valuation.ValuationRun", on_delete=models.PROTECT, related_name="reports")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=30, choices=ReportKind.choices, default=ReportKind.FINANCING_REPORT)
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="fr")
    title = models.CharField(max_length=200)
    context = models.JSONField(default=dict, help_text=_("The frozen figures, terms and text."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    render_status = models.CharField(max_length=10, choices=RenderStatus.choices, default=RenderStatus.QUEUED)
    pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    failure_reason = models.TextField(blank=True)
    # The client copy: what the borrower's users download once an advisor shares the version
    # with them — without the levers and the line annex unless the advisor includes them.
    client_pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    client_shared_at = models.DateTimeField(null=True, blank=True)
    client_shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    client_includes_levers = models.BooleanField(_("include the levers"), default=False)
    client_includes_annex = models.BooleanField(_("include the annex of ineligible lines"), default=False)
    # The render job's lease (see ReportVersionQuerySet.claim_render) and attempt count.
    claimed_at = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)

    objects = ReportVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["facility", "kind", "number"], name="unique_report_number")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report-detail", args=[self.pk])

    @property
    def is_certificate(self) -> bool:
        return self.kind == ReportKind.BORROWING_BASE_CERTIFICATE

    @property
    def shared_with_client(self) -> bool:
        return self.client_shared_at is not None

    def pdf_for(self, user: User) -> models.fields.files.FieldFile:
        """The file `user` downloads: the client copy for the borrower's users (a certificate is
        one page of figures, the same for everyone), the full version for advisors and lenders."""
        if getattr(user, "is_client_user", False) and not self.is_certificate:
            return self.client_pdf
        return self.pdf


class ReportShare(models.Model):
    """A report version made visible to one lender's users, until withdrawn."""

    report = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="shares")
    lender = models.ForeignKey("facilities.Lender", on_delete=models.CASCADE, related_name="shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at"]
        # "Is this report shared with this lender?" is asked for every report of every facility a
        # bank follows (its portfolio, its pages): one index lookup per report, not a scan of
        # all the lender's shares.
        indexes = [models.Index(fields=["report", "lender"], name="reports_share_report_lender")]

    def __str__(self) -> str:
        return f"{self.report} → {self.lender}"


class ReportComment(models.Model):
    """A message in a report's thread between the advisors and the lender."""

    report = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=5000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.report}"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("Approve")
    CHANGES = "changes", _("Ask for changes")
    DECLINE = "decline", _("Decline")
    WAIVE = "waive", _("Waive a point")


class ReportDecision(models.Model):
    """A lender's decision on a report version, with its date and author."""

    report = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="decisions")
    lender = models.ForeignKey("facilities.Lender", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} – {self.report}"


class Certification(models.Model):
    """The client's authorised signatory certifying a borrowing base certificate."""

    report = models.OneToOneField(ReportVersion, on_delete=models.CASCADE, related_name="certification")
    signatory_name = models.CharField(_("signatory name"), max_length=200)
    signatory_title = models.CharField(_("title"), max_length=200, blank=True)
    statement = models.TextField(_("statement"))
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    certified_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.signatory_name} – {self.report}"


class ReportAccess(models.Model):
    """Each view and download of a report, for the lender-access log."""

    report = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=[("view", _("Viewed")), ("download", _("Downloaded"))])
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.report}"


# ---------------------------------------------------------------- the borrower's own certificate
# (issue 16, part 5: reports/borrower_certificates.py compares it with StockPledge's valuation)


class CertificateSource(models.TextChoices):
    FORM = "form", _("Entered in the form")
    FILE = "file", _("Read from a spreadsheet")


class BorrowerCertificate(models.Model):
    """A borrowing base certificate the borrower prepared itself, for one stock date."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="borrower_certificates")
    as_of = models.DateField(_("stock date"))
    currency = models.CharField(_("currency"), max_length=3)
    source = models.CharField(max_length=10, choices=CertificateSource.choices, default=CertificateSource.FORM)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file = models.FileField(upload_to="borrower-certificates/%Y/%m/", blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    # The tolerance in force when it was submitted, kept so the verdict does not move with a setting.
    tolerance_pct = models.DecimalField(max_digits=7, decimal_places=3)
    tolerance_amount = models.DecimalField(**MONEY)
    # The verdict at submission against the run then current for the stock date (None: no run).
    run = models.ForeignKey(
        "valuation.ValuationRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    beyond_tolerance = models.BooleanField(default=False)
    overstated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-as_of", "-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Borrower certificate {self.facility} @ {self.as_of}"

    def get_absolute_url(self) -> str:
        return reverse("reports:borrower-certificate-detail", args=[self.pk])


class BorrowerCertificateLine(models.Model):
    """One figure of a borrower's certificate (a line code of valuation.engine.certificate_check)."""

    certificate = models.ForeignKey(BorrowerCertificate, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(max_length=60)
    label = models.CharField(_("label"), max_length=200, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["certificate", "code"], name="one_borrower_line_per_code")]

    def __str__(self) -> str:
        return f"{self.code}: {self.amount}"
