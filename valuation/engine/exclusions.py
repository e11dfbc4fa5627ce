"""Line exclusions from field exams (docs/domain.md, "Field exams").

An advisor who accepts a finding (damaged, missing, not owned, at an undeclared site) as a line
exclusion takes that stock out of every later valuation: each line of the file with the finding's
SKU at the finding's site is ineligible in full under the reason ``field_exam_finding``, before
any rule of the waterfall or any site rule of the criteria method (so the amount is the
exclusion's, never shared). The match is on codes trimmed and compared without regard to case:
a SKU spelled "ab-1" in a later file is still the seized line "AB-1", and a loose match can only
exclude more, the safe side. A finding on a line with no site excludes the SKU at every site. A
SKU the file does not hold excludes nothing, and a warning says so (the stock may have been
sold, or renamed: the advisor should look). Masks are per line; amounts are int64 cents, no
rounding happens here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from valuation.engine.lines import Lines
from valuation.engine.rules import APPLIED, RuleStatus, RuleTake
from valuation.engine.terms import LineExclusion

# The reason code of the excluded lines (borrowers/common/labels.py gives its words).
FIELD_EXAM_FINDING = "field_exam_finding"


@dataclass(frozen=True)
class ExclusionMatch:
    """What one exclusion takes from the file: its lines and their book value in cents."""

    exclusion: LineExclusion
    lines: int
    book_cents: int


@dataclass(frozen=True)
class Exclusions:
    """The exclusions' combined take (whole lines), its status for the rules table, each match."""

    take: RuleTake
    status: RuleStatus
    matches: tuple[ExclusionMatch, ...]


def _key(text: object) -> str:
    return str(text).strip().casefold()


def exclusion_masks(skus: pd.Series, lines: Lines, exclusions: tuple[LineExclusion, ...]) -> list[np.ndarray]:
    """One per-line mask per exclusion: the lines of ``skus`` (the frame's SKU column, in the
    order of ``lines``) with the exclusion's SKU, at its site when it names one."""
    keys = skus.astype("string").fillna("").str.strip().str.casefold().to_numpy(dtype=object)
    labels = [_key(label) for label in lines.warehouse_labels]
    masks = []
    for exclusion in exclusions:
        mask = keys == _key(exclusion.sku)
        site = _key(exclusion.site)
        if site:
            at_site = np.array([label == site for label in labels], dtype=bool)
            mask &= at_site[lines.warehouse]
        masks.append(np.asarray(mask, dtype=bool))
    return masks


def assess_exclusions(skus: pd.Series, lines: Lines, exclusions: tuple[LineExclusion, ...]) -> Exclusions | None:
    """The take of the facility's line exclusions, or None when it has none (the result is then
    what it was before field exams existed)."""
    if not exclusions:
        return None
    masks = exclusion_masks(skus, lines, exclusions)
    combined = np.zeros(len(lines), dtype=bool)
    matches = []
    for exclusion, mask in zip(exclusions, masks, strict=True):
        combined |= mask
        matches.append(ExclusionMatch(exclusion, int(np.count_nonzero(mask)), int(lines.book[mask].sum())))
    sources = "; ".join(f"{e.exam or 'field exam'} finding {e.finding}" for e in exclusions)
    status = RuleStatus(FIELD_EXAM_FINDING, APPLIED, (), 0, f"excluded by {sources}")  # type: ignore[arg-type]
    return Exclusions(RuleTake(FIELD_EXAM_FINDING, mask=combined), status, tuple(matches))  # type: ignore[arg-type]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _where(exclusion: LineExclusion) -> str:
    return f"site {exclusion.site.strip()}" if exclusion.site.strip() else "any site"


def exclusion_warnings(matches: tuple[ExclusionMatch, ...]) -> list[str]:
    """One warning per exclusion: what it took (lines, book value), or that the file has no such
    line (pages translate them: borrowers/common/labels.py)."""
    warnings = []
    for match in matches:
        e = match.exclusion
        source = f"field exam {e.exam or '?'} finding {e.finding}"
        if match.lines:
            warnings.append(
                f"{source}: SKU {e.sku.strip()} at {_where(e)} excluded: {match.lines} line(s), "
                f"book value {_money(match.book_cents)}"
            )
        else:
            warnings.append(f"{source}: SKU {e.sku.strip()} at {_where(e)} is not in the stock file: nothing excluded")
    return warnings
