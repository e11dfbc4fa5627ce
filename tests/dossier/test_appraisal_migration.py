"""The former NOLV JSON becomes appraisal records: valid entries as rates, the rest kept in the
notes and not applied (never silently dropped)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dossier.migration_plan import others_compatible_with


@pytest.mark.django_db(transaction=True)
def test_nolv_json_becomes_an_appraisal_and_wrong_keys_are_recorded_not_applied():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    others = others_compatible_with(executor, ("facilities", "0006_appraisals"))
    before = [*others, ("facilities", "0006_appraisals")]
    after = [*others, ("facilities", "0008_remove_facility_nolv_appraisal")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    firm = old.get_model("borrowers", "Firm").objects.create(name="F")
    client = old.get_model("borrowers", "ClientCompany").objects.create(firm=firm, legal_name="C", currency="EUR")
    lender = old.get_model("facilities", "Lender").objects.create(firm=firm, name="B")
    Facility = old.get_model("facilities", "Facility")
    wrong = Facility.objects.create(
        client=client,
        lender=lender,
        name="Wrong keys",
        structure="borrowing_base",
        # "Raw materials" is not a category code: the old code ignored it, silently.
        nolv_appraisal={"Raw materials": 70, "finished_good": "45.5", "wip": "150"},
    )
    untouched = Facility.objects.create(client=client, lender=lender, name="None", structure="borrowing_base")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Appraisal = new.get_model("facilities", "Appraisal")
    appraisal = Appraisal.objects.get(facility_id=wrong.pk)
    rates = {r.base_category: r.nolv_pct for r in appraisal.rates.all()}
    assert rates == {"finished_good": Decimal("45.500")}  # only the valid entry applies
    assert "'Raw materials': 70" in appraisal.notes and "'wip': '150'" in appraisal.notes
    assert appraisal.expiry_date == appraisal.effective_date.replace(year=appraisal.effective_date.year + 1) - (
        dt.timedelta(days=1)
    )
    assert not Appraisal.objects.filter(facility_id=untouched.pk).exists()
