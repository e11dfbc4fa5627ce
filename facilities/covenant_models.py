"""Covenants of a facility and the financial statements the client enters for them.

What a covenant tests and how a test's state is decided are in the pure
``valuation.engine.covenants``; the tests themselves (they name the run or statement tested) are
the valuation floor's (``valuation.models.CovenantTest``). Imported by ``facilities.models`` so
Django finds the models.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from borrowers.models import MONEY
from valuation.engine import covenants as rules

# A covenant threshold may be an amount (availability, tangible net worth), a % (LTV, pledge
# cover), days, or a ratio (3.5 for 3.5:1): four places cover them all exactly.
THRESHOLD = {"max_digits": 20, "decimal_places": 4}
# A statement line's name is what a formula reads: a lower-case identifier.
INPUT_NAME = RegexValidator(
    r"^[a-z][a-z0-9_]{0,59}$",
    _("Use lower-case letters, digits and underscores, starting with a letter (e.g. total_debt)."),
)


class CovenantMetric(models.TextChoices):
    # The same codes as valuation.engine.covenants (which computes them).
    AVAILABILITY = rules.AVAILABILITY, _("Minimum availability")
    LTV = rules.LTV, _("Maximum loan-to-value (%)")
    PLEDGE_COVER = rules.PLEDGE_COVER, _("Minimum pledge cover (%)")
    DAYS_OF_STOCK = rules.DAYS_OF_STOCK, _("Maximum days of stock")
    DEBT_TO_TNW = rules.DEBT_TO_TNW, _("Maximum debt ÷ tangible net worth")
    TANGIBLE_NET_WORTH = rules.TANGIBLE_NET_WORTH, _("Minimum tangible net worth")
    FORMULA = rules.FORMULA, _("Formula over the financial statements")


class CovenantDirection(models.TextChoices):
    MIN = rules.MIN, _("At least the threshold")
    MAX = rules.MAX, _("At most the threshold")


class CovenantFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Covenant(models.Model):
    """One financial covenant of a facility: a metric, its threshold and direction, how often it
    is tested and how close to the threshold a compliant figure counts as at risk."""

    facility = models.ForeignKey(
        "facilities.Facility", verbose_name=_("facility"), on_delete=models.CASCADE, related_name="covenants"
    )
    name = models.CharField(_("name"), max_length=200, blank=True, help_text=_("Optional: as the agreement calls it."))
    metric = models.CharField(_("metric"), max_length=30, choices=CovenantMetric.choices)
    direction = models.CharField(
        _("direction"),
        max_length=3,
        choices=CovenantDirection.choices,
        help_text=_("Implied by every metric but a formula."),
    )
    threshold = models.DecimalField(_("threshold"), **THRESHOLD)
    formula = models.CharField(
        _("formula"),
        max_length=rules.MAX_FORMULA_LENGTH,
        blank=True,
        help_text=_("Only for a formula: statement line names, numbers, + - * / and parentheses."),
    )
    frequency = models.CharField(
        _("test frequency"), max_length=20, choices=CovenantFrequency.choices, default=CovenantFrequency.QUARTERLY
    )
    headroom_pct = models.DecimalField(
        _("at-risk headroom (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("A compliant figure within this % of the threshold is at risk."),
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility", "metric", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or str(self.get_metric_display())

    @property
    def from_runs(self) -> bool:
        return self.metric in rules.RUN_METRICS


class CovenantRevision(models.Model):
    """A covenant's terms as saved, once per save: the history of its threshold."""

    covenant = models.ForeignKey(Covenant, on_delete=models.CASCADE, related_name="revisions")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    threshold = models.DecimalField(_("threshold"), **THRESHOLD)
    direction = models.CharField(_("direction"), max_length=3, choices=CovenantDirection.choices)
    headroom_pct = models.DecimalField(_("at-risk headroom (%)"), max_digits=6, decimal_places=2)
    formula = models.CharField(_("formula"), max_length=rules.MAX_FORMULA_LENGTH, blank=True)
    frequency = models.CharField(_("test frequency"), max_length=20, choices=CovenantFrequency.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["covenant", "-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.covenant} · {self.changed_at:%Y-%m-%d}"

    @property
    def facility(self):  # type: ignore[no-untyped-def]
        return self.covenant.facility


class StatementSource(models.TextChoices):
    ENTERED = "entered", _("Entered")
    UPLOADED = "uploaded", _("Uploaded")


class FinancialStatement(models.Model):
    """The figures of the client's financial statements at one period end, as named amounts
    (``StatementLine``) the statement covenants read."""

    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="financial_statements",
    )
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    source = models.CharField(max_length=10, choices=StatementSource.choices, default=StatementSource.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility", "-period_end"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "period_end"], name="unique_statement_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.period_end.isoformat()}"

    def inputs(self) -> dict[str, Decimal]:
        """The statement's named amounts, as a formula reads them."""
        return {line.name: line.amount for line in self.lines.all()}


class StatementLine(models.Model):
    """One named amount of a financial statement (total_debt, tangible_net_worth, ebitda…)."""

    statement = models.ForeignKey(FinancialStatement, on_delete=models.CASCADE, related_name="lines")
    name = models.CharField(_("name"), max_length=60, validators=[INPUT_NAME])
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["statement", "name"]
        constraints = [models.UniqueConstraint(fields=["statement", "name"], name="unique_statement_line")]

    def __str__(self) -> str:
        return f"{self.name} = {self.amount}"

    @property
    def facility(self):  # type: ignore[no-untyped-def]
        return self.statement.facility
