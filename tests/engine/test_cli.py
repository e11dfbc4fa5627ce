"""`manage.py valuate` gives the hand-worked figures of docs/domain.md through the shared reader and engine."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

HEADER = (
    "sku,category,quantity,unit_cost,unpaid_amount,retention_of_title,supplier_consignment,firm_order,"
    "last_movement_date"
)
EXAMPLE_A = f"""{HEADER}
RM1,raw_material,1,1500000,0,false,false,,2026-10-01
RM2,raw_material,1,400000,400000,true,false,,2026-10-01
RM3,raw_material,1,100000,0,false,true,,2026-10-01
WIP1,wip,1,1000000,0,false,false,false,2026-10-01
WIP2,wip,1,200000,0,false,false,true,2026-10-01
FG1,finished_good,1,1500000,0,false,false,,2026-10-01
FG2,finished_good,1,300000,0,false,false,,2025-06-01
"""
PLEDGE = {
    "structure": "pledge_without_dispossession",
    "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
}


def _write(tmp_path, stock: str, terms: dict) -> tuple[str, str]:
    stock_path, terms_path = tmp_path / "stock.csv", tmp_path / "terms.json"
    stock_path.write_text(stock, encoding="utf-8")
    terms_path.write_text(json.dumps(terms), encoding="utf-8")
    return str(stock_path), str(terms_path)


def test_example_a_pledge_as_json(tmp_path):
    # No resale price in the file: the caps are marked indicative to check the pledge arithmetic
    # (binding, they lend nothing on stock with no liquidation value: the next test).
    stock, terms = _write(tmp_path, EXAMPLE_A, {**PLEDGE, "ltv_caps_indicative": True})
    out = StringIO()
    call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31", "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["eligibility"]["book_value"] == "5000000.00"
    assert body["eligibility"]["eligible"] == "3200000.00"
    assert body["financing"]["pledge"]["guarantee"] == "2400000.00"
    assert body["financing"]["financing"] == "1600000.00"


def test_example_a_with_binding_caps_lends_nothing_on_stock_without_liquidation_value(tmp_path):
    """Guarantee 2,400,000 ÷ 150 % = 1,600,000 by the pledge, but no line has a resale price, so the
    eligible liquidation value is 0 and Σ cap × 0 = 0 is lent (and the warning says why)."""
    stock, terms = _write(tmp_path, EXAMPLE_A, PLEDGE)
    out = StringIO()
    call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31", "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["financing"]["pledge"]["financing_before_limit"] == "1600000.00"
    assert body["financing"]["financing"] == "0.00"
    assert body["financing"]["binding"] == "ltv_cap"
    assert "financing capped by the loan-to-value caps at 0.00 (structure gives 1600000.00)" in body["warnings"]


def test_example_b_borrowing_base_as_table(tmp_path):
    """Eligible cost 8,000,000 with a NOLV appraisal of 65 % (5,200,000): min(4,800,000; 4,420,000)
    − 250,000 = 4,170,000 is the base; the raw-material setting's class is medium (65 %), so the
    LTV cap binds at 65 % × 5,200,000 = 3,380,000; outstanding 3,900,000 → availability −520,000."""
    stock = "sku,category,quantity,unit_cost,last_movement_date\nRM1,raw_material,1,8000000,2026-10-01\n"
    terms = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": "250000"},
        "categories": [{"category": "raw_material", "nolv_appraisal_pct": "65"}],
        "facility_limit": "5000000",
        "outstanding": "3900000",
    }
    stock_path, terms_path = _write(tmp_path, stock, terms)
    out = StringIO()
    call_command("valuate", stock_path, "--terms", terms_path, "--as-of", "2026-10-31", stdout=out)
    text = out.getvalue()
    assert "4,170,000.00" in text and "3,380,000.00" in text and "-520,000.00" in text


def test_bad_terms_name_the_setting(tmp_path):
    stock, terms = _write(
        tmp_path,
        EXAMPLE_A,
        {"structure": "pledge_without_dispossession", "pledge": {"over_collateralisation_pct": "90"}},
    )
    with pytest.raises(CommandError, match="over_collateralisation_pct"):
        call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31")


def test_a_rejected_file_names_row_and_column(tmp_path):
    stock, terms = _write(tmp_path, "sku,category,quantity,unit_cost\nA,raw_material,abc,1\n", PLEDGE)
    with pytest.raises(CommandError, match="(?s)rejected.*2"):
        call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31")


def test_named_reserves_in_the_table_each_with_its_basis(tmp_path):
    """Eligible 8,000,000 at LYO and MAR (6,000,000 + 2,000,000), NOLV 65 % → 5,200,000; LYO has a
    rent reserve with no rent, so its 6,000,000 is excluded: eligible 2,000,000, NOLV 1,300,000,
    legs 1,200,000 and 1,105,000. Shrink 2 % × 2,000,000 = 40,000; rent MAR 3 × 12,500 = 37,500;
    other 10,000 → 87,500; base 1,105,000 − 87,500 = 1,017,500."""
    stock = (
        "sku,category,quantity,unit_cost,warehouse,last_movement_date\n"
        "RM1,raw_material,1,6000000,LYO,2026-10-01\nRM2,raw_material,1,2000000,MAR,2026-10-01\n"
    )
    reserves = [
        {"kind": "shrink", "pct": "2"},
        {"kind": "rent", "site": "MAR", "monthly_rent": "12500"},
        {"kind": "rent", "site": "LYO"},
        {"kind": "other", "amount": "10000", "reason": "field exam"},
    ]
    terms = {
        "structure": "borrowing_base",
        "borrowing_base": {"cost_advance_rate_pct": "60", "nolv_advance_rate_pct": "85", "reserves": reserves},
        "categories": [{"category": "raw_material", "nolv_appraisal_pct": "65"}],
    }
    stock_path, terms_path = _write(tmp_path, stock, terms)
    out = StringIO()
    call_command("valuate", stock_path, "--terms", terms_path, "--as-of", "2026-10-31", stdout=out)
    text = out.getvalue()
    for expected in (
        "shrink: 2 % × 2000000.00",
        "rent, site MAR: 3 × 12500",
        "rent, site LYO: no monthly rent, its stock excluded",
        "other: field exam",
        "87,500.00",
        "1,017,500.00",
    ):
        assert expected in text, (expected, text)


def test_a_file_in_two_currencies_is_not_summed_as_one(tmp_path):
    """The command has no rate table: 1,000 EUR + 1,000 USD would have been valued as 2,000 of
    one currency; the file is refused, naming both currencies."""
    stock = "sku,category,quantity,unit_cost,currency\nA,raw_material,1,1000,EUR\nB,raw_material,1,1000,usd\n"
    stock, terms = _write(tmp_path, stock, PLEDGE)
    with pytest.raises(CommandError, match=r"EUR \(1 lines\), USD \(1 lines\)"):
        call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31")
