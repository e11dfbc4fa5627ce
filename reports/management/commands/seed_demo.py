"""Load the demo firm: one advisor, one client user, one bank user; a French lamp maker with
warehouses, categories, a lender, two facilities (a stock pledge and a borrowing base) and a year
of monthly stock files valued under both; a Chinese components maker with a CNY borrowing base and
three monthly stock files; a financing report shared with the lender (for the bank log-in to
review) and a borrowing base certificate waiting for the client's signature. Safe to run again:
each record is made once."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from borrowers.common import queueing
from borrowers.models import ClientCompany, Firm, Role, StockCategory, Tenure, User, Warehouse
from facilities.models import (
    Appraisal,
    AppraisalRate,
    Deliverable,
    DeliverableKind,
    Facility,
    Frequency,
    Lender,
    Structure,
    default_expiry,
)
from reports.models import ReportKind, ReportVersion

DEMO_PASSWORD = "demo-stockpledge-2026"  # noqa: S105 - printed on purpose: demo only
PLEDGE_FACILITY = "Gage sur stocks 2026"
BORROWING_BASE_FACILITY = "Ligne adossée aux stocks (ABL) 2026"
SUZHOU_CLIENT = "苏州精工零部件有限公司"
SUZHOU_FACILITY = "存货质押循环贷款 2026"
LOGINS = {
    Role.ADVISOR: "advisor@demo.stockpledge.test",
    Role.CLIENT: "client@demo.stockpledge.test",
    Role.BANK: "bank@demo.stockpledge.test",
    Role.CONTROLLER: "controller@demo.stockpledge.test",  # issue 16: made by reports.demo_controls
}

# What both demo facilities cost: 3-month EURIBOR, the bank's margin and a fee on the undrawn.
COST_TERMS = {
    "base_rate_pct": Decimal("3.2"),
    "margin_pct": Decimal("2.25"),
    "commitment_fee_pct": Decimal("0.5"),
}

# What the pipeline and the renderer log at INFO (audit lines, "upload processed", the PDF steps)
# is for operators; the seed says one line per step instead. Warnings and errors still show.
QUIET_LOGGERS = ("", "stockpledge", "celery", "kombu", "weasyprint", "fontTools")


@contextlib.contextmanager
def quiet_info_logs() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load (or refresh) the demo data and print the demo log-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="Where the demo is served, for the log-in address printed (`make run` passes HOST and PORT).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.url = options["url"].rstrip("/")
        logs = quiet_info_logs() if options["verbosity"] < 2 else contextlib.nullcontext()
        # The demo needs its valuations and reports done before it prints the log-ins: its tasks
        # run here even where the local settings run them in a background thread. Its
        # notifications stay in the demo users' inboxes: no e-mail (the console backend of
        # `make run` would print each one among the steps).
        no_mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
        with logs, no_mail, queueing.in_this_thread():
            self.step("Demo firm and users")
            self.load_firm_and_users()

    def step(self, text: str) -> None:
        self.stdout.write(f"{text}… ", ending="")
        self.stdout.flush()

    def done(self, detail: str = "") -> None:
        self.stdout.write(self.style.SUCCESS("done") + (f" ({detail})" if detail else ""))

    @transaction.atomic
    def load_firm_and_users(self) -> None:
        firm, _ = Firm.objects.get_or_create(
            name="Demo Advisory Partners", defaults={"address": "12 rue de la Bourse, 75002 Paris"}
        )
        client, _ = ClientCompany.objects.get_or_create(
            firm=firm,
            legal_name="Atelier Lumière SAS",
            defaults={
                "registration_number": "812 345 678 RCS Lyon",
                "country": "FR",
                "currency": "EUR",
                "sector": "Lighting manufacturing",
                "business_model": "make_to_stock",
                "language": "fr",
                # A mid-sized manufacturer: 24 M cost of sales on 6 M average stock (rotation 4,
                # 90 days); debt 9 M on 3 M tangible net worth (leverage 3).
                "annual_cost_of_sales": Decimal("24000000"),
                "average_stock": Decimal("6000000"),
                "total_debt": Decimal("9000000"),
                "tangible_net_worth": Decimal("3000000"),
                "receivables_borrowing": Decimal("3500000"),
                "internal_notes": "Advisor-only: the CFO wants the pledge signed before year end.",
            },
        )
        for code, name, tenure, waiver in [
            ("LYO", "Lyon – usine", Tenure.OWNED, False),
            ("VEN", "Vénissieux – entrepôt loué", Tenure.LEASED, True),
            ("MAR", "Marseille – dépôt portuaire", Tenure.LEASED, False),
        ]:
            Warehouse.objects.get_or_create(
                client=client, code=code, defaults={"name": name, "tenure": tenure, "landlord_waiver": waiver}
            )
        for code, name, base, liquidity in [
            ("MP", "Matières premières", "raw_material", "high"),
            ("EC", "En-cours", "wip", "low"),
            ("PF", "Produits finis", "finished_good", "medium"),
        ]:
            StockCategory.objects.get_or_create(
                firm=firm, code=code, defaults={"name": name, "base_category": base, "liquidity_class": liquidity}
            )
        lender, _ = Lender.objects.get_or_create(
            firm=firm, name="Banque Exemple", defaults={"contact_email": "credit@banque-exemple.test"}
        )
        Facility.objects.get_or_create(
            client=client,
            lender=lender,
            name=PLEDGE_FACILITY,
            defaults={
                "structure": Structure.PLEDGE_WITHOUT_DISPOSSESSION,
                "fungibility_share_pct": Decimal("75"),
                "over_collateralisation_pct": Decimal("150"),
                "facility_limit": Decimal("2500000"),
                "outstanding": Decimal("1800000"),
                **COST_TERMS,
                "servicing_fee": Decimal("6000"),
                "currency": "EUR",
            },
        )
        Facility.objects.get_or_create(
            client=client,
            lender=lender,
            name=BORROWING_BASE_FACILITY,
            defaults={
                "structure": Structure.BORROWING_BASE,
                "cost_advance_rate_pct": Decimal("55"),
                "nolv_advance_rate_pct": Decimal("85"),
                # A named reserve (priority payables: VAT and wages ranking before the bank).
                "priority_payables_reserve": Decimal("60000"),
                "facility_limit": Decimal("3000000"),
                "outstanding": Decimal("2000000"),
                **COST_TERMS,
                "monitoring_fee": Decimal("12000"),
                "field_exam_fee": Decimal("8000"),
                "servicing_fee": Decimal("6000"),
                "currency": "EUR",
            },
        )
        # The reporting calendar agreed with the bank: the monthly stock file (which each upload
        # closes), the quarterly accounts, the yearly insurance certificate.
        for name in (PLEDGE_FACILITY, BORROWING_BASE_FACILITY):
            facility = Facility.objects.get(client=client, name=name)
            for kind, frequency, due_days, grace_days in [
                (DeliverableKind.STOCK_FILE, Frequency.MONTHLY, 20, 5),
                (DeliverableKind.FINANCIAL_STATEMENTS, Frequency.QUARTERLY, 45, 10),
                (DeliverableKind.INSURANCE_CERTIFICATE, Frequency.YEARLY, 30, 0),
            ]:
                Deliverable.objects.get_or_create(
                    facility=facility,
                    kind=kind,
                    defaults={
                        "frequency": frequency,
                        "due_days": due_days,
                        "grace_days": grace_days,
                        "start": dt.date(2025, 11, 1),
                    },
                )
        users = {
            Role.ADVISOR: {"firm": firm, "is_firm_admin": True, "first_name": "Claire", "last_name": "Conseil"},
            Role.CLIENT: {
                "firm": firm,
                "client": client,
                "first_name": "Marc",
                "last_name": "Lumière",
                "language": "fr",
            },
            Role.BANK: {"firm": firm, "lender": lender, "first_name": "Sophie", "last_name": "Banque"},
        }
        for role, fields in users.items():
            user = User.objects.filter(email=LOGINS[role]).first()
            if user is None:
                User.objects.create_user(LOGINS[role], DEMO_PASSWORD, role=role, **fields)
            else:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        # --- the credit file (issue 16, part 4): the pledge's documents, its registration nearing
        # its lapse (an "expiring" item and alert), the client's insurance certificate.
        from reports.demo_credit_file import load_credit_file

        load_credit_file(
            client=client,
            facility=Facility.objects.get(client=client, name=PLEDGE_FACILITY),
            advisor=User.objects.get(email=LOGINS[Role.ADVISOR]),
            client_user=User.objects.filter(email=LOGINS[Role.CLIENT]).first(),
        )
        # --- end of the credit file
        suzhou = self.load_suzhou(firm)
        transaction.on_commit(lambda: self.load_stock_file_and_reports(client, suzhou))

    def load_suzhou(self, firm: Firm) -> ClientCompany:
        """The firm's Chinese client: a components maker reporting in CNY to a local bank."""
        client, _ = ClientCompany.objects.get_or_create(
            firm=firm,
            legal_name=SUZHOU_CLIENT,
            defaults={
                "registration_number": "91320594MA1X2Y3Z4K",
                "country": "CN",
                "currency": "CNY",
                "sector": "Precision components for the automotive industry",
                "business_model": "make_to_order",
                "language": "zh-hans",
                # 256 M CNY cost of sales on 64 M average stock (rotation 4); debt 80 M on 50 M.
                "annual_cost_of_sales": Decimal("256000000"),
                "average_stock": Decimal("64000000"),
                "total_debt": Decimal("80000000"),
                "tangible_net_worth": Decimal("50000000"),
            },
        )
        for code, name, tenure, waiver in [
            ("SZ01", "苏州工业园区自有仓库", Tenure.OWNED, False),
            ("SH02", "上海外高桥租赁仓库", Tenure.LEASED, True),
        ]:
            Warehouse.objects.get_or_create(
                client=client, code=code, defaults={"name": name, "tenure": tenure, "landlord_waiver": waiver}
            )
        lender, _ = Lender.objects.get_or_create(
            firm=firm, name="示例银行苏州分行", defaults={"contact_email": "credit@suzhou.example-bank.test"}
        )
        facility, _ = Facility.objects.get_or_create(
            client=client,
            lender=lender,
            name=SUZHOU_FACILITY,
            defaults={
                "structure": Structure.BORROWING_BASE,
                "cost_advance_rate_pct": Decimal("45"),
                "nolv_advance_rate_pct": Decimal("80"),
                "facility_limit": Decimal("30000000"),
                "outstanding": Decimal("22000000"),
                # One-year LPR 3.0 % plus the bank's margin, a fee on the undrawn.
                "base_rate_pct": Decimal("3.0"),
                "margin_pct": Decimal("1.2"),
                "commitment_fee_pct": Decimal("0.3"),
                "currency": "CNY",
            },
        )
        # The bank's appraiser put a net orderly liquidation value on each kind of stock in June:
        # steel and aluminium resell well, half-machined castings hardly, finished parts to the
        # car makers' other suppliers at a discount.
        appraisal, made = Appraisal.objects.get_or_create(
            facility=facility,
            effective_date=dt.date(2026, 6, 30),
            defaults={
                "appraiser": "王伟",
                "appraiser_firm": "苏州资产评估有限公司",
                "expiry_date": default_expiry(dt.date(2026, 6, 30)),
            },
        )
        if made:
            AppraisalRate.objects.bulk_create(
                AppraisalRate(appraisal=appraisal, base_category=base, nolv_pct=Decimal(pct))
                for base, pct in [("raw_material", "70"), ("wip", "25"), ("finished_good", "60")]
            )
        return client

    def load_stock_file_and_reports(self, client: ClientCompany, suzhou: ClientCompany) -> None:
        """Upload the demo stock files through the real pipeline (each period once), then issue
        the demo reports from the latest valuations. With in-process tasks (no REDIS_URL, as
        `make run`) the valuations are done by then; with a worker they may not be yet, and a
        second run of the command issues the reports."""
        from reports import demo
        from valuation.models import RunStatus, ValuationRun

        self.done()
        for company, periods in [(client, demo.lumiere_history()), (suzhou, demo.suzhou_history())]:
            self.step(f"Valuing {company.legal_name}'s {len(periods)} monthly stock files")
            demo.ensure_demo_uploads(client=company, periods=periods)
            facilities = Facility.objects.filter(client=company).count()
            valued = (
                ValuationRun.objects.filter(facility__client=company, status=RunStatus.DONE)
                .values("facility", "upload")
                .distinct()
                .count()
            )
            if valued < facilities * len(periods):  # a worker (REDIS_URL) values them after the command
                self.stdout.write(f"queued ({valued} of {facilities * len(periods)} valuations done so far)")
            else:
                self.done(f"{valued} valuations")
        self.step("Issuing the demo reports")
        demo.ensure_demo_rollforward(client=client)  # roll-forward (issue 16): before the certificate
        advisor = User.objects.get(email=LOGINS[Role.ADVISOR])
        waiting = self.issue_reports(client, advisor)
        if waiting:
            self.stdout.write(
                self.style.WARNING(
                    f"not yet: still being valued: {', '.join(waiting)}. Run `manage.py seed_demo` again "
                    "once the worker is done to issue the demo reports."
                )
            )
        else:
            self.done()
        self.load_controls(client)  # issue 16: controller, field exam, covenants, borrower's certificate
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Log in at {self.url}/login/ with:"))
        for role, email in LOGINS.items():
            self.stdout.write(f"  {role.label:<17} {email:<34} password: {DEMO_PASSWORD}")

    # --- bank-grade controls (issue 16): reports/demo_controls.py
    def load_controls(self, client: ClientCompany) -> None:
        from reports.demo_controls import load_controls

        self.step("Loading the demo controls (field exam, covenants, borrower's certificate)")
        waiting = load_controls(
            client=client,
            pledge=Facility.objects.get(client=client, name=PLEDGE_FACILITY),
            borrowing_base=Facility.objects.get(client=client, name=BORROWING_BASE_FACILITY),
            advisor=User.objects.get(email=LOGINS[Role.ADVISOR]),
            client_user=User.objects.get(email=LOGINS[Role.CLIENT]),
            bank_user=User.objects.get(email=LOGINS[Role.BANK]),
            controller_email=LOGINS[Role.CONTROLLER],
            password=DEMO_PASSWORD,
        )
        if waiting:
            self.stdout.write(
                self.style.WARNING(
                    f"not yet: {'; '.join(waiting)} wait for the worker's valuations. Run `manage.py seed_demo` "
                    "again once the worker is done."
                )
            )
        else:
            self.done()

    # --- end of the bank-grade controls

    def issue_reports(self, client: ClientCompany, advisor: User) -> list[str]:
        """The financing report of the pledge, shared with its lender, and the borrowing base
        certificate awaiting the client's signature: each issued once. Returns the facilities
        still waiting for a valuation."""
        from reports import services as reports
        from valuation.pipeline import services as valuation

        waiting = []
        plan = [
            (PLEDGE_FACILITY, ReportKind.FINANCING_REPORT),
            (BORROWING_BASE_FACILITY, ReportKind.BORROWING_BASE_CERTIFICATE),
        ]
        for name, kind in plan:
            facility = Facility.objects.select_related("lender").get(client=client, name=name)
            report = ReportVersion.objects.filter(facility=facility, kind=kind).order_by("number").first()
            if report is None:
                run = valuation.current_run(facility)
                if run is None:
                    # A facility added after the demo file was valued (an older demo database).
                    with transaction.atomic():
                        valuation.recompute_latest(facility=facility, by=advisor)
                    run = valuation.current_run(facility)
                if run is None:
                    waiting.append(facility.name)
                    continue
                report = reports.issue_report(run=run, by=advisor, kind=kind)
            if kind == ReportKind.FINANCING_REPORT:
                # Shared once: share_report answers the existing share when there is one.
                reports.share_report(report=report, lender=facility.lender, by=advisor)
        return waiting
