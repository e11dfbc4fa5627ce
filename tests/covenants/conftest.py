"""Covenants on the shared world's facility (pledge 2026 of Xylo Industries, shared with Banque Un)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from facilities import covenant_services
from facilities.models import Covenant
from tests.pipeline.conftest import upload_csv  # noqa: F401 - the pipeline's upload fixture


@pytest.fixture
def add_covenant(world, django_capture_on_commit_callbacks):
    """Save a covenant through the service as the firm's advisor, running what the commit sends."""

    def add(metric: str, threshold: str, **fields) -> Covenant:
        covenant = Covenant(facility=world.facility_x, metric=metric, threshold=Decimal(threshold), **fields)
        with django_capture_on_commit_callbacks(execute=True):
            covenant_services.save_covenant(by=world.advisor_a, covenant=covenant)
        return covenant

    return add


@pytest.fixture
def enter_statement(world, django_capture_on_commit_callbacks):
    """Enter a financial statement as the client's CFO, running what the commit sends."""

    def enter(period_end: dt.date, **lines: str):
        with django_capture_on_commit_callbacks(execute=True):
            return covenant_services.save_statement(
                by=world.client_user_x, facility=world.facility_x, period_end=period_end, lines=lines
            )

    return enter
