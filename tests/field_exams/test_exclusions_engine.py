"""Line exclusions from field exams in the pure engine (valuation.engine.exclusions): hand-worked
frames, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.helpers import AS_OF, frame, terms
from valuation.engine import TermsError, terms_from_dict, terms_to_dict, valuate
from valuation.engine.exclusions import FIELD_EXAM_FINDING

D = Decimal

# Three lines of raw material, worked by hand (pledge at 100 % / 100 %: financing = eligible):
#   A at W01 500.00, B at W01 300.00, B at W02 200.00 — book and eligible 1,000.00.
THREE = frame(
    sku=["A", "B", "B"],
    category=["raw_material"] * 3,
    warehouse=["W01", "W01", "W02"],
    quantity=["1", "1", "1"],
    book_value=["500.00", "300.00", "200.00"],
)


def _exclusion(sku: str, site: str = "", finding: int = 7) -> dict[str, object]:
    return {
        "sku": sku,
        "site": site,
        "finding": finding,
        "exam": "FE-3",
        "counted_on": "2026-11-02",
        "accepted_on": "2026-11-05",
    }


def _value(*exclusions: dict[str, object], **changes: object):
    return valuate(THREE, terms(line_exclusions=list(exclusions), **changes), as_of=AS_OF)


def _reasons(result) -> dict[str, Decimal]:
    return {r.reason: r.amount for r in result.eligibility.by_reason}


def test_one_excluded_line_lowers_eligible_stock_by_exactly_its_value():
    """B at W02 (200.00) is excluded: eligible 1,000.00 → 800.00, financing likewise; the reason
    names the finding and the warning what it took; B at W01 stays."""
    before, after = _value(), _value(_exclusion("B", "W02"))
    assert (before.eligibility.eligible, before.financing.financing) == (D("1000.00"), D("1000.00"))
    assert (after.eligibility.eligible, after.financing.financing) == (D("800.00"), D("800.00"))
    assert _reasons(after)[FIELD_EXAM_FINDING] == D("200.00")
    lines = after.lines.set_index("row")
    assert list(lines["eligible_cents"]) == [50_000, 30_000, 0]
    assert lines["first_reason"].isna().tolist() == [True, True, False]
    assert lines.loc[3, "first_reason"] == FIELD_EXAM_FINDING
    rule = next(r for r in after.eligibility.rules if r.reason == FIELD_EXAM_FINDING)
    assert (rule.status, rule.amount, rule.lines, rule.note) == (
        "applied",
        D("200.00"),
        1,
        "excluded by FE-3 finding 7",
    )
    assert "field exam FE-3 finding 7: SKU B at site W02 excluded: 1 line(s), book value 200.00" in after.warnings
    # Lifting an advisor's exclusion is not the borrower's lever.
    assert FIELD_EXAM_FINDING not in {lever.reason for lever in after.levers}


def test_a_finding_without_a_site_excludes_the_sku_everywhere_and_codes_match_loosely():
    """ " b " with no site takes both B lines (300.00 + 200.00 = 500.00); "a" at "w01" takes A."""
    assert _value(_exclusion(" b ")).eligibility.eligible == D("500.00")
    assert _value(_exclusion("a", "w01")).eligibility.eligible == D("500.00")


def test_an_exclusion_on_a_sku_absent_from_the_file_changes_nothing_and_says_so():
    before, after = _value(), _value(_exclusion("Z", "W01"))
    assert after.eligibility.eligible == before.eligibility.eligible == D("1000.00")
    assert after.financing.financing == before.financing.financing
    assert _reasons(after)[FIELD_EXAM_FINDING] == D("0.00")
    assert "field exam FE-3 finding 7: SKU Z at site W01 is not in the stock file: nothing excluded" in after.warnings


def test_a_line_two_exclusions_and_a_rule_name_is_counted_once():
    """B at W02 excluded twice and defective too: 200.00 once, under the exclusion (it goes first)."""
    data = frame(
        sku=["A", "B", "B"],
        category=["raw_material"] * 3,
        warehouse=["W01", "W01", "W02"],
        quantity=["1", "1", "1"],
        book_value=["500.00", "300.00", "200.00"],
        defective=[False, False, True],
    )
    result = valuate(data, terms(line_exclusions=[_exclusion("B", "W02"), _exclusion("b", "", finding=8)]), as_of=AS_OF)
    assert result.eligibility.eligible == D("500.00")
    assert _reasons(result)[FIELD_EXAM_FINDING] == D("500.00")
    assert _reasons(result)["defective"] == D("0.00")


def test_the_criteria_method_takes_the_excluded_line_out_before_its_discounts():
    """The criteria method values what the exclusions leave: B at W02 goes out whole first."""
    result = _value(_exclusion("B", "W02"), method="criteria")
    assert _reasons(result)[FIELD_EXAM_FINDING] == D("200.00")
    assert result.lines.set_index("row").loc[3, "eligible_cents"] == 0


def test_exclusions_round_trip_and_an_exclusion_without_a_sku_is_refused_by_name():
    t = terms(line_exclusions=[_exclusion("B", "W02")])
    assert terms_from_dict(terms_to_dict(t)) == t
    with pytest.raises(TermsError) as caught:
        terms(line_exclusions=[_exclusion("  ")])
    assert caught.value.setting == "line_exclusions[0].sku"
    with pytest.raises(TermsError) as caught:
        terms(line_exclusions=[{**_exclusion("B"), "finding": "7"}])
    assert caught.value.setting == "line_exclusions[0].finding"


SKUS = st.sampled_from(["A", "B", "C", "D"])
SITES = st.sampled_from(["W01", "W02", ""])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(SKUS, SITES, st.integers(0, 100_000)), min_size=1, max_size=8),
    exclusions=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "Z"]), SITES), max_size=4),
    method=st.sampled_from(["waterfall", "criteria"]),
)
def test_adding_exclusions_never_raises_eligible_stock_or_financing(rows, exclusions, method):
    data = frame(
        sku=[sku for sku, _site, _cents in rows],
        category=["raw_material"] * len(rows),
        warehouse=[site for _sku, site, _cents in rows],
        quantity=["1"] * len(rows),
        book_value=[f"{cents // 100}.{cents % 100:02d}" for _sku, _site, cents in rows],
    )
    base = terms(method=method)
    before = valuate(data, base, as_of=AS_OF)
    excluded = [_exclusion(sku, site, finding=i) for i, (sku, site) in enumerate(exclusions, start=1)]
    after = valuate(
        data, base.with_changes(line_exclusions=terms(line_exclusions=excluded).line_exclusions), as_of=AS_OF
    )
    assert after.eligibility.eligible <= before.eligibility.eligible
    assert after.financing.financing <= before.financing.financing
    assert after.eligibility.book_value == before.eligibility.book_value


def test_the_exclusion_reads_in_french_on_the_pages():
    """The reason, the rule note and both warnings, from the engine itself, in the reader's language."""
    from django.utils import translation

    from borrowers.common.labels import reason_label, warning_text
    from valuation.workspace.problem_labels import rule_note_text

    result = _value(_exclusion("B", "W02"), _exclusion("Z", "", finding=8))
    rule = next(r for r in result.eligibility.rules if r.reason == FIELD_EXAM_FINDING)
    taken, absent = (w for w in result.warnings if w.startswith("field exam"))
    with translation.override("en"):
        assert reason_label(FIELD_EXAM_FINDING) == "Excluded after a field exam"
        assert warning_text(taken) == (
            "Field exam FE-3, finding 7: SKU B at W02 excluded: 1 line(s), book value €200.00"
        )
        assert warning_text(absent) == (
            "Field exam FE-3, finding 8: SKU Z at every site is not in the stock file: nothing excluded"
        )
    with translation.override("fr"):
        # The text is recognised and translated, its amount formatted the French way.
        assert "200,00" in warning_text(taken)
        assert rule_note_text(rule.note) == "exclu par les constats d'audit terrain FE-3 finding 7; FE-3 finding 8"
