"""Shared stock files and figures for the upload pipeline tests (issue 4).

Every expected figure below is worked out by hand from the CSV rows, never with the code under
test. Stock date 2026-11-15 (after the shared `world` upload of 2026-10-31, so these uploads are
the latest), valued under facility_x's terms: pledge without dispossession, fungibility 75 %,
over-collateralisation 150 %, default waterfall (WIP excluded, no movement for 365 days excluded).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from valuation.pipeline import services

AS_OF = dt.date(2026, 11, 15)
NBSP = "\u00a0"
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement"

# Row numbers are the file's own (the header is row 1).
GOOD_ROWS = (
    # row 2: 1 250,5 × 12,3456 = 15 438,1728 -> 15 438,17 (raw material, moved 61 days ago: eligible)
    f"A001;Acier laminé;MP;W01;1{NBSP}250,5;12,3456;15/09/2026",
    # row 3: 40 × 150,00 = 6 000,00 (WIP with no firm order: ineligible, reason "wip")
    "B002;Sous-ensemble;En cours;W01;40;150,00;01/10/2026",
    # row 4: 3 000 × 2 500,125 = 7 500 375,00 (finished good: eligible)
    f"C003;Pompe finie;PF;W01;3{NBSP}000;2{NBSP}500,125;10/10/2026",
    # row 5: 10 × 99,99 = 999,90 (no movement since 2025-01-01, 683 days: ineligible, "obsolete")
    "D004;Vieux stock;PF;W02;10;99,99;01/01/2025",
    # row 6: 1 × 0,125 = 0,125 -> 0,13 half-up (half-even would give 0,12): eligible
    "E005;Vis M6;MP;W01;1;0,125;12/11/2026",
)
GOOD_CSV = ("\n".join((HEADER, *GOOD_ROWS)) + "\n").encode("utf-8")
GOOD_LINES = 5

BOOK = Decimal("7522813.20")  # 15 438,17 + 6 000,00 + 7 500 375,00 + 999,90 + 0,13
ELIGIBLE = Decimal("7515813.30")  # 15 438,17 + 7 500 375,00 + 0,13
INELIGIBLE = Decimal("6999.90")  # 6 000,00 (wip) + 999,90 (obsolete)
# 75 % × 7 515 813,30 = 5 636 859,975 -> 5 636 859,98 (half-up)
GUARANTEE = Decimal("5636859.98")
# 5 636 859,98 ÷ 150 % = 3 757 906,6533… -> 3 757 906,65
FINANCING = Decimal("3757906.65")

# The same file valued without its "Date dernier mouvement" column: row 5 is no longer obsolete.
# eligible 7 515 813,30 + 999,90 = 7 516 813,20; × 75 % = 5 637 609,90; ÷ 150 % = 3 758 406,60
ELIGIBLE_WITHOUT_DATES = Decimal("7516813.20")
FINANCING_WITHOUT_DATES = Decimal("3758406.60")

# After a terms change to fungibility 80 %, over-collateralisation 125 %:
# 80 % × 7 515 813,30 = 6 012 650,64; ÷ 125 % = 4 810 120,512 -> 4 810 120,51
GUARANTEE_NEW_TERMS = Decimal("6012650.64")
FINANCING_NEW_TERMS = Decimal("4810120.51")

# Row 3 has a quantity that is not a number, row 4 a category nobody knows.
BAD_CSV = (
    "\n".join(
        (
            HEADER,
            GOOD_ROWS[0],
            "B002;Sous-ensemble;En cours;W01;quarante;150,00;01/10/2026",
            f"C003;Pompe finie;Divers;W01;3{NBSP}000;2{NBSP}500,125;10/10/2026",
        )
    )
    + "\n"
).encode("utf-8")


def csv_file(content: bytes, name: str = "etat-stock-novembre.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def upload_csv(django_capture_on_commit_callbacks):
    """Upload a file as the client's CFO and run what the commit enqueues (in-process tasks)."""

    def upload(world, content: bytes = GOOD_CSV, *, as_of: dt.date = AS_OF, name: str = "etat-stock-novembre.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            created = services.create_upload(
                client=world.client_x, by=world.client_user_x, file=csv_file(content, name), as_of=as_of
            )
        created.refresh_from_db()
        return created

    return upload


def drop_broker_connections() -> None:
    """Close and forget pooled broker connections so the next send uses the current broker_url
    (kombu keeps its pools in a process-wide registry, which `reset` empties; Celery caches its
    connection and producer pools on the app)."""
    import kombu.pools

    from config.celery_app import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
