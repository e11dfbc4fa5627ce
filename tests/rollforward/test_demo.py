"""The demo carries a year of roll-forward for Atelier Lumière: reconciled periods, a count loss
entered as an adjustment, and a latest period with a shrinkage left unexplained within tolerance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from borrowers.models import ClientCompany
from facilities.models import Facility
from tests.foundation.test_seed_demo import seed
from valuation.engine import rollforward as rf
from valuation.models import Alert, RollforwardPeriod
from valuation.pipeline import rollforward as services


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_a_year_of_roll_forward_once():
    seed()
    client = ClientCompany.objects.get(legal_name__icontains="Lumière")
    facility = Facility.objects.filter(client=client).first()
    periods = [row.period for row in services.facility_periods(facility)]
    assert len(periods) == 12
    assert periods[0].state == rf.NO_OPENING
    assert [p.state for p in periods[1:]] == [rf.WITHIN] * 11
    assert all(p.unreconciled == 0 for p in periods[1:-1])
    latest = periods[-1]
    # 0.4 % of the closing stock, rounded to the cent, left out: within the default 0.5 %.
    assert latest.unreconciled == -(latest.reported_closing * Decimal("0.004")).quantize(Decimal("0.01"))
    assert periods[-2].inputs.adjustments < 0
    assert not Alert.objects.filter(kind="rollforward_unreconciled").exists()
    entered = RollforwardPeriod.objects.count()
    seed()
    assert RollforwardPeriod.objects.count() == entered
