"""The single ``reserves`` field becomes the "other" reserve, to the cent, with a reason saying it
was carried over, so no facility's borrowing base moves by the migration (and back again)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.dossier.migration_plan import others_compatible_with

BEFORE = ("facilities", "0004_complete_stored_terms")
AFTER = ("facilities", "0005_named_reserves_and_average_drawn")


@pytest.mark.django_db(transaction=True)
def test_the_old_reserves_figure_is_carried_over_into_other_with_a_reason():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    others = others_compatible_with(executor, BEFORE)
    executor.migrate([*others, BEFORE])
    old = executor.loader.project_state([*others, BEFORE]).apps
    firm = old.get_model("borrowers", "Firm").objects.create(name="F")
    client = old.get_model("borrowers", "ClientCompany").objects.create(firm=firm, legal_name="C", currency="EUR")
    lender = old.get_model("facilities", "Lender").objects.create(firm=firm, name="L")
    Facility = old.get_model("facilities", "Facility")
    kept = Facility.objects.create(
        client=client, lender=lender, name="A", structure="borrowing_base", reserves="250000.55"
    )
    none = Facility.objects.create(client=client, lender=lender, name="B", structure="borrowing_base")

    executor = MigrationExecutor(connection)
    executor.migrate([*others, AFTER])
    new = executor.loader.project_state([*others, AFTER]).apps.get_model("facilities", "Facility")
    migrated = new.objects.get(pk=kept.pk)
    assert migrated.other_reserve == Decimal("250000.55")
    assert migrated.other_reserve_reason == "Carried over from the former single reserves figure."
    assert (migrated.priority_payables_reserve, migrated.dilution_reserve, migrated.shrink_reserve_pct) == (0, 0, 0)
    assert (migrated.leased_site_treatment, migrated.rent_reserve_months, migrated.average_drawn) == (
        "exclude",
        3,
        None,
    )
    untouched = new.objects.get(pk=none.pk)
    assert (untouched.other_reserve, untouched.other_reserve_reason) == (0, "")

    executor = MigrationExecutor(connection)
    executor.migrate([*others, BEFORE])
    back = executor.loader.project_state([*others, BEFORE]).apps.get_model("facilities", "Facility")
    assert back.objects.get(pk=kept.pk).reserves == Decimal("250000.55")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
