"""The roll-forward as the pages show it: one table per period with its inputs and their source.

The figures come from ``valuation.pipeline.rollforward.facility_periods`` (the pure engine's
periods); this module only decides what a reader sees of them: a client user whose advisor has not
opened the figures (``access.visibility``) sees the inputs it entered, not the book values, the
expected closing or the unreconciled amount; a bank sees no period after ``bank_shared_until``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from borrowers.common import access
from facilities.models import Facility
from valuation.engine import rollforward as engine
from valuation.pipeline import rollforward as services

# The dossier and the bank page show the latest periods; the roll-forward page shows them all.
RECENT_PERIODS = 6
STATE_BADGES = {
    engine.NO_OPENING: "badge-muted",
    engine.NO_INPUTS: "badge-muted",
    engine.NO_CLOSING: "badge-info",
    engine.WITHIN: "badge-ok",
    engine.BEYOND: "badge-bad",
}


@dataclass(frozen=True)
class PeriodTable:
    """One period's table: the engine's period, the row of inputs (None: nothing entered), and
    the badge of its state."""

    period: engine.Period
    record: Any
    badge: str
    state_label: str
    ledger_rows: tuple[tuple[int, str, str, str, str], ...] = ()


def state_label(state: str) -> str:
    from django.utils.translation import gettext as _

    return {
        engine.NO_OPENING: _("no opening: the first stock file"),
        engine.NO_INPUTS: _("no purchases, production or cost of goods sold entered yet"),
        engine.NO_CLOSING: _("the period's stock file is not valued yet"),
        engine.WITHIN: _("within tolerance"),
        engine.BEYOND: _("beyond tolerance"),
    }[state]


def bucket_label(bucket: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "purchases": _("Purchases"),
        "production": _("Production"),
        "cost_of_goods_sold": _("Cost of goods sold"),
        "adjustments": _("Adjustments"),
    }.get(bucket, bucket)


def tables(rows: list[services.PeriodRow], *, limit: int | None = None) -> list[PeriodTable]:
    """The periods' tables, newest first (at most ``limit``)."""
    chosen = rows[-limit:] if limit else rows
    return [
        PeriodTable(
            period=row.period,
            record=row.record,
            badge=STATE_BADGES[row.period.state],
            state_label=state_label(row.period.state),
            ledger_rows=tuple(
                (int(item[0]), str(item[1]), str(item[2]), bucket_label(str(item[3])), str(item[4]))
                for item in (row.record.ledger_rows if row.record is not None else [])
                if isinstance(item, list) and len(item) == 5
            ),
        )
        for row in reversed(chosen)
    ]


def rollforward_context(
    facility: Facility, user: Any, *, until: dt.date | None = None, limit: int | None = None, bank: bool = False
) -> dict[str, Any]:
    """What ``valuation/_rollforward.html`` shows to ``user``."""
    show_figures = True if bank else access.visibility(user, facility.client).figures
    rows = services.facility_periods(facility, until=until)
    return {
        "rollforward_tables": tables(rows, limit=limit),
        "rollforward_count": len(rows),
        "rollforward_show_figures": show_figures,
        "rollforward_currency": facility.currency or "EUR",
        "rollforward_tolerance": services.tolerance_of(facility),
        "rollforward_url": "" if bank else reverse("valuation:facility-rollforward", args=[facility.pk]),
        "rollforward_can_enter": (not bank) and access.can_enter_rollforward(user, facility),
    }


def dossier_rollforward(facility: Facility, user: Any) -> dict[str, Any]:
    """The dossier's roll-forward section: the latest periods."""
    return rollforward_context(facility, user, limit=RECENT_PERIODS)


def bank_rollforward(facility: Facility, user: Any, until: dt.date | None) -> dict[str, Any]:
    """The bank page's roll-forward: only periods up to what was shared with the bank."""
    if until is None:
        return {"rollforward_tables": [], "rollforward_count": 0}
    return rollforward_context(facility, user, until=until, limit=RECENT_PERIODS, bank=True)
