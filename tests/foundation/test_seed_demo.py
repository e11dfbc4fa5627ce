"""`manage.py seed_demo` (run by `make run`) gives each demo log-in something to do, and running it
again changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from borrowers.models import ClientCompany, Firm, Role, StockCategory, User, Warehouse
from facilities.models import Facility, Lender, Structure
from reports.management.commands.seed_demo import (
    BORROWING_BASE_FACILITY,
    DEMO_PASSWORD,
    LOGINS,
    PLEDGE_FACILITY,
    SUZHOU_FACILITY,
)
from reports.models import Certification, RenderStatus, ReportKind, ReportShare, ReportVersion
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import services as valuation


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
        "ClientCompany": 2,
        "Warehouse": 5,
        "StockCategory": 3,
        "Lender": 2,
        "Facility": 3,
        "User": 4,  # a log-in per role: advisor, client, bank, stock controller
        "StockUpload": 15,  # a year of monthly files for the lamp maker, a quarter for Suzhou
        # 12 files × 2 facilities + 3 files × 1, and the pledge's latest file valued again with the
        # accepted field exam's count variance (reports/demo_controls.py).
        "ValuationRun": 28,
        "ReportVersion": 2,
        "ReportShare": 1,
    }
    for role, email in LOGINS.items():
        user = authenticate(username=email, password=DEMO_PASSWORD)
        assert user is not None and user.role == role

    assert set(StockUpload.objects.values_list("status", flat=True)) == {UploadStatus.ACCEPTED}
    assert set(ValuationRun.objects.values_list("status", flat=True)) == {RunStatus.DONE}

    # History: the lamp maker's twelve month ends, November 2025 to October 2026, its stock built
    # up over the summer for the lighting season (August above November) and drawn down since.
    lumiere = ClientCompany.objects.get(legal_name="Atelier Lumière SAS")
    periods = list(lumiere.uploads.order_by("as_of").values_list("as_of", flat=True))
    assert [(d.year, d.month) for d in periods] == [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]
    assert all((d + dt.timedelta(days=1)).day == 1 for d in periods)
    pledge_history = {
        run.upload.as_of: run.book_value
        for run in ValuationRun.objects.filter(facility__name=PLEDGE_FACILITY).select_related("upload")
    }
    assert len(pledge_history) == 12
    assert pledge_history[dt.date(2026, 8, 31)] > pledge_history[dt.date(2025, 11, 30)]
    assert pledge_history[dt.date(2026, 8, 31)] == max(pledge_history.values())

    # Figures a banker would believe, checkable by hand: a ~5.8 M stock file for a client with 6 M
    # average stock (24 M cost of sales, rotation 4, 90 days), liquidation below cost.
    runs = {facility.name: valuation.current_run(facility) for facility in Facility.objects.filter(client=lumiere)}
    assert all(run.upload.as_of == dt.date(2026, 10, 31) for run in runs.values())
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

    # The Chinese client reports in CNY (a GB18030 export with Chinese headers, read with no
    # mapping) under a borrowing base whose NOLV rests on the bank's June appraisal: 45 % of the
    # eligible cost binds, below 80 % of the eligible NOLV, the loan-to-value cap and the 30 M
    # limit; 22 M drawn.
    suzhou = Facility.objects.get(name=SUZHOU_FACILITY)
    assert suzhou.currency == "CNY" and suzhou.client.currency == "CNY"
    assert suzhou.client.uploads.count() == 3
    suzhou_run = valuation.current_run(suzhou)
    assert suzhou_run.upload.as_of == dt.date(2026, 10, 31)
    assert suzhou_run.book_value == Decimal("65776404.88")
    assert suzhou_run.eligible_value == Decimal("57812128.42")
    assert suzhou_run.liquidation_value < suzhou_run.eligible_value  # the appraisal's NOLV, below cost
    assert suzhou_run.financing == Decimal("26015457.79")  # 57,812,128.42 × 45 % = 26,015,457.789
    assert suzhou_run.availability == Decimal("4015457.79")
    assert suzhou_run.result["financing"]["binding"] == "cost_leg"
    assert Decimal(suzhou_run.result["financing"]["borrowing_base"]["nolv_leg"]) > suzhou_run.financing

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
    assert run.upload.as_of == dt.date(2026, 10, 31)  # the latest demo file
    assert ReportVersion.objects.get(facility=facility).kind == ReportKind.BORROWING_BASE_CERTIFICATE
    assert ReportShare.objects.count() == 1  # the financing report's share, not a second one


@pytest.mark.django_db(transaction=True)
def test_seed_demo_prints_one_line_per_step_and_the_log_ins_and_nothing_else(caplog, capsys, settings):
    """`make run` shows a newcomer the steps and the log-ins: no broker warning (tasks run
    in-process), no PDF renderer progress, no audit or task log lines, and none of the demo's
    notification e-mails, though `make run` prints e-mails to the console."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    caplog.set_level(logging.INFO)
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--url", "http://127.0.0.1:8123", stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert lines == [
        "Demo firm and users… done",
        "Valuing Atelier Lumière SAS's 12 monthly stock files… done (24 valuations)",
        "Valuing 苏州精工零部件有限公司's 3 monthly stock files… done (3 valuations)",
        "Issuing the demo reports… done",
        "Loading the demo controls (field exam, covenants, borrower's certificate)… done",
        "Demo data ready. Log in at http://127.0.0.1:8123/login/ with:",
        *[line for line in lines[6:] if "password: " + DEMO_PASSWORD in line],
    ]
    assert len(lines) == 6 + len(LOGINS)
    assert err.getvalue() == ""
    printed = capsys.readouterr()
    logged = [f"{record.name}: {record.getMessage()}" for record in caplog.records]
    everything = "\n".join([*lines, printed.out, printed.err, *logged]).lower()
    for noise in (
        "broker",
        "kombu",
        "hostname",
        "weasyprint",
        "fonttools",
        "celery",
        "audit",
        "subject:",
        "content-type",
    ):
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
