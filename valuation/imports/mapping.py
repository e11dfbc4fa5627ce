"""Map a file's headers to canonical columns: by their words, their cells and the advisor's say.

Each header is scored against every canonical column by its words (``headers.scores``, in six
languages and the ERPs' field names); a sample of the cells adds or takes away evidence
(``contents.weigh``: the quantity × unit cost = value triple, dates, category codes, the SKU);
then the best assignment over the whole header row is chosen (``assign``), so that "Storage
Location" takes the warehouse from "Plant" whatever their order. A saved mapping always wins
for the headers it knows. A ``ColumnMapping`` records the decision; it is JSON-able so the
Django side can store it, let an advisor correct it and pass it back for the next upload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from valuation.engine.columns import COLUMNS, DATE, Category

from .headers import ACCEPT, STRONG, best_column, normalise, scores

if TYPE_CHECKING:
    import polars as pl

    from .sources import Grid

__all__ = [
    "ACCEPT",
    "STRONG",
    "ColumnMapping",
    "assign",
    "category_lookup",
    "guess_column",
    "header_score",
    "normalise",
    "propose_grid_mapping",
    "propose_mapping",
]

SCORE_STEPS = 1000  # scores are compared in thousandths, so ties are exact


def guess_column(header: str) -> str | None:
    """Return the canonical column a header most likely names on its own words, or None."""
    column, value = best_column(header)
    return column if value >= ACCEPT else None


def category_lookup(
    extra_aliases: Mapping[str, str] | None = None,
) -> dict[str, Category]:
    """Return normalised name -> Category: the built-in names overridden by ``extra_aliases``.

    Kept for callers of the exact-name table; ``categories.resolve`` also reads hierarchical
    labels and account numbers. Raises ValueError when an alias is not a Category value.
    """
    # Imported here: categories uses this module's ``normalise``.
    from .categories import category_lookup as lookup

    return lookup(extra_aliases)


@dataclass(slots=True)
class ColumnMapping:
    """Which source header feeds which canonical column, plus category aliases.

    ``columns`` maps a source header (exactly as in the file, trimmed) to a canonical column
    name, or to None to say "ignore this column" explicitly. ``category_aliases`` maps a
    category value as written in the file to a ``Category`` value. ``unmapped`` lists the
    headers of the last file read that feed no column (informational, not used for reading).
    ``confirmed`` is set by the Django side once an advisor has reviewed the mapping.
    """

    columns: dict[str, str | None] = field(default_factory=dict)
    category_aliases: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    confirmed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the mapping as a JSON-able dict."""
        return {
            "columns": dict(self.columns),
            "category_aliases": dict(self.category_aliases),
            "unmapped": list(self.unmapped),
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """Rebuild a mapping from :meth:`to_json` output; raise ValueError if it names an
        unknown canonical column or category."""
        columns = {str(k): (str(v) if v else None) for k, v in dict(data.get("columns", {})).items()}
        for source, target in columns.items():
            if target is not None and target not in COLUMNS:
                raise ValueError(f"Header “{source}” is mapped to unknown column “{target}”.")
        aliases = {str(k): Category(v).value for k, v in dict(data.get("category_aliases", {})).items()}
        return cls(
            columns=columns,
            category_aliases=aliases,
            unmapped=[str(h) for h in data.get("unmapped", [])],
            confirmed=bool(data.get("confirmed", False)),
        )

    def targets(self) -> dict[str, str]:
        """Return canonical column -> source header for the mapped columns."""
        return {target: source for source, target in self.columns.items() if target}


def assign(weights: Sequence[Mapping[str, float]], minimum: float = ACCEPT) -> dict[int, str]:
    """The best assignment of canonical columns to headers: header index -> canonical column.

    ``weights[i]`` scores header ``i`` against canonical columns; pairs under ``minimum`` are not
    allowed. Each header feeds one column at most and each column is fed by one header at most;
    of all such assignments the one with the largest total score is chosen (Hungarian
    algorithm), and among equal totals the one using the leftmost headers, so two equally good
    candidates are settled by their order in the file, the first one winning.
    """
    targets = sorted({c for found in weights for c, v in found.items() if v >= minimum}, key=list(COLUMNS).index)
    if not targets:
        return {}
    # Only headers that may feed some column take part (a wide export has many that do not).
    candidates = [i for i, found in enumerate(weights) if any(v >= minimum for v in found.values())]
    n_headers = len(weights)
    # Integer weights: the score in thousandths, then a bonus for the header's position that can
    # never add up to one thousandth (at most ``len(targets)`` headers are used).
    scale = (n_headers + 1) * len(targets) + 1
    cost: list[list[int]] = []
    for target in targets:
        row = []
        for index in candidates:
            value = weights[index].get(target, 0.0)
            row.append(-(round(value * SCORE_STEPS) * scale + (n_headers - index)) if value >= minimum else 0)
        row.extend([0] * len(targets))  # one "fed by no header" slot per canonical column
        cost.append(row)
    chosen = _hungarian(cost)
    return {
        candidates[col]: targets[row] for row, col in enumerate(chosen) if col < len(candidates) and cost[row][col] < 0
    }


def _hungarian(cost: list[list[int]]) -> list[int]:
    """Minimum-cost assignment of each row to a distinct column (rows <= columns): the column
    chosen for each row. Shortest augmenting paths with potentials, O(rows² × columns)."""
    n, m = len(cost), len(cost[0])
    u = [0] * (n + 1)
    v = [0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j]: the row (1-based) assigned to column j, 0 if none
    way = [0] * (m + 1)
    for row in range(1, n + 1):
        owner[0] = row
        j0 = 0
        reduced = [float("inf")] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], float("inf"), 0
            for j in range(1, m + 1):
                if not used[j]:
                    current = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if current < reduced[j]:
                        reduced[j], way[j] = current, j0
                    if reduced[j] < delta:
                        delta, j1 = reduced[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    reduced[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    chosen = [0] * n
    for j in range(1, m + 1):
        if owner[j]:
            chosen[owner[j] - 1] = j - 1
    return chosen


def propose_mapping(
    headers: Sequence[str | None],
    saved: ColumnMapping | None = None,
    *,
    sample: pl.DataFrame | None = None,
    category_aliases: Mapping[str, str] | None = None,
    decimal_mark: str = ".",
) -> tuple[ColumnMapping, list[str]]:
    """Map each header of a file to a canonical column.

    A header found in ``saved`` keeps the advisor's choice (including "ignore"), and the
    columns it feeds are taken. The other headers are scored by their words and, when
    ``sample`` (grid rows, columns ``c0``, ``c1``... in header order) is given, by their cells
    (``category_aliases`` name more categories; ``decimal_mark`` is the file's default mark,
    used when the cells prove neither); then the best assignment over the whole row is chosen.
    Returns the mapping (for the headers of this file) and the conflicting headers: those that
    clearly name a column another header feeds (they are left unmapped).
    """
    return _propose(headers, saved, sample, category_aliases, decimal_mark)


def propose_grid_mapping(
    grid: Grid, saved: ColumnMapping | None = None, *, category_aliases: Mapping[str, str] | None = None
) -> tuple[ColumnMapping, list[str]]:
    """``propose_mapping`` for a grid read from a file, with a sample of its cells as evidence
    (a file read with ``;``, tab or ``|`` defaults to a decimal comma, as the validator does)."""
    from .contents import content_sample  # contents reads categories, which imports this module

    default_mark = "," if grid.detected.get("separator") in (";", "tab", "|") else "."
    sample = content_sample(grid.frame, len(grid.headers))
    return propose_mapping(
        grid.headers, saved, sample=sample, category_aliases=category_aliases, decimal_mark=default_mark
    )


def _propose(
    headers: Sequence[str | None],
    saved: ColumnMapping | None,
    sample: pl.DataFrame | None,
    category_aliases: Mapping[str, str] | None,
    decimal_mark: str,
) -> tuple[ColumnMapping, list[str]]:
    saved_columns = saved.columns if saved else {}
    texts = [(raw or "").strip() for raw in headers]
    # A header repeated in the file counts once, at its first place (the validator reports it).
    first = {}
    for index, text in enumerate(texts):
        if text and text not in first:
            first[text] = index
    pinned: dict[int, str | None] = {}
    conflicts: list[str] = []
    taken: set[str] = set()
    for text, index in first.items():
        if text in saved_columns:
            target = saved_columns[text]
            if target is not None and target in taken:
                conflicts.append(text)
                target = None
            if target is not None:
                taken.add(target)
            pinned[index] = target
    open_columns = {i for i in first.values() if i not in pinned}
    word_scores: list[dict[str, float]] = [
        {c: v for c, v in scores(text).items() if c not in taken} if i in open_columns else {}
        for i, text in enumerate(texts)
    ]
    weights: list[dict[str, float]] = word_scores
    if sample is not None and sample.height and open_columns:
        weights = _weigh_contents(
            word_scores, sample, open_columns, set(COLUMNS) - taken, saved, category_aliases, decimal_mark
        )
    chosen = assign([weights[i] if i in open_columns else {} for i in range(len(texts))])
    columns: dict[str, str | None] = {}
    for text, index in first.items():
        columns[text] = pinned[index] if index in pinned else chosen.get(index)
    fed = {target for target in columns.values() if target}
    for text, index in first.items():
        if index in pinned or columns[text] is not None:
            continue
        column, value = best_column(text)
        if column in fed and value >= STRONG:
            conflicts.append(text)
    mapping = ColumnMapping(
        columns=columns,
        category_aliases=dict(saved.category_aliases) if saved else {},
        unmapped=[h for h, t in columns.items() if t is None],
        confirmed=bool(saved and saved.confirmed and all(h in saved_columns for h in columns)),
    )
    return mapping, conflicts


def _weigh_contents(
    word_scores: list[dict[str, float]],
    sample: pl.DataFrame,
    open_columns: set[int],
    open_targets: set[str],
    saved: ColumnMapping | None,
    category_aliases: Mapping[str, str] | None,
    default_mark: str,
) -> list[dict[str, float]]:
    # Imported here: categories (which contents reads) imports this module's ``normalise``.
    from .categories import Resolver
    from .contents import profile, weigh

    aliases = dict(category_aliases or {})
    aliases.update(saved.category_aliases if saved else {})
    resolve = Resolver(aliases)
    wanted = [f"c{i}" for i in sorted(open_columns) if f"c{i}" in sample.columns]
    columns = sample.select(wanted)
    # Dates are parsed exactly only where a weak header suggests them (the cells then confirm
    # or refute it); numbers, flags, categories and codes are looked for everywhere.
    weak_dates = {i for i in open_columns for c, v in word_scores[i].items() if COLUMNS[c] == DATE and v < STRONG}
    weights, _found = weigh(
        word_scores,
        profile(columns, default_mark, dates=weak_dates),
        open_columns=open_columns,
        open_targets=open_targets,
        is_category=lambda value: resolve(value) is not None,
        accept=ACCEPT,
        strong=STRONG,
    )
    return weights


def header_score(cells: Sequence[str | None], saved: ColumnMapping | None = None) -> int:
    """Count the cells of a row that look like headers (used to find the header row under the
    title rows): cells a saved mapping knows, or whose words name a canonical column."""
    known = saved.columns if saved else {}
    score = 0
    for cell in cells:
        text = (cell or "").strip()
        if text and (text in known or guess_column(text) is not None):
            score += 1
    return score
