"""Two stock files of one facility, line against line: what is new, gone, or changed, and why.

Pure and vectorised (pandas, no Django, no Python loop over lines). The input of each run is its
per-line table (``LINE_INPUT``): the drill-down's Parquet columns joined, on the row number, to the
stock file's SKU, description and quantity.

**The key.** A line is matched by (SKU, warehouse): the same item in another warehouse is another
stock position. A file may list a key more than once (lots, bins, two cost layers): its lines are
aggregated per key before comparing, so the result does not depend on their order. Quantities and
money are summed; the description and category are those of the key's first line (lowest row
number); its reason is the first reason of its first line that has an ineligible amount.

**The classes** (``CHANGES``) partition the keys of both files; each key gets the first that fits:

1. ``new``: only in the later file; ``gone``: only in the earlier one;
2. ``became_ineligible``: no ineligible amount before, some now (why: the later first reason);
   ``became_eligible``: some ineligible amount before, none now (why: the earlier first reason);
3. ``changed_quantity``: the quantity moved (whatever the unit cost did);
4. ``changed_unit_cost``: same quantity, another book value, so another unit cost;
5. ``unchanged``: same quantity and book value, same eligibility status (the eligible amount
   itself may still move, an ageing discount for instance: its delta is shown).

A key is "ineligible" when any of its book value is taken by a rule (the lines page's
"Ineligible (in whole or part)"). Units: money in integer cents (book value in the facility's
currency, as valued), quantities in thousandths of a unit (``quantity_milli``). Every delta is
an exact integer difference; nothing is rounded. Because the classes partition the keys and a
missing side counts as zero, the book (and eligible) deltas of the classes add up exactly to
the difference of the two files' totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from valuation.engine.money import to_decimal

KEY = ("sku", "warehouse")
# The per-line table of one run, as compare_lines reads it.
LINE_INPUT = (
    "row",
    "sku",
    "warehouse",
    "description",
    "category",
    "quantity_milli",
    "book_value_cents",
    "eligible_cents",
    "ineligible_cents",
    "first_reason",
)
SUMMED = ("quantity_milli", "book_value_cents", "eligible_cents", "ineligible_cents")
CHANGES = (
    "new",
    "gone",
    "became_ineligible",
    "became_eligible",
    "changed_quantity",
    "changed_unit_cost",
    "unchanged",
)
# Columns of compare_lines' result, one row per key.
DIFF_COLUMNS = (
    "sku",
    "warehouse",
    "description",
    "category",
    "change",
    "reason",
    "reason_before",
    "reason_after",
    "lines_before",
    "lines_after",
    "quantity_before_milli",
    "quantity_after_milli",
    "quantity_delta_milli",
    "book_before_cents",
    "book_after_cents",
    "book_delta_cents",
    "eligible_before_cents",
    "eligible_after_cents",
    "eligible_delta_cents",
    "first_row_before",
    "first_row_after",
)


def _clean(lines: pd.DataFrame) -> pd.DataFrame:
    """The ``LINE_INPUT`` columns with plain types: text "" when missing, integers int64."""
    text = {
        name: lines[name].astype("string").fillna("").astype(object)
        for name in ("sku", "warehouse", "description", "category", "first_reason")
    }
    return pd.DataFrame(
        {"row": lines["row"].astype("int64"), **text, **{name: lines[name].astype("int64") for name in SUMMED}}
    )


def key_totals(lines: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """One row per key code (``codes[i]`` is the key of line i): summed quantity (thousandths)
    and cents, the line count, the first line's row, description and category, and the key's
    reason ("" when nothing of it is ineligible)."""
    frame = lines.assign(key=codes).sort_values("row", kind="stable")
    grouped = frame.groupby("key", sort=True)
    out = grouped[list(SUMMED)].sum()
    out["lines"] = grouped.size()
    out = out.join(grouped[["row", "description", "category"]].first())
    taken = frame[frame["ineligible_cents"] != 0]
    out["reason"] = taken.groupby("key", sort=True)["first_reason"].first().reindex(out.index).fillna("")
    return out


def compare_lines(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Each (SKU, warehouse) of either file with its class (``CHANGES``), its figures on both
    sides (0 for a side where it is absent) and exact deltas, ordered by SKU then warehouse.

    ``before`` and ``after`` have the ``LINE_INPUT`` columns. ``reason`` is the why of the class:
    the earlier reason for ``gone`` and ``became_eligible``, the later one otherwise ("" when the
    key is eligible on that side)."""
    earlier, later = _clean(before), _clean(after)
    # One integer per key over both files (ordered by SKU, then warehouse): grouping and joining
    # on integers is many times faster than on two text columns.
    sku_codes, skus = pd.factorize(pd.concat([earlier["sku"], later["sku"]], ignore_index=True), sort=True)
    site_codes, sites = pd.factorize(
        pd.concat([earlier["warehouse"], later["warehouse"]], ignore_index=True), sort=True
    )
    width = max(len(sites), 1)
    codes = sku_codes.astype("int64") * width + site_codes
    left = key_totals(earlier, codes[: len(earlier)])
    right = key_totals(later, codes[len(earlier) :])
    joined = left.merge(
        right, how="outer", left_index=True, right_index=True, suffixes=("_before", "_after"), sort=True
    )
    key_codes = joined.index.to_numpy(dtype="int64")
    in_before = joined["lines_before"].notna().to_numpy()
    in_after = joined["lines_after"].notna().to_numpy()
    counts = ("lines", *SUMMED)
    for name in counts:
        for side in ("_before", "_after"):
            joined[name + side] = joined[name + side].fillna(0).astype("int64")
    for name in ("reason", "description", "category"):
        for side in ("_before", "_after"):
            joined[name + side] = joined[name + side].fillna("").astype(object)
    was_ineligible = joined["ineligible_cents_before"].to_numpy() != 0
    is_ineligible = joined["ineligible_cents_after"].to_numpy() != 0
    both = in_before & in_after
    quantity_moved = joined["quantity_milli_before"].to_numpy() != joined["quantity_milli_after"].to_numpy()
    book_moved = joined["book_value_cents_before"].to_numpy() != joined["book_value_cents_after"].to_numpy()
    change = np.select(
        [
            ~in_before,
            ~in_after,
            both & ~was_ineligible & is_ineligible,
            both & was_ineligible & ~is_ineligible,
            both & quantity_moved,
            both & book_moved,
        ],
        list(CHANGES[:-1]),
        default=CHANGES[-1],
    )
    reason_before = joined["reason_before"].to_numpy(dtype=object)
    reason_after = joined["reason_after"].to_numpy(dtype=object)
    from_before = (change == "gone") | (change == "became_eligible")
    later = in_after
    out = pd.DataFrame(
        {
            "sku": np.asarray(skus, dtype=object)[key_codes // width],
            "warehouse": np.asarray(sites, dtype=object)[key_codes % width],
            # The later file names the item when it has it (a corrected description shows).
            "description": np.where(later, joined["description_after"], joined["description_before"]),
            "category": np.where(later, joined["category_after"], joined["category_before"]),
            "change": change.astype(object),
            "reason": np.where(from_before, reason_before, reason_after),
            "reason_before": reason_before,
            "reason_after": reason_after,
            "lines_before": joined["lines_before"].to_numpy(),
            "lines_after": joined["lines_after"].to_numpy(),
            "quantity_before_milli": joined["quantity_milli_before"].to_numpy(),
            "quantity_after_milli": joined["quantity_milli_after"].to_numpy(),
            "book_before_cents": joined["book_value_cents_before"].to_numpy(),
            "book_after_cents": joined["book_value_cents_after"].to_numpy(),
            "eligible_before_cents": joined["eligible_cents_before"].to_numpy(),
            "eligible_after_cents": joined["eligible_cents_after"].to_numpy(),
            "first_row_before": joined["row_before"].astype("Int64").to_numpy(),
            "first_row_after": joined["row_after"].astype("Int64").to_numpy(),
        }
    )
    out["quantity_delta_milli"] = out["quantity_after_milli"] - out["quantity_before_milli"]
    out["book_delta_cents"] = out["book_after_cents"] - out["book_before_cents"]
    out["eligible_delta_cents"] = out["eligible_after_cents"] - out["eligible_before_cents"]
    return out[list(DIFF_COLUMNS)].reset_index(drop=True)


@dataclass(frozen=True)
class ChangeTotal:
    """One class of keys: how many, and their book and eligible value on both sides (Decimal,
    two places, exact sums of the cents)."""

    change: str
    keys: int
    book_before: Decimal
    book_after: Decimal
    book_delta: Decimal
    eligible_before: Decimal
    eligible_after: Decimal
    eligible_delta: Decimal


SUMMARY_CENTS = (
    "book_before_cents",
    "book_after_cents",
    "book_delta_cents",
    "eligible_before_cents",
    "eligible_after_cents",
    "eligible_delta_cents",
)


def _total(change: str, keys: int, sums: pd.Series) -> ChangeTotal:
    return ChangeTotal(
        change=change,
        keys=keys,
        book_before=to_decimal(int(sums["book_before_cents"])),
        book_after=to_decimal(int(sums["book_after_cents"])),
        book_delta=to_decimal(int(sums["book_delta_cents"])),
        eligible_before=to_decimal(int(sums["eligible_before_cents"])),
        eligible_after=to_decimal(int(sums["eligible_after_cents"])),
        eligible_delta=to_decimal(int(sums["eligible_delta_cents"])),
    )


def summarise(diff: pd.DataFrame) -> tuple[ChangeTotal, ...]:
    """One ``ChangeTotal`` per class, in the order of ``CHANGES`` (a class without keys has zeros)."""
    sums = diff.groupby("change")[list(SUMMARY_CENTS)].sum().reindex(list(CHANGES), fill_value=0)
    counts = diff.groupby("change").size().reindex(list(CHANGES), fill_value=0)
    return tuple(_total(change, int(counts[change]), sums.loc[change]) for change in CHANGES)


def overall(diff: pd.DataFrame) -> ChangeTotal:
    """Every key of both files together: the two files' totals and their difference."""
    return _total("all", len(diff), diff[list(SUMMARY_CENTS)].sum())
