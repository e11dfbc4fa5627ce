"""The demo's credit file (reports/demo_credit_file.py): filed once, its registration expiring."""

from __future__ import annotations

import pytest
from django.utils import timezone

from facilities import credit_file
from facilities.models import CreditDocument
from reports.demo_credit_file import load_credit_file


@pytest.mark.django_db
def test_the_demo_files_four_documents_once_with_the_registration_expiring(world):
    kwargs = dict(client=world.client_x, facility=world.facility_x, advisor=world.advisor_a)
    assert load_credit_file(**kwargs, client_user=world.client_user_x) == 4
    assert load_credit_file(**kwargs, client_user=world.client_user_x) == 0
    registration = CreditDocument.objects.get(kind="registration")
    state = credit_file.state_of(registration, timezone.localdate())
    # 40 days, or 39 or 41 when a 29 February falls between the two five-year steps.
    assert state.status == "expiring" and state.days_left in (39, 40, 41)
    certificate = CreditDocument.objects.get(kind="insurance_certificate")
    assert certificate.uploaded_by == world.client_user_x and certificate.content_type == "application/pdf"
