"""Tenants (advisory firms), the borrower companies they advise, their sites and stock categories,
the people who log in, invitations and the audit trail."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = {
    "max_digits": 7,
    "decimal_places": 3,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


class Firm(models.Model):
    """An advisory firm: the tenant that owns clients, lenders, dossiers and reports."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.TextField(_("address"), blank=True)
    brand_colour = models.CharField(_("brand colour"), max_length=7, default="#1f4e79")
    logo = models.ImageField(_("logo"), upload_to="firm-logos/", blank=True)
    jump_threshold_pct = models.DecimalField(
        _("jump alert threshold (%)"),
        max_digits=7,
        decimal_places=3,
        default=Decimal("25"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1000"))],
        help_text=_(
            "A new stock file whose book value, eligible stock or line count moves more than this "
            "from the facility's previous file is flagged before anyone relies on it."
        ),
    )
    reporting_currency = models.CharField(
        _("reporting currency"),
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO currency code, e.g. EUR."))],
        help_text=_("The dashboard sorts and totals every facility in this currency (ISO 4217)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("advisory firm")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADVISOR = "advisor", _("Advisor")
    CLIENT = "client", _("Client user")
    BANK = "bank", _("Bank partner")
    # Field exams (issue 16): a stock controller counts sampled lines on the facilities it is assigned to.
    CONTROLLER = "controller", _("Stock controller")


# ------------------------------------------------------------------ field exams: control firms


class ControlFirm(models.Model):
    """A stock-control firm (a trusted third party) an advisory firm works with; its staff are
    controller users. A firm's own staff may be controllers too, with no control firm."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="control_firms")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("control firm")
        constraints = [models.UniqueConstraint(fields=["firm", "name"], name="unique_control_firm_name")]

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------ end of field exams


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("role", Role.ADVISOR)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    """A person who logs in, with exactly one role and the one party that role belongs to."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    firm = models.ForeignKey(
        Firm, verbose_name=_("firm"), on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    client = models.ForeignKey(
        "borrowers.ClientCompany",
        verbose_name=_("client company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    lender = models.ForeignKey(
        "facilities.Lender",
        verbose_name=_("lender"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # Field exams: the control firm of a controller user (blank: one of the advisory firm's own staff).
    control_firm = models.ForeignKey(
        ControlFirm,
        verbose_name=_("control firm"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_firm_admin = models.BooleanField(_("firm administrator"), default=False)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            # Each role is tied to its own kind of party, and only to that one: the access module
            # relies on it, so the database enforces it.
            models.CheckConstraint(
                name="user_role_matches_party",
                condition=(
                    models.Q(role="advisor", firm__isnull=False, client__isnull=True, lender__isnull=True)
                    | models.Q(role="client", firm__isnull=False, client__isnull=False, lender__isnull=True)
                    | models.Q(role="bank", firm__isnull=False, client__isnull=True, lender__isnull=False)
                    | models.Q(role="controller", firm__isnull=False, client__isnull=True, lender__isnull=True)
                    | models.Q(is_superuser=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def set_password(self, raw_password: str | None) -> None:
        """Set a new password and end every API token of the user: a token taken under the old
        password (or stolen with it) must not outlive it. Django's password change and reset
        views, the admin and ``createsuperuser`` all come through here. Sessions on other
        devices end too, through the session's password hash."""
        super().set_password(raw_password)
        if self.pk is not None:
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user_id=self.pk).delete()

    @property
    def is_advisor(self) -> bool:
        return self.role == Role.ADVISOR and self.firm_id is not None

    @property
    def is_client_user(self) -> bool:
        return self.role == Role.CLIENT and self.client_id is not None

    @property
    def is_bank_user(self) -> bool:
        return self.role == Role.BANK and self.lender_id is not None

    @property
    def is_controller(self) -> bool:
        return self.role == Role.CONTROLLER and self.firm_id is not None


class BusinessModel(models.TextChoices):
    MAKE_TO_STOCK = "make_to_stock", _("Make to stock")
    MAKE_TO_ORDER = "make_to_order", _("Make to order")
    TRADING = "trading", _("Trading")


class Situation(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    TURNAROUND = "turnaround", _("Turnaround")


class ClientCompanyQuerySet(models.QuerySet["ClientCompany"]):
    def visible_to(self, user: User) -> ClientCompanyQuerySet:
        from borrowers.common import access

        return access.scope(self, user)


# The facts an advisor edits about a client (the API shares them; the web form adds advisor notes).
CLIENT_FACT_FIELDS = (
    "legal_name",
    "registration_number",
    "country",
    "currency",
    "sector",
    "business_model",
    "situation",
    "language",
    "annual_cost_of_sales",
    "average_stock",
    "total_debt",
    "tangible_net_worth",
    "receivables_borrowing",
)


class ClientCompany(models.Model):
    """A borrower company advised by a firm: owns the stock, uploads stock files."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="clients")
    legal_name = models.CharField(_("legal name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR", help_text=_("ISO 3166 code"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR", help_text=_("ISO 4217 code"))
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    business_model = models.CharField(
        _("business model"), max_length=20, choices=BusinessModel.choices, default=BusinessModel.MAKE_TO_STOCK
    )
    situation = models.CharField(_("situation"), max_length=20, choices=Situation.choices, default=Situation.HEALTHY)
    language = models.CharField(_("report language"), max_length=10, choices=settings.LANGUAGES, default="fr")
    annual_cost_of_sales = models.DecimalField(_("annual cost of sales"), **MONEY, null=True, blank=True)
    average_stock = models.DecimalField(_("average stock"), **MONEY, null=True, blank=True)
    total_debt = models.DecimalField(_("total debt"), **MONEY, null=True, blank=True)
    tangible_net_worth = models.DecimalField(_("tangible net worth"), **MONEY, null=True, blank=True)
    receivables_borrowing = models.DecimalField(
        _("receivables borrowing"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Advances drawn against receivables, used by the inventory cap."),
    )
    internal_notes = models.TextField(_("advisor notes"), blank=True, help_text=_("Never shown to the client."))
    reporting_period_days = models.PositiveSmallIntegerField(
        _("reporting period (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("A stock file older than this is flagged as stale; blank: 35 days."),
    )
    # What the client's own users see of their dossier (the advisor chooses).
    client_sees_figures = models.BooleanField(
        _("client sees the key figures"), default=True, help_text=_("Book value, eligible stock, financing.")
    )
    client_sees_waterfall = models.BooleanField(_("client sees the waterfall chart"), default=False)
    client_sees_ineligibles = models.BooleanField(_("client sees the ineligible stock by reason"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientCompanyQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("client company")
        verbose_name_plural = _("client companies")
        constraints = [models.UniqueConstraint(fields=["firm", "legal_name"], name="unique_client_name_per_firm")]

    def __str__(self) -> str:
        return self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("valuation:client-detail", args=[self.pk])


class Tenure(models.TextChoices):
    OWNED = "owned", _("Owned")
    LEASED = "leased", _("Leased")
    THIRD_PARTY = "third_party", _("Third-party warehouse")


# The facts an advisor edits about a site (web form and API alike).
WAREHOUSE_FIELDS = (
    "code",
    "name",
    "address",
    "tenure",
    "landlord_waiver",
    "monthly_rent",
    "dispossession_possible",
    "physical_control_rating",
    "insured",
    "insurance_details",
)


class Warehouse(models.Model):
    """A site where a client keeps stock; its tenure and controls decide whether funders accept it."""

    client = models.ForeignKey(ClientCompany, on_delete=models.CASCADE, related_name="warehouses")
    code = models.CharField(_("code"), max_length=50, help_text=_("The code used in the stock files."))
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    tenure = models.CharField(_("tenure"), max_length=20, choices=Tenure.choices, default=Tenure.OWNED)
    landlord_waiver = models.BooleanField(_("landlord waiver"), default=False)
    monthly_rent = models.DecimalField(
        _("monthly rent"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("For a leased site: the basis of a rent reserve when there is no landlord waiver."),
    )
    dispossession_possible = models.BooleanField(_("dispossession possible"), default=False)
    physical_control_rating = models.PositiveSmallIntegerField(
        _("physical-control rating"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (weak) to 5 (strong)"),
    )
    insured = models.BooleanField(_("insured"), default=True)
    insurance_details = models.CharField(_("insurance"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["client", "code"], name="unique_warehouse_code")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def acceptable_by_default(self) -> bool:
        """A leased site without a landlord waiver is the classic location a funder refuses."""
        return not (self.tenure == Tenure.LEASED and not self.landlord_waiver)


class BaseCategory(models.TextChoices):
    RAW_MATERIAL = "raw_material", _("Raw materials")
    WIP = "wip", _("Work in progress")
    FINISHED_GOOD = "finished_good", _("Finished goods")


class LiquidityClass(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class StockCategory(models.Model):
    """A firm's stock (sub-)category, under one of the three base categories, with its rates."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="stock_categories")
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    base_category = models.CharField(_("base category"), max_length=20, choices=BaseCategory.choices)
    liquidity_class = models.CharField(
        _("liquidity class"), max_length=10, choices=LiquidityClass.choices, default=LiquidityClass.MEDIUM
    )
    default_recovery_pct = models.DecimalField(
        _("default recovery rate (%)"),
        **PERCENT,
        null=True,
        blank=True,
        help_text=_("Net realisable value as a share of cost when no resale price is given."),
    )
    selling_costs_pct = models.DecimalField(
        _("selling costs (% of resale)"),
        **PERCENT,
        null=True,
        blank=True,
        help_text=_("Transport, storage and commissions as a share of resale value."),
    )

    class Meta:
        ordering = ["base_category", "code"]
        verbose_name_plural = _("stock categories")
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="unique_category_code")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _default_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    """An e-mailed, expiring link that lets a client or bank user (or an advisor) set a password."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    client = models.ForeignKey(ClientCompany, on_delete=models.CASCADE, null=True, blank=True)
    lender = models.ForeignKey("facilities.Lender", on_delete=models.CASCADE, null=True, blank=True)
    # Field exams: a controller's control firm and the facilities it is assigned to on acceptance.
    control_firm = models.ForeignKey(ControlFirm, on_delete=models.CASCADE, null=True, blank=True)
    facilities = models.ManyToManyField(
        "facilities.Facility", verbose_name=_("facilities"), blank=True, related_name="controller_invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_default_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class FailedLogin(models.Model):
    """One failed log-in; recent ones lock the account. Kept in the database so every web process
    sees the same count."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} @ {self.at:%Y-%m-%d %H:%M}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user: User) -> AuditEventQuerySet:
        from borrowers.common import access

        return access.scope(self, user)


class AuditEvent(models.Model):
    """Who changed what and when, with the values before and after: the advisors' audit trail."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="audit_events")
    client = models.ForeignKey(
        ClientCompany, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=50)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value changed."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


ISO_CODE = RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO currency code, e.g. EUR."))
# Bounds of a sane rate (1 base = rate quote): the ECB's smallest and largest quotes are far
# inside them; a rate outside is a typing or decimal-separator mistake. 8 decimals at most keep
# every exact cross rate's fraction within 64-bit integers (valuation/engine/fx.py).
RATE_MIN = Decimal("0.000001")
RATE_MAX = Decimal("10000000")


class ExchangeRate(models.Model):
    """One dated quote of a firm's rate table: 1 base = rate quote (the ECB's convention)."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="exchange_rates")
    day = models.DateField(_("date"))
    base = models.CharField(_("base currency"), max_length=3, default="EUR", validators=[ISO_CODE])
    quote = models.CharField(_("quote currency"), max_length=3, validators=[ISO_CODE])
    rate = models.DecimalField(
        _("rate"),
        max_digits=16,
        decimal_places=8,
        validators=[MinValueValidator(RATE_MIN), MaxValueValidator(RATE_MAX)],
        help_text=_("How many units of the quote currency one unit of the base currency buys."),
    )
    source = models.CharField(_("source"), max_length=100, help_text=_('"ECB", or "manual: <who>".'))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "base", "quote"]
        verbose_name = _("exchange rate")
        constraints = [
            models.UniqueConstraint(fields=["firm", "day", "base", "quote"], name="one_rate_per_pair_and_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="rate_two_currencies"),
        ]

    def __str__(self) -> str:
        return f"{self.day} 1 {self.base} = {self.rate} {self.quote}"


# ------------------------------------------------------------------------------- notifications


class NotificationKind(models.TextChoices):
    UPLOAD_ACCEPTED = "upload_accepted", _("Stock file accepted")
    UPLOAD_REJECTED = "upload_rejected", _("Stock file rejected")
    DELIVERABLE_DUE = "deliverable_due", _("Deliverable due")
    DELIVERABLE_LATE = "deliverable_late", _("Deliverable late")
    ALERT_RAISED = "alert_raised", _("Alert raised")
    REPORT_SHARED = "report_shared", _("Report shared")
    BANK_COMMENT = "bank_comment", _("Comment from a lender")
    BANK_DECISION = "bank_decision", _("Decision from a lender")
    CERTIFICATE_WAITING = "certificate_waiting", _("Certificate waiting for certification")
    # Field exams (issue 16): counts handed in (to the advisors), a decision (to the controller).
    FIELD_EXAM_SUBMITTED = "field_exam_submitted", _("Field exam submitted")
    FIELD_EXAM_DECIDED = "field_exam_decided", _("Field exam decided")


class Notification(models.Model):
    """One message to one person (borrowers.common.notify): shown in their inbox when ``in_app``,
    e-mailed when ``wants_email`` (at once, or in the daily digest). ``subject_key`` names the
    event, so the same event never notifies the same person twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    subject_key = models.CharField(max_length=200, blank=True)
    in_app = models.BooleanField(default=True)
    wants_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "subject_key"],
                condition=~models.Q(subject_key=""),
                name="one_notification_per_event",
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"


class NotificationPreference(models.Model):
    """Whether a person gets one kind of notification in the inbox and by e-mail; without a row,
    the defaults for their role (borrowers.common.notify.default_preference)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by e-mail"), default=False)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class NotificationSettings(models.Model):
    """A person's notification switches that are not per kind: the daily digest replaces the
    immediate e-mails with one e-mail a day."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    daily_digest = models.BooleanField(_("one daily digest instead of immediate e-mails"), default=False)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"{self.user} · digest={self.daily_digest}"
