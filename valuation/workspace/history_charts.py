"""Server-made SVG charts of a facility's history (``valuation.workspace.history``): the key figures
as lines over the stock dates, and the ineligible stock by reason as stacked bars; and the rows of
the history table.

Same rules as ``valuation.workspace.charts``: self-contained SVG, colours as literals, every text
escaped, amounts formatted in the active language; safe inline in a page and in WeasyPrint.

The table's rows are made here too, as HTML, not by the template: a facility followed for three
years has 36 periods of a dozen figures each, and rendering them cell by cell through template
nodes was most of what the history cost the dossier (its head, the part a reader changes, stays
in ``valuation/_history.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from borrowers.common import formatting
from valuation.workspace.charts import FONT, GRID, INK, MUTED, _clean

# (attribute of HistoryPoint, label, colour): the lines of the figures chart.
LINE_SERIES = (
    ("book_value", "Book value", "#1f4e79"),
    ("eligible", "Eligible stock", "#1e7b4f"),
    ("liquidation_value", "Liquidation value", "#b7791f"),
    ("financing", "Financing", "#6b3fa0"),
)
# Colours of the ineligible reasons, in their order of first appearance.
REASON_COLOURS = ("#b42318", "#d9822b", "#8c6d1f", "#7a3e9d", "#2b6cb0", "#2f855a", "#9b2c2c", "#4a5568")


def _labels() -> dict[str, str]:
    return {
        "book_value": _("Book value"),
        "eligible": _("Eligible stock"),
        "liquidation_value": _("Liquidation value"),
        "financing": _("Financing"),
    }


def _days(points: Sequence[Any], language: str | None) -> list[str]:
    """Each point's stock date as the reader writes it, formatted once per chart."""
    return [formatting.day(p.as_of, language) for p in points]


def _ticks(count: int, most: int = 6) -> list[int]:
    """Indices of the periods labelled on the x axis: the first, the last, and evenly between."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def _frame(title: str, width: int, height: int) -> list[str]:
    safe = _clean(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="history-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{_clean(FONT)}" font-size="11" '
        f'aria-label="{safe}">',
        f"<title>{safe}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="20" font-size="13" font-weight="700" fill="{INK}">{safe}</text>',
    ]


def _axes(
    parts: list[str],
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    high: Decimal,
    cur: str,
    language: str | None,
) -> None:
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = bottom - float(fraction) * (bottom - top)
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_clean(formatting.money(high * fraction, cur, language))}</text>"
        )


def _legend(parts: list[str], items: Sequence[tuple[str, str]], *, x: float, y: float, width: int) -> None:
    cx, cy = x, y
    for label, colour in items:
        step = 22 + 6.5 * len(label)
        if cx + step > width - 8 and cx > x:
            cx, cy = x, cy + 16
        parts.append(f'<rect x="{cx:.1f}" y="{cy - 9:.1f}" width="12" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{cx + 16:.1f}" y="{cy:.1f}" fill="{INK}">{_clean(label)}</text>')
        cx += step


def figures_line_svg(points: Sequence[Any], *, width: int = 720, height: int = 300, title: str | None = None) -> str:
    """Book value, eligible stock, liquidation value and financing over the stock dates, one line
    each, periods evenly spaced; a missing figure breaks its line."""
    title = title or _("Figures over time")
    currency = points[0].currency if points else "EUR"
    # The language and each stock date's label once per chart, not once per mark.
    language = translation.get_language()
    days = _days(points, language)
    left, right, top, bottom = 110.0, width - 16.0, 34.0, height - 56.0
    values = [getattr(p, attr) for p in points for attr, _l, _c in LINE_SERIES if getattr(p, attr) is not None]
    high = max([Decimal(0), *values]) or Decimal(1)
    count = max(len(points), 1)

    def x(i: int) -> float:
        return left + (right - left) * (i / (count - 1) if count > 1 else 0.5)

    def y(value: Decimal) -> float:
        return bottom - float(max(value, Decimal(0)) / high) * (bottom - top)

    parts = _frame(title, width, height)
    _axes(parts, left=left, right=right, top=top, bottom=bottom, high=high, cur=currency, language=language)
    for i in _ticks(len(points)):
        parts.append(
            f'<text x="{x(i):.1f}" y="{bottom + 14:.1f}" text-anchor="middle" fill="{MUTED}">{_clean(days[i])}</text>'
        )
    labels = _labels()
    for attr, _label, colour in LINE_SERIES:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, p in enumerate(points):
            value = getattr(p, attr)
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>')
        for i, p in enumerate(points):
            value = getattr(p, attr)
            if value is not None:
                tip = f"{labels[attr]} {days[i]}: {formatting.money(value, currency, language)}"
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{_clean(tip)}</title></circle>"
                )
    _legend(parts, [(labels[a], c) for a, _l, c in LINE_SERIES], x=left, y=height - 18, width=width)
    parts.append("</svg>")
    return "".join(parts)


def ineligible_bars_svg(points: Sequence[Any], *, width: int = 720, height: int = 300, title: str | None = None) -> str:
    """The ineligible stock of each stock date as one bar, stacked by reason."""
    from valuation.workspace.history import reasons_in

    title = title or _("Ineligible stock by reason over time")
    currency = points[0].currency if points else "EUR"
    language = translation.get_language()
    days = _days(points, language)
    reasons = reasons_in(points)
    colours = {code: REASON_COLOURS[i % len(REASON_COLOURS)] for i, (code, _l) in enumerate(reasons)}
    labels = dict(reasons)
    left, right, top = 110.0, width - 16.0, 34.0
    legend_rows = 1 + sum(6.5 * len(label) + 22 for _c, label in reasons) // max(right - left, 1)
    bottom = height - 40.0 - 16.0 * legend_rows
    totals = [sum((max(a, Decimal(0)) for _c, a in p.by_reason), Decimal(0)) for p in points]
    high = max([Decimal(0), *totals]) or Decimal(1)
    count = max(len(points), 1)
    slot = (right - left) / count
    bar_w = max(min(slot * 0.7, 40.0), 2.0)

    parts = _frame(title, width, int(height))
    _axes(parts, left=left, right=right, top=top, bottom=bottom, high=high, cur=currency, language=language)
    ticks = set(_ticks(len(points)))
    for i, p in enumerate(points):
        cx = left + slot * (i + 0.5)
        level = bottom
        for code, amount in p.by_reason:
            if amount <= 0:
                continue
            h = float(amount / high) * (bottom - top)
            tip = f"{labels[code]} {days[i]}: {formatting.money(amount, currency, language)}"
            parts.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{level - h:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
                f'fill="{colours[code]}"><title>{_clean(tip)}</title></rect>'
            )
            level -= h
        if i in ticks:
            parts.append(
                f'<text x="{cx:.1f}" y="{bottom + 14:.1f}" text-anchor="middle" fill="{MUTED}">{_clean(days[i])}</text>'
            )
    _legend(parts, [(labels[c], colours[c]) for c, _l in reasons], x=left, y=bottom + 34, width=width)
    parts.append("</svg>")
    return "".join(parts)


def history_table_body(rows: Sequence[Any], *, show_figures: bool, show_ineligibles: bool) -> SafeString:
    """The ``<tr>`` of each ``HistoryRow`` (newest first), cells in the order of the table's head
    in ``valuation/_history.html``: the stock date (a link to its run when the row has one),
    then book value and eligible stock, ineligible stock and one cell per listed reason, then
    liquidation value, financing, availability, LTV and days of stock, as the reader may see."""
    language = translation.get_language()
    out: list[str] = []
    for row in rows:
        p = row.point
        cur = p.currency
        date = escape(formatting.day(p.as_of, language))
        head = f'<a href="{escape(row.href)}">{date}</a>' if row.href else date
        cells = [f'<tr data-run="{int(p.run_id)}"><th scope="row">{head}</th>']
        money = [] if not show_figures else [p.book_value, p.eligible]
        if show_ineligibles:
            money += [p.ineligible, *row.reasons]
        if show_figures:
            money += [p.liquidation_value, p.financing, p.availability]
        cells += [f'<td class="num">{escape(formatting.money(v, cur, language))}</td>' for v in money]
        if show_figures:
            cells.append(f'<td class="num">{escape(formatting.percent(p.ltv_pct, language))}</td>')
            cells.append(f'<td class="num">{escape(formatting.number(p.days_of_stock, language, 1))}</td>')
        cells.append("</tr>")
        out.append("".join(cells))
    return mark_safe("\n".join(out))  # noqa: S308 - every text above is escaped
