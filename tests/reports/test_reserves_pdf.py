"""The borrowing base certificate and the financing report show every named reserve with its
basis and their total, and the all-in cost with the average drawn amount it is charged on."""

from __future__ import annotations

from facilities.models import Structure
from reports.context import presentation
from reports.models import ReportKind
from tests.engine.helpers import lines
from tests.reports.conftest import issue_and_render, make_run, pdf_text

# Example B's figures with named reserves: eligible 8,000,000; NOLV 65 % → 5,200,000; legs
# 4,800,000 and 4,420,000. Shrink 2 % × 8,000,000 = 160,000; rent MAR 12,500 × 3 = 37,500 and
# TOU 12,500 × 3 = 37,500; priority payables 40,000; other 10,000 → Σ 285,000; base 4,135,000;
# outstanding 3,900,000 → availability 235,000. The LTV caps are marked indicative: the medium
# class's 65 % cap would bind at 3,380,000 (tests/engine/test_ltv_caps.py), and the reserves' basis
# is what these PDFs are checked for.
TERMS = {
    "structure": "borrowing_base",
    "ltv_caps_indicative": True,
    "borrowing_base": {
        "cost_advance_rate_pct": "60",
        "nolv_advance_rate_pct": "85",
        "reserves": [
            {"kind": "shrink", "pct": "2"},
            {"kind": "rent", "site": "MAR", "monthly_rent": "12500", "months": 3},
            {"kind": "rent", "site": "TOU", "monthly_rent": "12500", "months": 3},
            {"kind": "priority_payables", "amount": "40000"},
            {"kind": "other", "amount": "10000", "reason": "Disputed supplier stock"},
        ],
    },
    "categories": [{"category": "raw_material", "nolv_appraisal_pct": "65"}],
    "facility_limit": "5000000",
    "outstanding": "3900000",
    "cost": {"base_rate_pct": "3", "margin_pct": "2"},
}
EXPECTED = (
    "Shrink reserve",
    "2% of eligible stock at cost (€8,000,000.00)",
    "€160,000.00",
    "3 months × €12,500.00 monthly rent, site MAR",
    "3 months × €12,500.00 monthly rent, site TOU",
    "€37,500.00",
    "Priority payables reserve",
    "€40,000.00",
    "Disputed supplier stock",
    "€10,000.00",
    "€285,000.00",
    "€4,135,000.00",
    "€235,000.00",
)


def _run(world):
    return make_run(
        world,
        lines(["6000000", "1000000", "1000000"]),
        TERMS,
        structure=Structure.BORROWING_BASE,
        warehouses=["LYO", "MAR", "TOU"],
    )


def test_certificate_lists_each_reserve_with_its_basis(world, django_capture_on_commit_callbacks):
    report = issue_and_render(
        _run(world),
        world.advisor_a,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        language="en",
        capture=django_capture_on_commit_callbacks,
    )
    text = pdf_text(report)
    for figure in EXPECTED:
        assert figure in text, figure


def test_financing_report_lists_the_reserves_and_the_cost_base(world, django_capture_on_commit_callbacks):
    """Cost: 5 % on the outstanding 3,900,000 = 195,000, "on an average drawn amount of
    €3,900,000.00 (the outstanding)"."""
    report = issue_and_render(_run(world), world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    for figure in (*EXPECTED, "on an average drawn amount of €3,900,000.00", "€195,000.00"):
        assert figure in text, figure


def test_a_run_stored_before_reserves_were_named_shows_its_single_figure(world):
    frozen = {"currency": "EUR", "result": {"financing": {"borrowing_base": {"reserves": "250000.00"}}}}
    rows = presentation(frozen)["reserves"]
    assert [(r.label, r.basis, str(r.amount)) for r in rows] == [
        ("Reserves", "recorded before reserves were named", "250000.00")
    ]
