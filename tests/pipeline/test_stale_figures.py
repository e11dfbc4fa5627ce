"""No stale figures (issue 12, item 8): an edit to anything a valuation reads recomputes the affected
current runs from the stored lines, off the request; until then the dossier says "figures being
updated" and no report can be issued from the old figures. Every run records the engine version
and a digest of its inputs.

Figures are the pipeline's hand-worked ones (tests/pipeline/conftest.py): the good file values
at 3,757,906.65 under facility_x's pledge. Every line that counts is at site W01 (row 5, at W02,
is ineligible anyway): with W01 leased and no landlord waiver, a funder refuses the site and
eligible stock falls to 0.00, so the financing does too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from borrowers import services as borrower_services
from borrowers.common.errors import DomainError
from borrowers.models import ClientCompany, StockCategory, Tenure, Warehouse
from facilities.models import Facility
from facilities.services import save_facility
from facilities.terms import engine_terms_dict
from reports import services as report_services
from tests.pipeline.conftest import BOOK, FINANCING
from valuation.engine import ENGINE_VERSION
from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lease_w01_without_waiver(world, capture, *, execute: bool) -> None:
    site = Warehouse.objects.get(pk=world.warehouse_x.pk)
    site.tenure = Tenure.LEASED
    site.landlord_waiver = False
    with capture(execute=execute):
        borrower_services.save_record(by=world.advisor_a, instance=site)


def test_a_site_edit_revalues_the_current_run_from_its_stored_lines(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """Before: the edit recomputed nothing and the next report carried 3,757,906.65 lent against a
    site the funder refuses. Now the current run is recomputed: eligible 0.00, financing 0.00."""
    upload = upload_csv(world)
    before = services.current_run(world.facility_x)
    assert before.financing == FINANCING

    _lease_w01_without_waiver(world, django_capture_on_commit_callbacks, execute=True)

    after = services.current_run(world.facility_x)
    assert after.pk != before.pk and after.upload_id == upload.pk
    assert after.book_value == BOOK
    assert after.eligible_value == Decimal("0.00")
    assert after.financing == Decimal("0.00")
    assert services.freshness(after).is_current


def test_until_the_new_valuation_is_done_the_dossier_says_figures_being_updated_and_no_report_is_issued(
    world, upload_csv, django_capture_on_commit_callbacks
):
    upload_csv(world)
    old = services.current_run(world.facility_x)
    # The edit's revaluation is queued but not run: a worker has not taken it yet.
    _lease_w01_without_waiver(world, django_capture_on_commit_callbacks, execute=False)
    services.revalue_stale(client_id=world.client_x.pk)

    assert services.current_run(world.facility_x) == old  # the old figures stay shown…
    state = services.freshness(old)
    assert state.state == "updating"
    page = login(world.advisor_a).get(reverse("valuation:facility-detail", args=[world.facility_x.pk]))
    assert "Figures being updated." in page.content.decode()

    with pytest.raises(DomainError) as refused:  # …but no report is issued from them
        report_services.issue_report(run=old, by=world.advisor_a)
    assert refused.value.code == "stale_inputs"
    issue = {"language": "en", "kind": "financing_report"}
    response = login(world.advisor_a).post(reverse("reports:report-issue", args=[old.pk]), issue)
    assert "wait for the figures to be updated" in response.content.decode()


def test_a_revaluation_that_cannot_run_leaves_the_figures_flagged_out_of_date(
    world, upload_csv, django_capture_on_commit_callbacks
):
    """Terms the engine refuses: the new run fails, and the old figures are shown as out of date,
    never as current."""
    upload_csv(world)
    old = services.current_run(world.facility_x)
    facility = Facility.objects.get(pk=world.facility_x.pk)
    facility.criteria_settings = {"count_variance_pct": "250"}  # above 100 %: refused by the engine
    with django_capture_on_commit_callbacks(execute=True):
        save_facility(by=world.advisor_a, facility=facility)

    assert services.current_run(world.facility_x) == old
    state = services.freshness(old)
    assert state.state == "outdated"
    assert "count_variance_pct" in state.reason
    page = login(world.advisor_a).get(reverse("valuation:facility-detail", args=[world.facility_x.pk])).content
    assert "These figures are out of date." in page.decode()


def test_client_facts_and_firm_categories_are_inputs_too(world, upload_csv, django_capture_on_commit_callbacks):
    upload_csv(world)
    first = services.current_run(world.facility_x)

    client = ClientCompany.objects.get(pk=world.client_x.pk)
    client.total_debt = Decimal("6000000")
    with django_capture_on_commit_callbacks(execute=True):
        borrower_services.save_record(by=world.advisor_a, instance=client)
    second = services.current_run(world.facility_x)
    assert second.pk != first.pk
    assert second.terms["borrower"]["total_debt"] == "6000000"

    category = StockCategory.objects.get(pk=world.category_a.pk)
    category.liquidity_class = "low" if category.liquidity_class != "low" else "high"
    with django_capture_on_commit_callbacks(execute=True):
        borrower_services.save_record(by=world.advisor_a, instance=category)
    third = services.current_run(world.facility_x)
    assert third.pk != second.pk
    assert services.freshness(third).is_current


def test_an_edit_that_changes_nothing_a_valuation_reads_queues_nothing(
    world, upload_csv, django_capture_on_commit_callbacks
):
    upload_csv(world)
    runs = ValuationRun.objects.count()
    client = ClientCompany.objects.get(pk=world.client_x.pk)
    client.legal_name = "Xylo Industries SA"  # a name: not read by the engine
    with django_capture_on_commit_callbacks(execute=True):
        borrower_services.save_record(by=world.advisor_a, instance=client)
    assert ValuationRun.objects.count() == runs


def test_terms_put_back_make_their_earlier_run_current_again(world, upload_csv, django_capture_on_commit_callbacks):
    """A → B → A: the run computed under A is current again (before, B's run stayed current while
    the facility said A)."""
    upload_csv(world)
    run_a = services.current_run(world.facility_x)
    facility = Facility.objects.get(pk=world.facility_x.pk)
    facility.fungibility_share_pct = Decimal("80")
    with django_capture_on_commit_callbacks(execute=True):
        save_facility(by=world.advisor_a, facility=facility)
    run_b = services.current_run(world.facility_x)
    assert run_b != run_a
    facility.fungibility_share_pct = Decimal("75")
    with django_capture_on_commit_callbacks(execute=True):
        save_facility(by=world.advisor_a, facility=facility)
    assert services.current_run(world.facility_x) == run_a
    assert services.freshness(run_a).is_current


def test_a_figure_reads_the_same_from_a_form_and_from_the_database(world):
    """75 typed in a form and 75.000 read back are the same terms: no spurious "out of date"."""
    facility = Facility.objects.get(pk=world.facility_x.pk)
    facility.fungibility_share_pct = Decimal("75")
    in_memory = services.terms_hash(engine_terms_dict(facility))
    facility.save()
    reloaded = services.terms_hash(engine_terms_dict(Facility.objects.get(pk=facility.pk)))
    assert in_memory == reloaded


def test_every_run_records_the_engine_version_and_a_digest_of_its_inputs(world, upload_csv):
    upload = upload_csv(world)
    run = ValuationRun.objects.get(upload=upload, facility=world.facility_x)
    assert run.status == RunStatus.DONE
    assert run.engine_version == ENGINE_VERSION
    assert len(run.inputs_digest) == 64
    # Same bytes again under the same terms: same inputs, same digest; another stock date: another.
    again = upload_csv(world, name="copy.csv")
    assert ValuationRun.objects.get(upload=again, facility=world.facility_x).inputs_digest == run.inputs_digest
    later = upload_csv(world, as_of=dt.date(2026, 11, 16), name="later.csv")
    assert ValuationRun.objects.get(upload=later, facility=world.facility_x).inputs_digest != run.inputs_digest
