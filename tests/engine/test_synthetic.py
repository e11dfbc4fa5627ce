"""The benchmark's synthetic frame is canonical and values cleanly, threaded parse included."""

from __future__ import annotations

from bench.synthetic import SYNTHETIC_AS_OF, synthetic_lines
from tests.engine.helpers import terms
from valuation.engine import valuate


def test_synthetic_lines_are_seeded_and_value_cleanly():
    """Same seed, same frame; 60,000 lines (threaded parse) reconcile to the cent."""
    frame = synthetic_lines(60_000, seed=7)
    assert frame.equals(synthetic_lines(60_000, seed=7))
    result = valuate(frame, terms(), as_of=SYNTHETIC_AS_OF)
    lines = result.lines
    reasons = [c for c in lines.columns if c.startswith("ineligible_") and c != "ineligible_cents"]
    assert (lines["book_value_cents"] == lines["eligible_cents"] + lines[reasons].sum(axis=1)).all()
    assert result.line_count == 60_000
