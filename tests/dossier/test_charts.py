"""The waterfall chart: bars from a stored result, and an SVG safe inline and in WeasyPrint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from defusedxml import ElementTree
from django.utils import translation

from valuation.workspace.charts import WaterfallBar, waterfall_bars, waterfall_svg

# docs/domain.md example A as stored in ValuationRun.result (only the keys the chart reads).
EXAMPLE_A = {
    "eligibility": {
        "book_value": "5000000.00",
        "eligible": "3200000.00",
        "by_reason": [
            {"reason": "not_owned", "amount": "100000.00"},
            {"reason": "retention_of_title", "amount": "400000.00"},
            {"reason": "wip", "amount": "1000000.00"},
            {"reason": "obsolete", "amount": "300000.00"},
            {"reason": "slow_moving", "amount": "0.00"},
        ],
    },
    "liquidation": {"eligible_liquidation_value": "2100000.00", "liquidation_value": "2500000.00"},
    "financing": {"financing": "1600000.00"},
}


def test_bars_follow_book_value_reasons_eligible_liquidation_financing():
    with translation.override("en"):
        bars = waterfall_bars(EXAMPLE_A)
    assert [(b.label, b.amount, b.kind, b.key) for b in bars] == [
        ("Book value", Decimal("5000000.00"), "total", "book_value"),
        ("Not owned (consignment)", Decimal("100000.00"), "decrease", "reason:not_owned"),
        ("Unpaid under retention of title", Decimal("400000.00"), "decrease", "reason:retention_of_title"),
        ("Work in progress", Decimal("1000000.00"), "decrease", "reason:wip"),
        ("Obsolete", Decimal("300000.00"), "decrease", "reason:obsolete"),
        ("Eligible stock", Decimal("3200000.00"), "total", "eligible"),
        ("Liquidation value of eligible stock", Decimal("2100000.00"), "total", "liquidation_value"),
        ("Financing", Decimal("1600000.00"), "total", "financing"),
    ]
    # The decreases take book value down to eligible, to the cent.
    assert bars[0].amount - sum(b.amount for b in bars if b.kind == "decrease") == bars[5].amount


def test_empty_result_gives_no_bars_and_an_svg_that_still_parses():
    assert waterfall_bars({}) == []
    svg = waterfall_svg([], currency="EUR", title="Nothing yet")
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("fr", "EUR", ["5\u202f000\u202f000,00\xa0€", "-1\u202f000\u202f000,00\xa0€", "1\u202f600\u202f000,00\xa0€"]),
        ("en", "EUR", ["€5,000,000.00", "-€1,000,000.00", "€1,600,000.00"]),
        ("zh-hans", "CNY", ["¥5,000,000.00", "-¥1,000,000.00", "¥1,600,000.00"]),
    ],
)
def test_svg_shows_amounts_formatted_for_the_language(language, currency, expected):
    with translation.override(language):
        svg = waterfall_svg(waterfall_bars(EXAMPLE_A), currency=currency, title="Waterfall")
    root = ElementTree.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for amount in expected:
        assert amount in texts


def test_hostile_labels_and_titles_are_escaped_and_links_stay_on_site():
    bars = [
        WaterfallBar('<script>alert(1)</script>" onload="x', Decimal("10"), "total", href="javascript:alert(1)"),
        WaterfallBar("a & b\x00\x07", Decimal("4"), "decrease", href="//evil.test/x"),
        WaterfallBar("ok", Decimal("6"), "total", href='/facilities/1/lines/?reason=a&q="><x>'),
    ]
    svg = waterfall_svg(bars, currency="EUR", title="<img src=x onerror=alert(1)>")
    root = ElementTree.fromstring(svg)  # well-formed XML despite the NUL and BEL characters
    assert "<script" not in svg and "<img" not in svg
    assert "javascript:" not in svg and "evil.test" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x" in svg
    assert "a &amp; b" in svg
    links = [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")]
    assert links == ['/facilities/1/lines/?reason=a&q="><x>']  # the one on-site link, as data
    for banned in ("<image", "url(", "<script", "<style", "<foreignObject", "xlink:href", "http://", "https://"):
        assert banned not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_bar_geometry_follows_the_running_level():
    """Book 100 → −40 → eligible 60: the decrease spans 60..100 of a 0..100 scale."""
    bars = [
        WaterfallBar("Book", Decimal("100"), "total"),
        WaterfallBar("Out", Decimal("40"), "decrease"),
        WaterfallBar("Eligible", Decimal("60"), "total"),
    ]
    root = ElementTree.fromstring(waterfall_svg(bars, currency="EUR", title="t", width=1000))
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}rect")][1:]  # skip the background
    # plot from x = 0.34 × 1000 + 8 = 348, width 1000 − 340 − 220 − 24 = 416 px for 100.
    assert [(float(r.get("x")), float(r.get("width"))) for r in rects] == [
        (348.0, 416.0),
        (pytest.approx(348.0 + 0.6 * 416, abs=0.1), pytest.approx(0.4 * 416, abs=0.1)),
        (348.0, pytest.approx(0.6 * 416, abs=0.1)),
    ]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown bar kind"):
        waterfall_svg([WaterfallBar("x", Decimal(1), "sideways")], currency="EUR", title="t")
