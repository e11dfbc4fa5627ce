"""The world's run of 31 October 2026, with figures worked out by hand: book 1,000,000.00 −
ineligible 150,000.00 (obsolete 100,000.00, in transit 50,000.00) = eligible 850,000.00;
borrowing base 460,000.00 after 20,000.00 of reserves; outstanding 300,000.00; availability
160,000.00."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import World

RESULT = {
    "eligibility": {
        "book_value": "1000000.00",
        "eligible": "850000.00",
        "ineligible": "150000.00",
        "by_reason": [{"reason": "obsolete", "amount": "100000.00"}, {"reason": "in_transit", "amount": "50000.00"}],
    },
    "liquidation": {"eligible_liquidation_value": "600000.00"},
    "financing": {
        "structure": "borrowing_base",
        "financing": "460000.00",
        "outstanding": "300000.00",
        "availability": "160000.00",
        "borrowing_base": {"reserves": "20000.00", "borrowing_base": "460000.00"},
    },
}

MATCHING = {
    "book_value": Decimal("1000000.00"),
    "ineligible": Decimal("150000.00"),
    "eligible": Decimal("850000.00"),
    "borrowing_base": Decimal("460000.00"),
    "financing": Decimal("460000.00"),
    "outstanding": Decimal("300000.00"),
    "availability": Decimal("160000.00"),
}


@pytest.fixture
def valued(world: World) -> World:
    world.run_x.result = RESULT
    world.run_x.save(update_fields=["result"])
    return world
