"""The engine's warnings read in the reader's language, their figures formatted for it.

The warnings come from the engine itself (tiny hand-made frames and terms), so a reworded engine
message that the display no longer recognises fails here instead of showing English to a French
or Chinese reader."""

from __future__ import annotations

import pytest
from django.utils import translation

from borrowers.common.labels import warning_text
from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate


def _warnings(data: dict, amounts: list[str]) -> list[str]:
    return list(valuate(lines(amounts), terms(data), as_of=AS_OF).warnings)


def _bb(**overrides):
    data = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "50", "nolv_advance_rate_pct": "80"},
        "categories": [{"category": "raw_material", "nolv_appraisal_pct": "70"}],
    }
    data["borrowing_base"].update(overrides.pop("bb", {}))
    data.update(overrides)
    return data


def _one(warnings: list[str], start: str) -> str:
    found = [w for w in warnings if w.startswith(start)]
    assert found, f"no engine warning starting {start!r} in {warnings}"
    return found[0]


def test_over_advance_in_french_with_the_amount_formatted():
    """Base 500,000 (50 % of 1,000,000) against 520,000 drawn: availability −20,000 (caps
    indicative, so the base alone is lent)."""
    warning = _one(_warnings(_bb(outstanding="520000", ltv_caps_indicative=True), ["1000000"]), "over-advance")
    with translation.override("fr"):
        assert warning_text(warning, currency="EUR") == "Dépassement : la disponibilité est de -20\u202f000,00\xa0€"


def test_ltv_cap_binding_in_english():
    """Base 500,000 against NOLV 700,000 (70 % appraisal) of a medium class (65 % cap):
    65 % × 700,000 = 455,000 is lent."""
    warning = _one(_warnings(_bb(), ["1000000"]), "financing capped by the loan-to-value caps")
    with translation.override("en"):
        assert warning_text(warning, currency="EUR") == (
            "Financing capped by the loan-to-value caps at €455,000.00 (the structure alone gives €500,000.00)"
        )


def test_leverage_refusal_in_chinese():
    """Debt 11 × tangible net worth: above the 10:1 top of the grid."""
    data = _bb(bb={"cost_advance_rate_pct": None}, borrower={"total_debt": "11000000", "tangible_net_worth": "1000000"})
    warning = _one(_warnings(data, ["1000000"]), "debt ÷ tangible net worth")
    with translation.override("zh-hans"):
        text = warning_text(warning)
    assert "11.00:1" in text and "10.00:1" in text and "English" not in text
    assert text != warning


def test_replenishment_breach_in_english():
    """Committed guarantee 1,200 against 1,000 of mobilisable stock: 200 to restore."""
    data = {
        "structure": "pledge_with_dispossession",
        "pledge": {"committed_guarantee": "1200", "fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
    }
    warning = _one(_warnings(data, ["1000"]), "replenishment clause breached")
    with translation.override("en"):
        assert warning_text(warning, currency="EUR") == "Replenishment clause breached: €200.00 of stock to restore"


def test_unusual_over_collateralisation_in_french():
    data = {
        "structure": "pledge_with_dispossession",
        "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "250"},
    }
    warning = _one(_warnings(data, ["1000"]), "over-collateralisation")
    with translation.override("fr"):
        text = warning_text(warning)
    assert text.startswith("Un surdimensionnement de 250\u202f% ") or text.startswith("Le surdimensionnement de 250")
    assert "120" in text and "200" in text


@pytest.mark.parametrize(
    ("warning", "expected"),
    [
        ("rule wip not assessed: no firm_order / sellable_as_is column", "“En-cours de production”"),
        ("loan-to-value 80.5 % is above the liquidity cap 70 %", "80,5\xa0%"),
        ("3 line(s) have no resale price and no category rate: no liquidation value counted for them", "3 "),
    ],
)
def test_other_engine_messages_are_recognised(warning, expected):
    with translation.override("fr"):
        text = warning_text(warning)
    assert text != warning and expected in text


def test_an_unknown_warning_is_shown_as_written():
    with translation.override("fr"):
        assert warning_text("something new happened") == "something new happened"


def test_unknown_sub_category_and_expired_appraisal_in_french():
    """Both new engine warnings are recognised and shown in French, naming the code."""
    data = {
        "structure": "pledge_without_dispossession",
        "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
        "categories": [{"category": "raw_material", "nrv_pct_of_cost": "50", "expired_appraisal_pct": "40"}],
    }
    df = lines(["100", "100"], sub_category=["RM-X", "RM-X"])
    warnings = list(valuate(df, terms(data), as_of=AS_OF).warnings)
    unknown = _one(warnings, "2 raw_material line(s)")
    expired = _one(warnings, "the appraisal has expired")
    with translation.override("fr"):
        assert "RM-X" in warning_text(unknown) and warning_text(unknown) != unknown
        assert warning_text(expired) != expired
