"""The roll-forward in a report: the last periods up to the report's stock date, frozen at issue
(a re-render shows them as issued, whatever is entered afterwards)."""

from __future__ import annotations

from typing import Any

from valuation.engine import rollforward as engine
from valuation.pipeline import rollforward as services

REPORT_PERIODS = 3


def frozen_rollforward(run: Any, *, periods: int = REPORT_PERIODS) -> dict[str, Any]:
    """The facility's last ``periods`` roll-forward periods ending on or before the run's stock
    date, with the source of each period's inputs, as JSON."""
    rows = services.facility_periods(run.facility, until=run.as_of)[-periods:]
    tolerance = services.tolerance_of(run.facility)
    return {
        "tolerance": {"amount": str(tolerance.amount), "pct": str(tolerance.pct)},
        "periods": [
            {
                **row.period.as_json(),
                "source": row.record.source if row.record is not None else "",
                "ledger_name": row.record.ledger_name if row.record is not None else "",
            }
            for row in rows
        ],
    }


def rollforward_presentation(frozen: dict[str, Any]) -> dict[str, Any]:
    """The frozen periods, newest first, for ``reports/pdf/_rollforward.html``."""
    data = (frozen.get("extra") or {}).get("rollforward") or {}
    tables = [
        {
            "period": engine.Period.from_json(item),
            "source": item.get("source") or "",
            "ledger_name": item.get("ledger_name") or "",
        }
        for item in data.get("periods") or []
    ]
    tolerance = data.get("tolerance") or {}
    return {
        "rollforward": list(reversed(tables)),
        "rollforward_tolerance": engine.Tolerance(
            amount=to_dec(tolerance.get("amount")), pct=to_dec(tolerance.get("pct"))
        )
        if tolerance
        else None,
    }


def to_dec(value: Any) -> Any:
    from decimal import Decimal

    return Decimal(str(value)) if value not in (None, "") else Decimal("0")
