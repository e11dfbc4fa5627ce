"""Shared test personas (Healthchecks style): two firms, two client companies, two lenders, and
one user per role and scope, plus a facility, a stock file, a valuation run and a report shared
with one lender only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from borrowers.models import ClientCompany, ControlFirm, Firm, Role, StockCategory, User, Warehouse
from facilities.models import ControllerAssignment, Facility, Lender, Structure
from reports.models import RenderStatus, ReportShare, ReportVersion
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun

PASSWORD = "correct-horse-battery-staple"


def current_terms_hash(facility: Facility, as_of: dt.date | None = None) -> str:
    """The hash of the facility's terms as a valuation would read them now: a hand-made run with
    it counts as current (not made stale by a later edit), so reports can be issued from it."""
    from facilities.terms import engine_terms_dict
    from valuation.pipeline.services import run_hash

    return run_hash(engine_terms_dict(facility, as_of=as_of), facility.currency)


@dataclass
class World:
    firm_a: Firm
    firm_b: Firm
    client_x: ClientCompany
    client_y: ClientCompany
    client_b: ClientCompany
    warehouse_x: Warehouse
    category_a: StockCategory
    lender_a: Lender
    lender_a2: Lender
    lender_b: Lender
    facility_x: Facility
    upload_x: StockUpload
    run_x: ValuationRun
    report_x: ReportVersion
    advisor_a: User
    advisor_b: User
    client_user_x: User
    client_user_y: User
    bank_shared: User
    bank_unshared: User
    # Field exams (issue 16): a control firm's controller assigned to facility_x, and a firm A
    # staff controller assigned to nothing.
    controller: User
    controller_unassigned: User

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = (
    "anonymous",
    "advisor_a",
    "advisor_b",
    "client_user_x",
    "client_user_y",
    "bank_shared",
    "bank_unshared",
    # field exams
    "controller",
    "controller_unassigned",
)


def make_user(email: str, role: str, **fields: object) -> User:
    return User.objects.create_user(email, PASSWORD, role=role, **fields)


@pytest.fixture
def world(db) -> World:
    firm_a = Firm.objects.create(name="Alpha Advisory")
    firm_b = Firm.objects.create(name="Beta Conseil")
    client_x = ClientCompany.objects.create(
        firm=firm_a, legal_name="Xylo Industries", currency="EUR", internal_notes="Confidential: CFO leaving in March"
    )
    client_y = ClientCompany.objects.create(firm=firm_a, legal_name="Yarn & Co", currency="EUR")
    client_b = ClientCompany.objects.create(firm=firm_b, legal_name="Bravo SA", currency="EUR")
    warehouse_x = Warehouse.objects.create(client=client_x, code="W01", name="Lyon")
    # The test files put stock at W01-W03: declared, so the site guardrails keep it (their own
    # tests, in tests/*/test_sites*.py, use sites nobody declared).
    for code, name in (("W02", "Villeurbanne"), ("W03", "Vénissieux")):
        Warehouse.objects.create(client=client_x, code=code, name=name)
    category_a = StockCategory.objects.create(
        firm=firm_a, code="MP", name="Matières premières", base_category="raw_material"
    )
    lender_a = Lender.objects.create(firm=firm_a, name="Banque Un")
    lender_a2 = Lender.objects.create(firm=firm_a, name="Banque Deux")
    lender_b = Lender.objects.create(firm=firm_b, name="Bank Three")
    # Its test files carry no resale price (no liquidation value), so binding LTV caps would lend
    # nothing on them: facility_x marks its caps indicative to keep the figures worked out by hand
    # for the pledge; tests/dossier/test_ltv_binding.py values a facility whose caps bind.
    facility_x = Facility.objects.create(
        client=client_x,
        lender=lender_a,
        name="Pledge 2026",
        structure=Structure.PLEDGE_WITHOUT_DISPOSSESSION,
        ltv_caps_indicative=True,
    )
    advisor_a = make_user("advisor@alpha.test", Role.ADVISOR, firm=firm_a, is_firm_admin=True)
    advisor_b = make_user("advisor@beta.test", Role.ADVISOR, firm=firm_b)
    client_user_x = make_user("cfo@xylo.test", Role.CLIENT, firm=firm_a, client=client_x)
    client_user_y = make_user("cfo@yarn.test", Role.CLIENT, firm=firm_a, client=client_y)
    bank_shared = make_user("analyst@banque-un.test", Role.BANK, firm=firm_a, lender=lender_a)
    bank_unshared = make_user("analyst@banque-deux.test", Role.BANK, firm=firm_a, lender=lender_a2)
    # Field exams: a control firm's controller on facility_x, and an unassigned staff controller.
    control_firm = ControlFirm.objects.create(firm=firm_a, name="Contrôle Stock SAS")
    controller = make_user("counter@controle.test", Role.CONTROLLER, firm=firm_a, control_firm=control_firm)
    ControllerAssignment.objects.create(facility=facility_x, user=controller, assigned_by=advisor_a)
    controller_unassigned = make_user("staff-counter@alpha.test", Role.CONTROLLER, firm=firm_a)
    upload_x = StockUpload(
        client=client_x,
        original_name="stock.csv",
        checksum="0" * 64,
        size=10,
        uploaded_by=client_user_x,
        as_of=dt.date(2026, 10, 31),
        status=UploadStatus.ACCEPTED,
    )
    upload_x.file.save("stock.csv", ContentFile(b"sku;qty\n"), save=False)
    upload_x.save()
    run_x = ValuationRun.objects.create(
        facility=facility_x,
        upload=upload_x,
        as_of=upload_x.as_of,
        terms_hash=current_terms_hash(facility_x),
        status=RunStatus.DONE,
        book_value=Decimal("5000000.00"),
        eligible_value=Decimal("3200000.00"),
        financing=Decimal("1600000.00"),
    )
    report_x = ReportVersion.objects.create(
        run=run_x,
        facility=facility_x,
        number=1,
        title="Financing report",
        author=advisor_a,
        render_status=RenderStatus.READY,
        # Shared with lender A and with the client's users (the client copy).
        client_shared_at=timezone.now(),
        client_shared_by=advisor_a,
    )
    ReportShare.objects.create(report=report_x, lender=lender_a, shared_by=advisor_a)
    return World(
        firm_a,
        firm_b,
        client_x,
        client_y,
        client_b,
        warehouse_x,
        category_a,
        lender_a,
        lender_a2,
        lender_b,
        facility_x,
        upload_x,
        run_x,
        report_x,
        advisor_a,
        advisor_b,
        client_user_x,
        client_user_y,
        bank_shared,
        bank_unshared,
        controller,
        controller_unassigned,
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """A request made by a French or Chinese user leaves its language active in the thread (as
    Django's own locale middleware does); each test starts in the default language instead, so
    that no test depends on the one that ran before it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
