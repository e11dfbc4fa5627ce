"""A facility with monthly stock files of hand-picked book values (January to March 2024)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from facilities.models import Facility, Structure
from tests.workspace.conftest import make_upload
from tests.workspace.test_history import add_run
from valuation.models import ValuationRun

JAN, FEB, MAR, APR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)
BOOKS = {JAN: "10000.00", FEB: "10450.00", MAR: "9800.25"}


def add_stock_file(world, facility: Facility, day: dt.date, book: str, **extra) -> ValuationRun:
    upload = make_upload(
        world.client_x, world.advisor_a, as_of=day, checksum=f"rf{facility.pk}{day:%Y%m%d}{book}".ljust(64, "0")
    )
    return add_run(
        facility,
        upload,
        book=book,
        eligible=book,
        reasons={},
        liquidation=book,
        financing="0.00",
        availability="0.00",
        ltv="0",
        days="0",
        **extra,
    )


@pytest.fixture
def facility(world) -> Facility:
    """Client X's facility with a tolerance of 100.00 or 1 % of the closing stock."""
    facility = Facility.objects.create(
        client=world.client_x,
        lender=world.lender_a,
        name="Roll-forward BB",
        structure=Structure.BORROWING_BASE,
        rollforward_tolerance_amount=Decimal("100.00"),
        rollforward_tolerance_pct=Decimal("1"),
    )
    for day, book in BOOKS.items():
        add_stock_file(world, facility, day, book)
    return facility
