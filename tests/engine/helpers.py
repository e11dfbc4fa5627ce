"""Small builders for hand-made stock frames and terms (no database, no Django)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from valuation.engine import columns as cols
from valuation.engine.terms import FacilityTerms, terms_from_dict

AS_OF = date(2026, 11, 21)

PLEDGE = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "100", "over_collateralisation_pct": "100"},
    # Hand-made lines mostly carry no resale price, so binding LTV caps would lend nothing on them:
    # tests of the structures' own arithmetic mark the caps indicative; test_ltv_caps.py shows
    # that they bind.
    "ltv_caps_indicative": True,
}


def frame(**columns: list[Any]) -> pd.DataFrame:
    """A canonical frame: decimals as text, flags as nullable booleans, dates as datetime64.

    Numbers given as int/str/Decimal become decimal text; ``None`` is a missing cell.
    """
    data: dict[str, Any] = {}
    for name, values in columns.items():
        kind = cols.COLUMNS.get(name)
        if kind == cols.DECIMAL:
            data[name] = pd.Series([None if v is None else str(v) for v in values], dtype="str")
        elif kind == cols.FLAG:
            data[name] = pd.array(values, dtype="boolean")
        elif kind == cols.DATE:
            data[name] = pd.to_datetime(pd.Series(values))
        elif kind == cols.TEXT:
            data[name] = pd.Series(values, dtype="str")
        else:
            data[name] = values
    return pd.DataFrame(data)


def lines(books: list[Any], categories: list[str] | None = None, **extra: list[Any]) -> pd.DataFrame:
    """Lines of quantity 1 whose book value is given, all raw material unless told otherwise."""
    n = len(books)
    return frame(
        sku=[f"S{i}" for i in range(1, n + 1)],
        category=categories or ["raw_material"] * n,
        quantity=["1"] * n,
        book_value=books,
        **extra,
    )


def terms(base: dict[str, Any] | None = None, **changes: Any) -> FacilityTerms:
    """Terms from a dict (PLEDGE at 100 % / 100 % by default, so financing = eligible)."""
    data = dict(base or PLEDGE)
    data.update(changes)
    return terms_from_dict(data)


def days_ago(days: int) -> date:
    return date.fromordinal(AS_OF.toordinal() - days)


def D(text: str) -> Decimal:  # noqa: N802 - reads like the Decimal it builds
    return Decimal(text)
