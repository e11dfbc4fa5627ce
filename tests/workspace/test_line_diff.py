"""The pure line comparison (valuation.engine.line_diff) on hand-made frames, no database."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.engine.line_diff import CHANGES, LINE_INPUT, compare_lines, overall, summarise


def frame(*lines) -> pd.DataFrame:
    """Lines as (row, sku, warehouse, quantity_milli, book, eligible, reason); ineligible = book − eligible."""
    records = [
        (row, sku, wh, f"item {sku}", "raw_material", qty, book, eligible, book - eligible, reason)
        for row, sku, wh, qty, book, eligible, reason in lines
    ]
    return pd.DataFrame(records, columns=list(LINE_INPUT))


EARLIER = frame(
    (2, "A", "W1", 10_000, 10_000, 10_000, None),  # 10 × 10,00
    (3, "B", "W1", 5_000, 2_500, 2_500, None),  # 5 × 5,00
    (4, "C", "W1", 1_000, 700, 0, "obsolete"),  # ineligible before
    (5, "D", "W2", 2_000, 400, 400, None),
    (6, "E", "W1", 3_000, 300, 300, None),
    (7, "E", "W2", 1_000, 100, 100, None),  # E in another warehouse: another key
    (8, "G", "W1", 1_000, 50, 50, None),
)
LATER = frame(
    (2, "A", "W1", 12_000, 12_000, 12_000, None),  # quantity 10 → 12: +20,00
    (3, "B", "W1", 5_000, 3_000, 3_000, None),  # same quantity, 6,00 each: +5,00
    (4, "C", "W1", 1_000, 700, 700, None),  # became eligible (was obsolete)
    (5, "D", "W2", 2_000, 400, 0, "unpaid"),  # became ineligible (unpaid)
    (6, "E", "W1", 3_000, 300, 300, None),  # unchanged
    (9, "F", "W1", 4_000, 800, 800, None),  # new
    # G gone; E/W2 gone
)


def by_key(diff):
    return {(r.sku, r.warehouse): r for r in diff.itertuples()}


def test_each_key_gets_its_class_and_reason():
    diff = by_key(compare_lines(EARLIER, LATER))
    assert {k: (r.change, r.reason) for k, r in diff.items()} == {
        ("A", "W1"): ("changed_quantity", ""),
        ("B", "W1"): ("changed_unit_cost", ""),
        ("C", "W1"): ("became_eligible", "obsolete"),  # why it was ineligible before
        ("D", "W2"): ("became_ineligible", "unpaid"),  # why it is ineligible now
        ("E", "W1"): ("unchanged", ""),
        ("E", "W2"): ("gone", ""),
        ("F", "W1"): ("new", ""),
        ("G", "W1"): ("gone", ""),
    }
    assert diff[("A", "W1")].book_delta_cents == 2_000
    assert diff[("A", "W1")].quantity_delta_milli == 2_000
    assert diff[("C", "W1")].eligible_delta_cents == 700
    assert diff[("D", "W2")].eligible_delta_cents == -400


def test_summary_per_class_adds_up_to_the_total():
    diff = compare_lines(EARLIER, LATER)
    summary = {t.change: t for t in summarise(diff)}
    assert [t.change for t in summarise(diff)] == list(CHANGES)
    assert summary["gone"].keys == 2
    assert summary["gone"].book_delta == Decimal("-1.50")  # 1,00 + 0,50
    assert summary["new"].book_delta == Decimal("8.00")
    assert summary["changed_unit_cost"].book_delta == Decimal("5.00")
    assert summary["became_ineligible"].eligible_delta == Decimal("-4.00")
    total = overall(diff)
    # Book 140,50 → 172,00 (hand sums of the two frames).
    assert (total.book_before, total.book_after, total.book_delta) == (
        Decimal("140.50"),
        Decimal("172.00"),
        Decimal("31.50"),
    )
    assert sum((t.book_delta for t in summary.values()), Decimal(0)) == Decimal("31.50")


def test_duplicate_keys_are_added_up_whatever_their_order():
    earlier = frame((2, "A", "W1", 1_000, 100, 100, None))
    later = frame(
        (7, "A", "W1", 500, 60, 0, "wip"),
        (3, "A", "W1", 500, 50, 50, None),
        (5, "A", "W1", 500, 40, 0, "defective"),
    )
    (row,) = compare_lines(earlier, later).itertuples()
    assert (row.lines_after, row.quantity_after_milli, row.book_after_cents) == (3, 1_500, 150)
    # The key's reason is that of its first ineligible line by row number (5: defective, not wip).
    assert (row.change, row.reason, row.first_row_after) == ("became_ineligible", "defective", 3)
    shuffled = later.iloc[[2, 0, 1]]
    assert compare_lines(earlier, shuffled).equals(compare_lines(earlier, later))


def test_empty_files():
    empty = frame()
    assert len(compare_lines(empty, empty)) == 0
    diff = compare_lines(empty, LATER)
    assert set(diff["change"]) == {"new"}
    assert overall(diff).book_delta == Decimal("172.00")


line = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["W1", "W2", ""]),
    st.integers(0, 5_000),  # quantity, thousandths
    st.integers(-(10**9), 10**12),  # book value, cents
    st.integers(0, 100),  # eligible share, percent
    st.sampled_from(["wip", "obsolete", "unpaid"]),
)


def random_frame(items):
    rows = []
    for row, (sku, wh, qty, book, share, reason) in enumerate(items, start=2):
        eligible = book * share // 100
        rows.append((row, sku, wh, qty, book, eligible, reason if eligible != book else None))
    return frame(*rows)


@settings(max_examples=150, deadline=None)
@given(st.lists(line, max_size=25), st.lists(line, max_size=25))
def test_class_deltas_add_up_exactly_to_the_total_delta(earlier_items, later_items):
    earlier, later = random_frame(earlier_items), random_frame(later_items)
    diff = compare_lines(earlier, later)
    summary = summarise(diff)
    cents = Decimal("0.01")
    book_delta = Decimal(int(later["book_value_cents"].sum()) - int(earlier["book_value_cents"].sum())) * cents
    eligible_delta = Decimal(int(later["eligible_cents"].sum()) - int(earlier["eligible_cents"].sum())) * cents
    assert sum((t.book_delta for t in summary), Decimal(0)) == book_delta
    assert sum((t.eligible_delta for t in summary), Decimal(0)) == eligible_delta
    # The classes partition the keys of both files.
    keys = {(s, w) for s, w, *_rest in earlier_items} | {(s, w) for s, w, *_rest in later_items}
    assert sum(t.keys for t in summary) == len(keys) == len(diff)
    only_later = {(s, w) for s, w, *_r in later_items} - {(s, w) for s, w, *_r in earlier_items}
    assert {t.change: t.keys for t in summary}["new"] == len(only_later)
