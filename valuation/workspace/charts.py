"""Server-made SVG charts, shared by the dossier pages and the PDF reports.

The SVG is self-contained: no <image>, no url(), no <script>, no style sheet, every colour a plain
hex literal and every piece of text escaped, so the same string is safe inline in HTML and in
WeasyPrint (whose URL fetcher refuses everything anyway). Amounts are formatted with
``borrowers.common.formatting`` in the active language, so the chart reads like the tables next to it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from borrowers.common import formatting
from borrowers.common.labels import reason_label

TOTAL, DECREASE, INCREASE = "total", "decrease", "increase"
KINDS = (TOTAL, DECREASE, INCREASE)

# Colours as literals (no CSS variables: WeasyPrint and e-mail clients render the SVG alone).
COLOURS = {TOTAL: "#1f4e79", DECREASE: "#b42318", INCREASE: "#1e7b4f"}
INK = "#1b2733"
MUTED = "#5b6b7a"
GRID = "#d9e1e8"
FONT = "'Noto Sans', 'Noto Sans CJK SC', 'DejaVu Sans', sans-serif"


@dataclass(frozen=True)
class WaterfallBar:
    """One bar of a waterfall; ``key`` says which figure it is ("reason:obsolete", "eligible")."""

    label: str  # already translated
    amount: Decimal  # positive for totals and increases; positive amount also for decreases
    kind: str  # "total" | "decrease" | "increase"
    href: str = ""  # optional drill-down link (pages only)
    key: str = ""


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def waterfall_bars(result: dict) -> list[WaterfallBar]:
    """Book value → each ineligible reason → eligible → liquidation value of eligible stock →
    financing, from a stored ``ValuationRun.result``. Reasons that took nothing are left out;
    an empty or partial result gives the bars it can (none for an empty dict)."""
    eligibility = (result or {}).get("eligibility") or {}
    book = _amount(eligibility.get("book_value"))
    if book is None:
        return []
    bars = [WaterfallBar(_("Book value"), book, TOTAL, key="book_value")]
    for item in eligibility.get("by_reason") or []:
        amount = _amount(item.get("amount"))
        if amount is None or amount == 0:
            continue
        kind = DECREASE if amount > 0 else INCREASE
        reason = str(item.get("reason", ""))
        bars.append(WaterfallBar(reason_label(reason), abs(amount), kind, key=f"reason:{reason}"))
    eligible = _amount(eligibility.get("eligible"))
    if eligible is not None:
        bars.append(WaterfallBar(_("Eligible stock"), eligible, TOTAL, key="eligible"))
    liquidation = _amount((result.get("liquidation") or {}).get("eligible_liquidation_value"))
    if liquidation is not None:
        bars.append(WaterfallBar(_("Liquidation value of eligible stock"), liquidation, TOTAL, key="liquidation_value"))
    financing = _amount((result.get("financing") or {}).get("financing"))
    if financing is not None:
        bars.append(WaterfallBar(_("Financing"), financing, TOTAL, key="financing"))
    return bars


# The characters XML 1.0 forbids: controls other than tab and newline, and U+FFFE / U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text safe for XML: control characters XML 1.0 forbids are dropped, the rest escaped."""
    # One regular expression, not a test per character: a history chart cleans hundreds of tips.
    return escape(_FORBIDDEN.sub("", str(text)), quote=True)


def _display_width(text: str) -> int:
    """Width in half-em units: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, units: int) -> str:
    if _display_width(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > units - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _wrap(text: str, units: int) -> list[str]:
    """One line when the label fits, else two, broken at the space nearest the middle (the second
    line shortened with an ellipsis if it still does not fit)."""
    if _display_width(text) <= units:
        return [text]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return [_fit(text, units)]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    first, second = text[:cut], text[cut + 1 :]
    return [_fit(first, units), _fit(second, units)]


def _label_text(lines: list[str], *, x: float, y: float, font: int, attributes: str) -> str:
    if len(lines) == 1:
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" {attributes}>{_clean(lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{y + offset:.1f}">{_clean(line)}</tspan>'
        for line, offset in zip(lines, (-font * 0.55, font * 0.65), strict=True)
    )
    return f'<text text-anchor="end" {attributes}>{spans}</text>'


def _safe_href(href: str) -> str:
    """Only the app's own paths ("/facilities/1/lines/?…"): never another host or a scheme."""
    if href.startswith("/") and not href.startswith("//") and "\\" not in href:
        return href
    return ""


def _format(amount: Decimal, kind: str, currency: str) -> str:
    language = translation.get_language()
    return formatting.money(-amount if kind == DECREASE else amount, currency, language)


def waterfall_svg(bars: list[WaterfallBar], *, currency: str, title: str, width: int = 720, height: int = 320) -> str:
    """A horizontal waterfall: one row per bar (label, bar, amount), so long labels in any of the
    three languages stay readable on screen and in print. The picture grows taller than
    ``height`` when there are many bars (at least 22 px a row)."""
    for bar in bars:
        if bar.kind not in KINDS:
            raise ValueError(f"unknown bar kind {bar.kind!r}")
    width = max(int(width), 320)
    top, bottom = 36, 10
    row = max(22.0, (max(int(height), 120) - top - bottom) / max(len(bars), 1))
    height = int(round(top + bottom + row * max(len(bars), 1)))
    label_w = int(width * 0.34)
    amount_w = int(width * 0.22)
    plot_x, plot_w = label_w + 8, width - label_w - amount_w - 24
    font = max(10, min(13, int(row * 0.5)))
    # DejaVu/Noto Sans average about 0.6 em a character, bold a little more: estimate generously so
    # a label never runs past the left edge; a long one wraps onto a second line instead.
    label_units = max(8, int(label_w / (font * 0.66)))
    labels = [_wrap(bar.label, label_units) for bar in bars]
    if any(len(lines) > 1 for lines in labels):
        row = max(row, font * 2.5)
        height = int(round(top + bottom + row * max(len(bars), 1)))

    # Running level: totals are drawn from zero, decreases down from it, increases up from it.
    spans: list[tuple[Decimal, Decimal]] = []
    level = Decimal(0)
    for bar in bars:
        if bar.kind == TOTAL:
            start, end = Decimal(0), bar.amount
            level = bar.amount
        elif bar.kind == DECREASE:
            start, end = level - bar.amount, level
            level -= bar.amount
        else:
            start, end = level, level + bar.amount
            level += bar.amount
        spans.append((min(start, end), max(start, end)))
    low = min([Decimal(0), *(s for s, _e in spans)])
    high = max([Decimal(0), *(e for _s, e in spans)])
    scale = Decimal(plot_w) / (high - low) if high > low else Decimal(0)

    def x(value: Decimal) -> float:
        return float(plot_x + (value - low) * scale)

    safe_title = _clean(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{_clean(FONT)}" '
        f'font-size="{font}" aria-label="{safe_title}">',
        f"<title>{safe_title}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="22" font-size="{font + 2}" font-weight="700" fill="{INK}">{safe_title}</text>',
        f'<line x1="{x(Decimal(0)):.1f}" y1="{top - 4}" x2="{x(Decimal(0)):.1f}" y2="{height - bottom}" '
        f'stroke="{GRID}" stroke-width="1"/>',
    ]
    for index, (bar, (start, end)) in enumerate(zip(bars, spans, strict=True)):
        y = top + index * row
        bar_h = max(row * 0.62, 4)
        bar_y = y + (row - bar_h) / 2
        text_y = y + row / 2 + font * 0.35
        amount_text = _format(bar.amount, bar.kind, currency)
        full = f"{bar.label}: {amount_text}"
        x0, x1 = x(start), x(end)
        weight = ' font-weight="700"' if bar.kind == TOTAL else ""
        row_parts = [
            f"<title>{_clean(full)}</title>",
            _label_text(labels[index], x=label_w, y=text_y, font=font, attributes=f'fill="{INK}"{weight}'),
            f'<rect x="{x0:.1f}" y="{bar_y:.1f}" width="{max(x1 - x0, 1.0):.1f}" height="{bar_h:.1f}" '
            f'fill="{COLOURS[bar.kind]}"/>',
            f'<text x="{width - 8}" y="{text_y:.1f}" text-anchor="end" fill="{MUTED if bar.kind != TOTAL else INK}">'
            f"{_clean(amount_text)}</text>",
        ]
        if index + 1 < len(bars):
            # A thin connector from where this bar leaves the level to where the next one starts.
            level_x = x(end if bar.kind != DECREASE else start)
            next_y = y + row + (row - bar_h) / 2
            row_parts.append(
                f'<line x1="{level_x:.1f}" y1="{bar_y + bar_h:.1f}" x2="{level_x:.1f}" y2="{next_y:.1f}" '
                f'stroke="{MUTED}" stroke-width="0.8" stroke-dasharray="2,2"/>'
            )
        body = "".join(row_parts)
        href = _safe_href(bar.href)
        if href:
            parts.append(f'<a href="{_clean(href)}" aria-label="{_clean(full)}">{body}</a>')
        else:
            parts.append(f"<g>{body}</g>")
    parts.append("</svg>")
    return "".join(parts)
