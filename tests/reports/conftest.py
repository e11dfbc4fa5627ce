"""Runs built from the worked examples of docs/domain.md (valued by the engine, stored like the pipeline
stores them), and small helpers to issue, render and read back reports."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pypdf
import pytest
from django.core.files.base import ContentFile

from facilities.models import Facility, Structure
from reports import services
from reports.models import ReportKind, ReportVersion
from tests.conftest import World, current_terms_hash
from tests.engine.helpers import AS_OF, lines
from tests.engine.test_worked_examples import FG, RM, WIP, example_a_lines
from valuation.engine import valuate
from valuation.engine.serialize import result_to_dict
from valuation.engine.terms import terms_from_dict
from valuation.models import RunStatus, StockLine, StockUpload, ValuationRun

# Example A's pledge, with example E's working-capital facts on the same borrower.
TERMS_A_E = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    "borrower": {"annual_cost_of_sales": "7200000", "average_stock": "900000"},
    "target_days": "60",
}
TERMS_B = {
    "structure": "borrowing_base",
    "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "250000"},
    "categories": [{"category": RM, "nolv_appraisal_pct": "65"}],
    "facility_limit": "5000000",
    "outstanding": "3900000",
}
TERMS_C = {
    "structure": "borrowing_base",
    "borrowing_base": {"nolv_advance_rate_pct": "100"},
    "borrower": {"total_debt": "6000000", "tangible_net_worth": "1500000"},
    "categories": [{"category": RM, "nolv_appraisal_pct": "100"}],
}
TERMS_D = {
    "structure": "borrowing_base",
    "method": "criteria",
    "borrowing_base": {"cost_advance_rate_pct": "100", "nolv_advance_rate_pct": "100"},
    "criteria": {
        "mix_ranges": {
            "make_to_stock": {
                RM: {"min_pct": "10", "max_pct": "30"},
                WIP: {"min_pct": "20", "max_pct": "50"},
                FG: {"min_pct": "20", "max_pct": "45"},
            }
        },
        "count_variance_pct": "3",
        "physical_controls_pct": "0",
    },
}


def example_d_lines():
    from tests.engine.helpers import days_ago

    return lines(
        ["800000", "800000", "150000", "800000", "80000", "1370000"],
        [RM, WIP, FG, FG, FG, FG],
        annual_consumption_qty=["10", "10", "0.5", "2", "10", "10"],
        last_movement_date=[days_ago(5)] * 4 + [days_ago(500), days_ago(5)],
    )


def make_run(
    world: World,
    frame,
    terms: dict[str, Any],
    *,
    structure: str = Structure.PLEDGE_WITHOUT_DISPOSSESSION,
    currency: str = "EUR",
    descriptions: dict[int, str] | None = None,
    warehouses: list[str] | None = None,
) -> ValuationRun:
    """Value `frame` under `terms` and store the run as the pipeline does (result JSON + Parquet
    lines file + the stock lines' texts), on a new facility of client X."""
    if warehouses is not None:
        frame = frame.assign(warehouse=warehouses)
    result = valuate(frame, terms_from_dict(terms), as_of=AS_OF)
    facility = Facility.objects.create(
        client=world.client_x,
        lender=world.lender_a,
        name=f"Facility {structure}",
        structure=structure,
        currency=currency,
    )
    upload = StockUpload.objects.create(
        client=world.client_x,
        original_name="s.csv",
        checksum="1" * 64,
        size=1,
        uploaded_by=world.advisor_a,
        as_of=AS_OF,
        status="accepted",
    )
    run = ValuationRun.objects.create(
        facility=facility,
        upload=upload,
        as_of=AS_OF,
        terms=terms,
        terms_hash=current_terms_hash(facility),
        status=RunStatus.DONE,
        result=result_to_dict(result),
        currency=currency,
        book_value=result.eligibility.book_value,
        financing=result.financing.financing,
    )
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(result.lines, preserve_index=False), buffer)
    run.lines_file.save(f"run-{run.pk}.parquet", ContentFile(buffer.getvalue()))
    StockLine.objects.bulk_create(
        StockLine(
            upload=upload,
            row=int(row),
            sku=f"S{int(row)}",
            description=(descriptions or {}).get(int(row), ""),
            category=str(cat),
            quantity=Decimal(1),
            book_value=Decimal(cents) / 100,
        )
        for row, cat, cents in zip(result.lines["row"], result.lines["category"], result.lines["book_value_cents"])
    )
    return run


def issue_and_render(run: ValuationRun, by, *, kind=ReportKind.FINANCING_REPORT, language=None, capture=None):
    """Issue a report and run the render the commit enqueues (tasks run in-process in tests)."""
    with capture(execute=True):
        report = services.issue_report(run=run, by=by, kind=kind, language=language)
    return ReportVersion.objects.get(pk=report.pk)


def pdf_text(report: ReportVersion) -> str:
    """The PDF's text, whitespace collapsed (babel writes NBSP and narrow NBSP in French amounts,
    and table cells wrap)."""
    with report.pdf.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


@pytest.fixture
def run_a(world) -> ValuationRun:
    return make_run(world, example_a_lines(), TERMS_A_E)
