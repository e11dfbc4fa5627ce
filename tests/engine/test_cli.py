"""`manage.py valuate` gives DOMAIN.md's hand-worked figures through the shared reader and engine."""

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
    stock, terms = _write(tmp_path, EXAMPLE_A, PLEDGE)
    out = StringIO()
    call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31", "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["eligibility"]["book_value"] == "5000000.00"
    assert body["eligibility"]["eligible"] == "3200000.00"
    assert body["financing"]["pledge"]["guarantee"] == "2400000.00"
    assert body["financing"]["financing"] == "1600000.00"


def test_example_b_borrowing_base_as_table(tmp_path):
    """Eligible cost 8,000,000 with a NOLV appraisal of 65 % (5,200,000): min(4,800,000; 4,420,000)
    − 250,000 = 4,170,000; limit 5,000,000, outstanding 3,900,000 → availability 270,000."""
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
    assert "4,170,000.00" in text and "270,000.00" in text


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


def test_a_file_in_two_currencies_is_not_summed_as_one(tmp_path):
    """The command has no rate table: 1,000 EUR + 1,000 USD would have been valued as 2,000 of
    one currency; the file is refused, naming both currencies."""
    stock = "sku,category,quantity,unit_cost,currency\nA,raw_material,1,1000,EUR\nB,raw_material,1,1000,usd\n"
    stock, terms = _write(tmp_path, stock, PLEDGE)
    with pytest.raises(CommandError, match=r"EUR \(1 lines\), USD \(1 lines\)"):
        call_command("valuate", stock, "--terms", terms, "--as-of", "2026-10-31")
