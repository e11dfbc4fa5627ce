"""The advisor dashboard's alert rules: pure functions of stored figures and dates (no Django).

Each rule answers one question about one client or facility; `valuation.workspace.dashboard` feeds them the
stored key figures of the current runs and the client's latest uploads, and the page labels them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

DEFAULT_REPORTING_PERIOD_DAYS = 35

# Alert codes (the page translates them; see valuation.workspace.dashboard.ALERT_LABELS).
OVER_ADVANCE = "over_advance"
REPLENISHMENT_BREACH = "replenishment_breach"
STALE_STOCK_FILE = "stale_stock_file"
NO_STOCK_FILE = "no_stock_file"
FAILED_UPLOAD = "failed_upload"
JUMP = "jump"
FIGURES_UPDATING = "figures_updating"
EXPIRED_APPRAISAL = "expired_appraisal"

# Worst first: the order alerts are listed in, and the weight used to sort by alerts.
SEVERITY = {
    OVER_ADVANCE: 4,
    REPLENISHMENT_BREACH: 4,
    JUMP: 3,
    FAILED_UPLOAD: 2,
    STALE_STOCK_FILE: 2,
    EXPIRED_APPRAISAL: 2,
    FIGURES_UPDATING: 1,
    NO_STOCK_FILE: 1,
}


@dataclass(frozen=True)
class Alert:
    code: str
    facility_id: int | None = None


def over_advance(availability: Decimal | None) -> bool:
    """Financing drawn above what the stock allows: availability below zero (not at zero)."""
    return availability is not None and availability < 0


def replenishment_breached(*, mobilisable: Decimal | None, committed_guarantee: Decimal | None) -> bool:
    """A pledge's replenishment clause: the stock must stay at least at the committed guarantee.

    No committed level (no clause) or no figure yet: nothing to check."""
    if mobilisable is None or committed_guarantee is None:
        return False
    return mobilisable < committed_guarantee


def pledge_cover_pct(*, mobilisable: Decimal | None, committed_guarantee: Decimal | None) -> Decimal | None:
    """Mobilisable stock ÷ committed guarantee, in %, half-up to one decimal; None without a clause."""
    if mobilisable is None or not committed_guarantee:
        return None
    return (mobilisable * 100 / committed_guarantee).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def stale_stock_file(*, last_stock_date: date | None, today: date, period_days: int | None) -> bool:
    """The latest accepted stock file is dated more than the reporting period (35 days when the
    client has none) before today. A file exactly one period old is still current."""
    if last_stock_date is None:
        return False  # reported separately as "no stock file yet"
    period = period_days or DEFAULT_REPORTING_PERIOD_DAYS
    return (today - last_stock_date).days > period


def failed_last_upload(last_upload_status: str | None) -> bool:
    """The most recent upload ended without figures: processing failed or the file was rejected."""
    return last_upload_status in ("failed", "rejected")


def client_alerts(
    *,
    today: date,
    period_days: int | None,
    last_stock_date: date | None,
    last_upload_status: str | None,
) -> list[Alert]:
    """The alerts that concern the client as a whole (its stock files)."""
    alerts = []
    if failed_last_upload(last_upload_status):
        alerts.append(Alert(FAILED_UPLOAD))
    if last_stock_date is None:
        alerts.append(Alert(NO_STOCK_FILE))
    elif stale_stock_file(last_stock_date=last_stock_date, today=today, period_days=period_days):
        alerts.append(Alert(STALE_STOCK_FILE))
    return alerts


def facility_alerts(
    *,
    facility_id: int,
    is_pledge: bool,
    availability: Decimal | None,
    mobilisable: Decimal | None,
    committed_guarantee: Decimal | None,
    jumps: int = 0,
    updating: bool = False,
) -> list[Alert]:
    """The alerts on one facility's current valuation: ``jumps`` is how many of its figures moved
    beyond the firm's threshold from the previous file; ``updating``, a revaluation under way."""
    alerts = []
    if over_advance(availability):
        alerts.append(Alert(OVER_ADVANCE, facility_id))
    if is_pledge and replenishment_breached(mobilisable=mobilisable, committed_guarantee=committed_guarantee):
        alerts.append(Alert(REPLENISHMENT_BREACH, facility_id))
    if jumps:
        alerts.append(Alert(JUMP, facility_id))
    if updating:
        alerts.append(Alert(FIGURES_UPDATING, facility_id))
    return alerts


def appraisal_expired(*, expiry_date: date | None, today: date) -> bool:
    """The facility's latest effective appraisal expired before today (an appraisal still valid
    on its last day is not expired). No appraisal: nothing to flag."""
    return expiry_date is not None and expiry_date < today


def alert_weight(alerts: list[Alert]) -> int:
    """A sort key: the sum of the alerts' severities (0 when all is well)."""
    return sum(SEVERITY[a.code] for a in alerts)
