"""The PDFs read back (pypdf) hold the hand-worked figures of docs/domain.md, formatted in the report's
language, with that language's words; frozen figures stay as issued."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
from django.utils import translation

from facilities.models import Structure
from reports import services
from reports.models import RenderStatus, ReportKind
from tests.engine.helpers import lines
from tests.reports.conftest import (
    TERMS_A_E,
    TERMS_B,
    TERMS_C,
    TERMS_D,
    example_d_lines,
    issue_and_render,
    make_run,
    pdf_text,
)

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "zh-hans": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
}


def _words(language: str, *msgids: str) -> list[str]:
    with translation.override(language):
        return [translation.gettext(m) for m in msgids]


def test_example_a_and_e_in_french(world, run_a, django_capture_on_commit_callbacks):
    """A: book 5,000,000 → mobilisable 3,200,000 → guarantee 2,400,000 → financing 1,600,000;
    E: rotation 8, 45 days, need 1,200,000 at 60 days — French formatting and words."""
    report = issue_and_render(run_a, world.advisor_a, language="fr", capture=django_capture_on_commit_callbacks)
    assert report.render_status == RenderStatus.READY
    text = pdf_text(report)
    for figure in (
        "5 000 000,00 €",  # book value
        "100 000,00 €",  # not owned
        "400 000,00 €",  # retention of title
        "1 000 000,00 €",  # WIP
        "300 000,00 €",  # obsolete
        "3 200 000,00 €",  # mobilisable = eligible
        "2 400 000,00 €",  # guarantee at 75 %
        "1 600 000,00 €",  # financing at 150 %
        "8,00",  # rotation
        "45,0",  # days of stock
        "1 200 000,00 €",  # need at 60 days
    ):
        assert figure in text, figure
    assert "€5,000,000.00" not in text
    assert MONTHS["fr"][report.issued_at.month - 1] in text
    for word in _words("fr", "Executive summary", "Financing report", "Ineligible stock"):
        assert word in text
    assert "Xylo Industries" in text


def test_example_a_in_english_with_table_of_contents_and_footer(world, run_a, django_capture_on_commit_callbacks):
    report = issue_and_render(run_a, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    for figure in ("€5,000,000.00", "€3,200,000.00", "€2,400,000.00", "€1,600,000.00", "€1,200,000.00", "45.0"):
        assert figure in text, figure
    assert "5 000 000,00 €" not in text
    assert MONTHS["en"][report.issued_at.month - 1] in text
    assert "Executive summary ....." in text  # table of contents with leaders and page numbers
    assert "version 1" in text  # running footer
    assert "1 / " in text or "2 / " in text  # page x / y


def test_example_a_in_chinese_with_cjk_text(world, django_capture_on_commit_callbacks):
    """ZH: yuan amounts, Chinese month names and a Chinese company name drawn with the CJK font."""
    from tests.engine.test_worked_examples import example_a_lines

    world.client_x.legal_name = "苏州精密制造有限公司"
    world.client_x.save()
    run = make_run(world, example_a_lines(), TERMS_A_E, currency="CNY")
    report = issue_and_render(run, world.advisor_a, language="zh-hans", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    for figure in ("¥5,000,000.00", "¥3,200,000.00", "¥2,400,000.00", "¥1,600,000.00"):
        assert figure in text, figure
    assert "苏州精密制造有限公司" in text
    assert MONTHS["zh-hans"][report.issued_at.month - 1] in text
    for word in _words("zh-hans", "Executive summary"):
        assert word in text


def test_example_b_borrowing_base_certificate(world, django_capture_on_commit_callbacks):
    """B: min(60 % × 8,000,000; 85 % × 5,200,000) − 250,000 = 4,170,000 is the base; the medium
    class's 65 % LTV cap binds: 65 % × 5,200,000 = 3,380,000 lent; availability 3,380,000 −
    3,900,000 = −520,000, and the certificate says the LTV caps bind."""
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    report = issue_and_render(
        run,
        world.advisor_a,
        kind=ReportKind.BORROWING_BASE_CERTIFICATE,
        language="en",
        capture=django_capture_on_commit_callbacks,
    )
    text = pdf_text(report)
    for figure in (
        "€8,000,000.00",
        "€5,200,000.00",
        "€4,800,000.00",
        "€4,420,000.00",
        "€250,000.00",
        "€4,170,000.00",
        "€3,900,000.00",
        "€3,380,000.00",
        "-€520,000.00",
        "the loan-to-value caps",
    ):
        assert figure in text, figure
    assert _words("en", "Borrowing base certificate")[0] in text
    with report.pdf.open("rb") as handle:
        assert len(pypdf.PdfReader(io.BytesIO(handle.read())).pages) == 1  # the one-page form


def test_example_c_grid_rate(world, django_capture_on_commit_callbacks):
    """C: debt 6,000,000 ÷ tangible net worth 1,500,000 = 4:1 → 40 % cost advance rate."""
    run = make_run(world, lines(["1000000"]), TERMS_C, structure=Structure.BORROWING_BASE)
    report = issue_and_render(run, world.advisor_a, language="fr", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    assert "40 %" in text
    assert "400 000,00 €" in text  # 40 % × 1,000,000
    assert _words("fr", "leverage grid")[0] in text


def test_example_d_criteria_discounts_with_basis(world, django_capture_on_commit_callbacks):
    """D: mix 600,000; turnover 150,000 + 400,000; obsolete 80,000; count 120,000 → eligible 2,650,000."""
    run = make_run(world, example_d_lines(), TERMS_D, structure=Structure.BORROWING_BASE)
    report = issue_and_render(run, world.advisor_a, language="fr", capture=django_capture_on_commit_callbacks)
    text = pdf_text(report)
    for figure in (
        "4 000 000,00 €",
        "600 000,00 €",
        "550 000,00 €",
        "80 000,00 €",
        "120 000,00 €",
        "1 350 000,00 €",
        "2 650 000,00 €",
    ):
        assert figure in text, figure
    assert _words("fr", "Criteria discounts")[0] in text


def test_a_terms_change_after_issue_leaves_the_version_unchanged(world, run_a, django_capture_on_commit_callbacks):
    """The version freezes figures, terms and names; later edits and re-renders do not move them."""
    report = issue_and_render(run_a, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    frozen = dict(report.context)
    facility = report.facility
    facility.fungibility_share_pct = Decimal("50")
    facility.save()
    world.client_x.legal_name = "Renamed SAS"
    world.client_x.save()
    run_a.result = {**run_a.result, "financing": {**run_a.result["financing"], "financing": "1.00"}}
    run_a.save()
    report.refresh_from_db()
    assert report.context == frozen
    assert report.context["terms"]["pledge"]["fungibility_share_pct"] == "75"
    # Render again from the frozen context: still the issued figures and name.
    report.render_status = RenderStatus.QUEUED
    report.save()
    assert services.render_pdf(report_id=report.pk)
    report.refresh_from_db()
    text = pdf_text(report)
    assert "€1,600,000.00" in text and "Xylo Industries" in text and "Renamed SAS" not in text


def test_annex_lists_the_largest_ineligible_lines(world, django_capture_on_commit_callbacks):
    from tests.engine.test_worked_examples import example_a_lines

    run = make_run(world, example_a_lines(), TERMS_A_E, descriptions={5: "Sous-ensembles en cours"})
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    annex = report.context["annex"]
    # Ineligible lines, largest first: WIP 1,000,000 (row 5), RoT 400,000, obsolete 300,000, consignment 100,000.
    assert [(a["row"], a["ineligible"]) for a in annex] == [
        (5, "1000000.00"),
        (2, "400000.00"),
        (7, "300000.00"),
        (3, "100000.00"),
    ]
    assert "Sous-ensembles en cours" in pdf_text(report)
