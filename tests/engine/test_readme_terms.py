"""The terms files documented in the README load as they are written (the docs stay true)."""

import json
import re
from pathlib import Path

from valuation.engine.terms import Method, Structure, terms_from_dict

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
    assert len(terms.rules) == 11 and terms.excluded_locations == ("MAR",)


def test_the_sub_categories_example_loads():
    """The README's categories fragment, inside a pledge: PF-LUX and PF-OUT valued on their own."""
    fragment = json.loads("{" + _json_blocks()[4].strip() + "}")
    terms = terms_from_dict(
        {
            "structure": "pledge_without_dispossession",
            "pledge": {"fungibility_share_pct": "75", "over_collateralisation_pct": "150"},
            **fragment,
        }
    )
    assert [s.code for s in terms.sub_categories] == ["PF-LUX", "PF-OUT"]
