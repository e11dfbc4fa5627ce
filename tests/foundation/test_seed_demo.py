"""`manage.py seed_demo` (run by `make run`) gives each demo log-in something to do, and running it
again changes nothing."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from borrowers.management.commands.seed_demo import (
    BORROWING_BASE_FACILITY,
    DEMO_PASSWORD,
    LOGINS,
    PLEDGE_FACILITY,
)
from borrowers.models import ClientCompany, Firm, Role, StockCategory, User, Warehouse
from facilities.models import Facility, Lender, Structure
from reports.models import Certification, RenderStatus, ReportKind, ReportShare, ReportVersion
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Firm,
            ClientCompany,
            Warehouse,
            StockCategory,
            Lender,
            Facility,
            User,
            StockUpload,
            ValuationRun,
            ReportVersion,
            ReportShare,
        )
    }


# The demo runs its tasks in-process after its transaction commits: a transactional test database.
@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_each_role_its_work_and_runs_twice_to_the_same_data():
    printed = seed()
    for email in LOGINS.values():
        assert email in printed
    assert DEMO_PASSWORD in printed

    first = counts()
    assert first == {
        "Firm": 1,
        "ClientCompany": 1,
        "Warehouse": 3,
        "StockCategory": 3,
        "Lender": 1,
        "Facility": 2,
        "User": 3,
        "StockUpload": 1,
        "ValuationRun": 2,
        "ReportVersion": 2,
        "ReportShare": 1,
    }
    for role, email in LOGINS.items():
        user = authenticate(username=email, password=DEMO_PASSWORD)
        assert user is not None and user.role == role

    upload = StockUpload.objects.get()
    assert upload.status == UploadStatus.ACCEPTED, upload.failure_reason
    assert set(ValuationRun.objects.values_list("status", flat=True)) == {RunStatus.DONE}

    # Figures a banker would believe, checkable by hand: a ~5.8 M stock file for a client with 6 M
    # average stock (24 M cost of sales, rotation 4, 90 days), liquidation below cost.
    runs = {run.facility.name: run for run in ValuationRun.objects.select_related("facility")}
    for run in runs.values():
        assert run.book_value == Decimal("5763442.49")
        assert run.eligible_value == Decimal("4102569.40")
        assert run.liquidation_value < run.book_value
        assert run.result["working_capital"]["rotation"] == "4.00"
        assert run.result["working_capital"]["days_of_stock"] == "90.0"
        recovery = {row["category"]: row["recovery_ratio_pct"] for row in run.result["liquidation"]["by_category"]}
        assert recovery == {"raw_material": "80.00", "wip": "40.00", "finished_good": "85.00"}
        assert not [warning for warning in run.result["warnings"] if "over-advance" in warning]
    # The pledge: 4,102,569.40 × 75 % fungibility ÷ 150 % over-collateralisation, 1.8 M drawn.
    pledge_run = runs[PLEDGE_FACILITY]
    assert pledge_run.financing == Decimal("2051284.70")
    assert pledge_run.availability == Decimal("251284.70")
    assert pledge_run.result["financing"]["binding"] == "guarantee"
    # The borrowing base: 55 % of eligible cost less the 60,000 priority payables reserve (below
    # the 85 % NOLV leg, the loan-to-value caps and the 3 M limit), 2 M drawn.
    bb_run = runs[BORROWING_BASE_FACILITY]
    assert bb_run.financing == Decimal("2196413.17")
    assert bb_run.availability == Decimal("196413.17")
    assert bb_run.result["financing"]["binding"] == "cost_leg"
    # Real cost: EURIBOR 3.2 % + 2.25 % on the drawn, 0.5 % on the undrawn, the yearly fees.
    assert bb_run.result["financing_cost"]["total"] == "140000.00"  # 109,000 + 5,000 + 26,000
    assert pledge_run.result["financing_cost"]["total"] == "107600.00"  # 98,100 + 3,500 + 6,000

    # The bank log-in has a financing report of the pledge to review, its PDF ready.
    pledge = Facility.objects.get(name=PLEDGE_FACILITY)
    assert pledge.structure == Structure.PLEDGE_WITHOUT_DISPOSSESSION
    financing_report = ReportVersion.objects.get(kind=ReportKind.FINANCING_REPORT)
    assert financing_report.facility == pledge
    assert financing_report.render_status == RenderStatus.READY, financing_report.failure_reason
    bank = User.objects.get(email=LOGINS[Role.BANK])
    assert ReportVersion.objects.visible_to(bank).get() == financing_report

    # The client log-in has a borrowing base certificate to certify (not shared until then).
    certificate = ReportVersion.objects.get(kind=ReportKind.BORROWING_BASE_CERTIFICATE)
    assert certificate.facility == Facility.objects.get(name=BORROWING_BASE_FACILITY)
    assert not Certification.objects.exists()
    assert not ReportShare.objects.filter(report=certificate).exists()
    client_user = User.objects.get(email=LOGINS[Role.CLIENT])
    assert certificate in ReportVersion.objects.visible_to(client_user)

    # A second run: the same records, and the demo password still works.
    User.objects.filter(email=LOGINS[Role.ADVISOR]).update(password="")
    seed()
    assert counts() == first
    assert authenticate(username=LOGINS[Role.ADVISOR], password=DEMO_PASSWORD) is not None


@pytest.mark.django_db(transaction=True)
def test_seed_demo_values_a_facility_added_after_the_demo_file_and_issues_its_report():
    """A demo database from before the borrowing base facility existed: the facility has no
    valuation and no certificate; seeding again values it from the stored demo file and issues it."""
    seed()
    facility = Facility.objects.get(name=BORROWING_BASE_FACILITY)
    ReportVersion.objects.filter(facility=facility).delete()
    ValuationRun.objects.filter(facility=facility).delete()

    seed()
    run = ValuationRun.objects.get(facility=facility)
    assert run.status == RunStatus.DONE, run.failure_reason
    assert run.upload == StockUpload.objects.get()
    assert ReportVersion.objects.get(facility=facility).kind == ReportKind.BORROWING_BASE_CERTIFICATE
    assert ReportShare.objects.count() == 1  # the financing report's share, not a second one


@pytest.mark.django_db(transaction=True)
def test_seed_demo_prints_one_line_per_step_and_the_log_ins_and_nothing_else(caplog, capsys):
    """`make run` shows a newcomer the steps and the log-ins: no broker warning (tasks run
    in-process), no PDF renderer progress, no audit or task log lines."""
    caplog.set_level(logging.INFO)
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--url", "http://127.0.0.1:8123", stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert lines == [
        "Demo firm and users… done",
        "Valuing the demo stock file… done (2 facilities)",
        "Issuing the demo reports… done",
        "Demo data ready. Log in at http://127.0.0.1:8123/login/ with:",
        *[line for line in lines[4:] if "password: " + DEMO_PASSWORD in line],
    ]
    assert len(lines) == 4 + len(LOGINS)
    assert err.getvalue() == ""
    printed = capsys.readouterr()
    logged = [f"{record.name}: {record.getMessage()}" for record in caplog.records]
    everything = "\n".join([*lines, printed.out, printed.err, *logged]).lower()
    for noise in ("broker", "kombu", "hostname", "weasyprint", "fonttools", "celery", "audit"):
        assert noise not in everything, everything
    assert logged == []
    # The loggers are as they were once the command is done.
    assert logging.getLogger().getEffectiveLevel() == logging.INFO
    assert logging.getLogger("stockpledge.audit").getEffectiveLevel() == logging.INFO


@pytest.mark.django_db(transaction=True)
def test_seed_demo_dossiers_are_current_and_within_their_limits(client):
    """Each demo dossier shows its figures as current (no "out of date" banner) and no over-advance."""
    seed()
    client.force_login(User.objects.get(email=LOGINS[Role.ADVISOR]))
    for facility in Facility.objects.all():
        page = client.get(facility.get_absolute_url())
        assert page.status_code == 200
        assert b"figures-outdated" not in page.content, facility.name
        assert b"over-advance" not in page.content.lower(), facility.name
