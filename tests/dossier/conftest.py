"""A dossier with real figures: a small stock file uploaded for facility_x and valued by the
pipeline, every expected figure worked out by hand below (never with the code under test).

Stock date 2026-11-15 (after the `world` run of 2026-10-31, so this run is current). facility_x:
pledge without dispossession, fungibility 75 %, over-collateralisation 150 %, default waterfall
(WIP excluded, no movement for 365 days excluded).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from valuation.models import RunStatus, ValuationRun
from valuation.pipeline import services

AS_OF = dt.date(2026, 11, 15)
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement"
ROWS = (
    # row 2: 100 × 10,00 = 1 000,00 raw material in W01, moved recently: eligible
    "A001;Acier laminé;MP;W01;100;10,00;15/09/2026",
    # row 3: 40 × 150,00 = 6 000,00 WIP in W01 with no firm order: ineligible "wip"; its
    # description is a formula an export must not let a spreadsheet run
    'B002;"=HYPERLINK(""http://evil.test"",""x"")";En cours;W01;40;150,00;01/10/2026',
    # row 4: 30 × 2 500,00 = 75 000,00 finished goods in W02: eligible
    "C003;Pompe finie;PF;W02;30;2500,00;10/10/2026",
    # row 5: 10 × 99,99 = 999,90 finished goods in W02, no movement since 2025-01-01: "obsolete"
    "D004;Vieux stock;PF;W02;10;99,99;01/01/2025",
    # row 6: 1 × 0,125 = 0,125 -> 0,13 half-up, raw material in W03: eligible
    "E005;@SUM(1+1) vis;MP;W03;1;0,125;12/11/2026",
)
CSV = ("\n".join((HEADER, *ROWS)) + "\n").encode("utf-8")

BOOK = Decimal("83000.03")  # 1 000,00 + 6 000,00 + 75 000,00 + 999,90 + 0,13
INELIGIBLE = Decimal("6999.90")  # 6 000,00 wip + 999,90 obsolete
ELIGIBLE = Decimal("76000.13")  # 1 000,00 + 75 000,00 + 0,13
GUARANTEE = Decimal("57000.10")  # 75 % × 76 000,13 = 57 000,0975
FINANCING = Decimal("38000.07")  # 57 000,0975 ÷ 150 % = 38 000,065
# The guarantee is rounded to the cent before the division (it is a figure of its own):
# clearing WIP makes 6 000,00 eligible: 82 000,13 × 75 % = 61 500,0975 -> 61 500,10; ÷ 150 % =
# 41 000,0667 -> 41 000,07, a gain of 3 000,00. Clearing obsolete stock: 77 000,03 × 75 % =
# 57 750,0225 -> 57 750,02; ÷ 150 % = 38 500,0133 -> 38 500,01, a gain of 499,94.
WIP_GAIN = Decimal("3000.00")
OBSOLETE_GAIN = Decimal("499.94")
# Proposed terms fungibility 80 %, over-collateralisation 125 %: 80 % × 76 000,13 = 60 800,104
# -> 60 800,10; ÷ 125 % = 48 640,08.
FINANCING_80_125 = Decimal("48640.08")


@pytest.fixture
def dossier_run(world, django_capture_on_commit_callbacks) -> ValuationRun:
    """The CSV above uploaded by the client's CFO and valued in-process; facility_x's run."""
    with django_capture_on_commit_callbacks(execute=True):
        upload = services.create_upload(
            client=world.client_x,
            by=world.client_user_x,
            file=SimpleUploadedFile("stock.csv", CSV, content_type="text/csv"),
            as_of=AS_OF,
        )
    upload.refresh_from_db()
    assert upload.status == "accepted", upload.report
    run = ValuationRun.objects.get(facility=world.facility_x, upload=upload)
    assert run.status == RunStatus.DONE, run.failure_reason
    return run
