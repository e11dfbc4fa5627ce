"""`access.facilities_shared_with_bank`: the one decision of which facilities a bank follows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from borrowers.common import access
from reports.models import ReportShare


@pytest.mark.django_db
def test_a_bank_follows_only_the_facilities_with_a_report_shared_with_its_lender(world):
    assert list(access.facilities_shared_with_bank(world.bank_shared)) == [world.facility_x]
    assert not access.facilities_shared_with_bank(world.bank_unshared).exists()
    for nobody in (world.advisor_a, world.client_user_x, None):
        assert not access.facilities_shared_with_bank(nobody).exists()


@pytest.mark.django_db
def test_a_withdrawn_share_stops_the_following(world):
    ReportShare.objects.filter(lender=world.lender_a).update(withdrawn_at=timezone.now())
    assert not access.facilities_shared_with_bank(world.bank_shared).exists()


@pytest.mark.django_db
def test_a_share_still_rendering_is_not_followed_yet(world):
    world.report_x.render_status = "rendering"
    world.report_x.save(update_fields=["render_status"])
    assert not access.facilities_shared_with_bank(world.bank_shared).exists()
