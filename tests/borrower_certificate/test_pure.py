"""The borrower's certificate against StockPledge's figures, line by line, without a database:
figures worked out by hand for a borrowing base of 1,000,000.00 of stock."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from valuation.engine import certificate_check as cc

D = Decimal
TOLERANCE = cc.Tolerance(pct=D("0.5"), amount=D("1000"))

# StockPledge's valuation: book 1,000,000.00 − ineligible 150,000.00 (obsolete 100,000.00, in
# transit 50,000.00) = eligible 850,000.00; reserves 20,000.00; borrowing base = financing
# 460,000.00; outstanding 300,000.00; availability 460,000.00 − 300,000.00 = 160,000.00.
OURS = {
    cc.BOOK_VALUE: D("1000000.00"),
    cc.INELIGIBLE: D("150000.00"),
    cc.ELIGIBLE: D("850000.00"),
    cc.LIQUIDATION_VALUE: D("600000.00"),
    cc.RESERVES: D("20000.00"),
    cc.BORROWING_BASE: D("460000.00"),
    cc.FINANCING: D("460000.00"),
    cc.OUTSTANDING: D("300000.00"),
    cc.AVAILABILITY: D("160000.00"),
    "ineligible:obsolete": D("100000.00"),
    "ineligible:in_transit": D("50000.00"),
}
MAIN = {code: amount for code, amount in OURS.items() if not cc.is_reason(code)}


def by_code(check: cc.CertificateCheck) -> dict[str, cc.LineCheck]:
    return {line.code: line for line in check.lines}


def test_a_certificate_matching_to_the_cent_has_no_highlight():
    check = cc.compare(MAIN, OURS, TOLERANCE)
    assert [line.code for line in check.lines] == list(cc.LINES)  # no reason lines: none given
    assert all(line.status == cc.MATCH and line.difference == D("0.00") for line in check.lines)
    assert not check.beyond_tolerance and not check.overstated


def test_an_overstated_availability_is_flagged_and_a_small_difference_is_within_tolerance():
    borrower = {
        **MAIN,
        cc.BOOK_VALUE: D("1004000.00"),  # +4,000.00 ≤ max(1,000.00, 0.5 % × 1,000,000.00 = 5,000.00)
        cc.ELIGIBLE: D("840000.00"),  # −10,000.00 > max(1,000.00, 4,250.00): beyond, but lower
        cc.BORROWING_BASE: D("475000.00"),
        cc.FINANCING: D("475000.00"),
        cc.AVAILABILITY: D("175000.00"),  # +15,000.00 > max(1,000.00, 800.00)
    }
    lines = by_code(cc.compare(borrower, OURS, TOLERANCE))
    book = lines[cc.BOOK_VALUE]
    assert (book.difference, book.difference_pct, book.status) == (D("4000.00"), D("0.40"), cc.WITHIN)
    assert not book.highlighted
    eligible = lines[cc.ELIGIBLE]
    assert (eligible.difference, eligible.status, eligible.overstated) == (D("-10000.00"), cc.BEYOND, False)
    assert eligible.difference_pct == D("-1.18")  # −10,000 ÷ 850,000 = −1.1764…%
    availability = lines[cc.AVAILABILITY]
    assert availability.difference == D("15000.00")
    assert availability.difference_pct == D("9.38")  # 15,000 ÷ 160,000 = 9.375 %, half-up
    assert availability.status == cc.BEYOND and availability.overstated
    assert lines[cc.BORROWING_BASE].difference_pct == D("3.26")  # 15,000 ÷ 460,000 = 3.2608…%
    check = cc.compare(borrower, OURS, TOLERANCE)
    assert [line.code for line in check.overstated] == [cc.BORROWING_BASE, cc.FINANCING, cc.AVAILABILITY]


def test_a_certificate_missing_a_line_is_highlighted_but_not_overstated():
    borrower = {code: amount for code, amount in MAIN.items() if code != cc.AVAILABILITY}
    check = cc.compare(borrower, OURS, TOLERANCE)
    missing = by_code(check)[cc.AVAILABILITY]
    assert (missing.borrower, missing.stockpledge, missing.status) == (None, D("160000.00"), cc.MISSING)
    assert missing.difference is None and missing.highlighted and not missing.overstated
    assert check.missing == (missing,) and check.highlighted == (missing,)
    assert not check.beyond_tolerance and not check.overstated


def test_the_tolerance_is_inclusive_to_the_cent():
    # Availability 160,000.00: allowed max(1,000.00, 800.00) = 1,000.00.
    at = by_code(cc.compare({cc.AVAILABILITY: D("161000.00")}, OURS, TOLERANCE))[cc.AVAILABILITY]
    over = by_code(cc.compare({cc.AVAILABILITY: D("161000.01")}, OURS, TOLERANCE))[cc.AVAILABILITY]
    assert at.status == cc.WITHIN and not at.overstated
    assert over.status == cc.BEYOND and over.overstated
    # Book value 1,000,000.00: the percentage allows more, 5,000.00.
    assert cc.Tolerance(pct=D("0.5"), amount=D("1000")).allowed(D("1000000.00")) == D("5000.00")
    assert cc.Tolerance(pct=D("0.5"), amount=D("1000")).allowed(D("-333.33")) == D("1000")


def test_reason_lines_when_the_borrower_breaks_its_ineligibles_down():
    borrower = {**MAIN, "ineligible:obsolete": D("100000.00"), "ineligible:defective": D("5000.00")}
    check = cc.compare(borrower, OURS, TOLERANCE)
    codes = [line.code for line in check.lines]
    assert codes[:5] == [
        cc.BOOK_VALUE,
        "ineligible:obsolete",
        "ineligible:in_transit",
        "ineligible:defective",
        cc.INELIGIBLE,
    ]
    lines = by_code(check)
    assert lines["ineligible:obsolete"].status == cc.MATCH
    assert lines["ineligible:in_transit"].status == cc.MISSING
    defective = lines["ineligible:defective"]  # StockPledge took nothing for it: 0
    assert (defective.stockpledge, defective.difference, defective.difference_pct) == (D("0.00"), D("5000.00"), None)
    assert defective.status == cc.BEYOND and not defective.overstated


def test_a_line_stockpledge_does_not_compute_is_not_compared():
    pledge = {**MAIN, cc.RESERVES: None, cc.BORROWING_BASE: None}
    check = cc.compare({cc.BORROWING_BASE: D("460000.00")}, pledge, TOLERANCE)
    line = by_code(check)[cc.BORROWING_BASE]
    assert (line.status, line.difference, line.highlighted) == (cc.NOT_COMPUTED, None, False)
    assert cc.RESERVES not in by_code(check)  # neither side has it


def test_stockpledge_figures_from_a_stored_result():
    result = {
        "eligibility": {
            "book_value": "1000000.00",
            "eligible": "850000.00",
            "ineligible": "150000.00",
            "by_reason": [
                {"reason": "obsolete", "amount": "100000.00"},
                {"reason": "in_transit", "amount": "50000.00"},
                {"reason": "wip", "amount": "0.00"},
            ],
        },
        "liquidation": {"eligible_liquidation_value": "600000.00"},
        "financing": {
            "financing": "460000.00",
            "outstanding": "300000.00",
            "availability": "160000.00",
            "borrowing_base": {"reserves": "20000.00", "borrowing_base": "460000.00"},
        },
    }
    assert cc.stockpledge_figures(result) == OURS
    pledge = cc.stockpledge_figures({**result, "financing": {**result["financing"], "borrowing_base": None}})
    assert pledge[cc.RESERVES] is None and pledge[cc.BORROWING_BASE] is None


cents = st.integers(min_value=-(10**13), max_value=10**13).map(lambda c: Decimal(c) / 100)
figures = st.dictionaries(st.sampled_from(cc.LINES), cents, min_size=1)


@given(borrower=figures, ours=figures)
def test_the_difference_is_borrower_minus_stockpledge_exactly(borrower, ours):
    for line in cc.compare(borrower, ours, TOLERANCE).lines:
        if line.borrower is not None and line.stockpledge is not None:
            assert line.difference == line.borrower - line.stockpledge
            assert line.overstated == (
                line.code in cc.LENDING_LINES and line.status == cc.BEYOND and line.difference > 0
            )


@given(ours=figures, pct=st.decimals(min_value=0, max_value=10, places=2), amount=cents.map(abs))
def test_a_certificate_equal_to_stockpledge_has_no_highlight(ours, pct, amount):
    check = cc.compare(ours, ours, cc.Tolerance(pct=pct, amount=amount))
    assert not check.highlighted and not check.beyond_tolerance and not check.overstated
    assert all(line.status == cc.MATCH for line in check.lines)
