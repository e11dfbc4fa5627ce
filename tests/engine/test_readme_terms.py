"""The terms files documented in the README load as they are written (the docs stay true)."""

import json
import re
from pathlib import Path

from valuation.engine.terms import Method, Rule, Structure, terms_from_dict

README = Path(__file__).resolve().parents[2] / "README.md"


def _json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_each_structure_example_loads():
    blocks = _json_blocks()
    loaded = [terms_from_dict(json.loads(block)) for block in blocks[:3]]
    assert [t.structure for t in loaded] == [
        Structure.PLEDGE_WITHOUT_DISPOSSESSION,
        Structure.BORROWING_BASE,
        Structure.PLEDGE_WITH_DISPOSSESSION,
    ]
    assert loaded[2].method == Method.CRITERIA


def test_the_rules_example_lists_every_rule_in_order():
    rules = json.loads("{" + _json_blocks()[3].strip() + "}")
    terms = terms_from_dict({**rules, "structure": "pledge_with_dispossession", "pledge": {}})
    assert [str(r.rule) for r in terms.rules][:3] == ["not_owned", "retention_of_title", "reverse_factoring"]
    assert len(terms.rules) == len(Rule) and terms.excluded_locations == ("MAR",)


def test_the_caps_example_loads_and_binds():
    caps = json.loads("{" + _json_blocks()[4].strip() + "}")
    terms = terms_from_dict({**caps, "structure": "pledge_with_dispossession", "pledge": {}})
    assert [str(terms.ltv_caps[k]) for k in sorted(terms.ltv_caps)] == ["80", "35", "60"]  # high, low, medium
    assert terms.ltv_caps_indicative is False


def test_the_one_rule_example_in_the_text_changes_that_rule_only():
    """The README's prose example tightens obsolescence; every other rule stays on."""
    match = re.search(r'`(\{"rules": \[\{"rule": "obsolete",\s*"no_movement_days": 180\}\]\})`', README.read_text())
    assert match, "the README's one-rule example moved"
    data = json.loads(re.sub(r"\s+", " ", match.group(1)))
    terms = terms_from_dict({**data, "structure": "pledge_with_dispossession", "pledge": {}})
    assert all(rule.enabled for rule in terms.rules) and len(terms.rules) == len(Rule)


def test_the_reserves_example_loads_every_kind():
    block = next(b for b in _json_blocks() if '"kind": "shrink"' in b)
    terms = terms_from_dict({**json.loads("{" + block.strip() + "}"), "structure": "borrowing_base"})
    kinds = [str(r.kind) for r in terms.borrowing_base.reserves]
    assert kinds == ["shrink", "rent", "priority_payables", "dilution", "other"]


def test_the_sites_example_loads():
    sites = json.loads("{" + next(b for b in _json_blocks() if "declared_locations" in b).strip() + "}")
    terms = terms_from_dict({**sites, "structure": "pledge_with_dispossession", "pledge": {}})
    assert terms.declared_locations == ("LYO", "VEN", "MAR")
    assert terms.uninsured_locations == ("MAR",) and terms.no_dispossession_locations == ("VEN", "MAR")


def test_the_sub_categories_example_loads():
    """The README's categories fragment, inside a pledge: PF-LUX and PF-OUT valued on their own."""
    fragment = json.loads("{" + next(b for b in _json_blocks() if "sub_categories" in b).strip() + "}")
    terms = terms_from_dict(
        {
            "structure": "pledge_without_dispossession",
            "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
            **fragment,
        }
    )
    assert [s.code for s in terms.sub_categories] == ["PF-LUX", "PF-OUT"]
