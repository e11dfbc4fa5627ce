"""How a run's lines were converted into its currency, in the reader's language: the dossier,
the client summary and the PDF say it the same way ("USD lines converted into EUR at
1 EUR = 1.0842 USD (ECB, 27 Nov 2026)")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext

from borrowers.common import formatting


@dataclass(frozen=True)
class ConversionNote:
    currency: str
    text: str
    stale: str  # why the rate is flagged, "" when it is recent enough


def _leg(leg: dict[str, Any], language: str | None) -> str:
    return gettext("1 %(base)s = %(rate)s %(quote)s (%(source)s, %(date)s)") % {
        "base": leg.get("base", ""),
        "rate": formatting.rate(leg.get("rate"), language),
        "quote": leg.get("quote", ""),
        "source": leg.get("source") or gettext("no source"),
        "date": formatting.day(date.fromisoformat(str(leg.get("day"))), language) if leg.get("day") else "—",
    }


def conversion_notes(result: dict[str, Any] | None) -> list[ConversionNote]:
    """One note per currency converted in ``result`` (a run's stored result); none when every
    line was already in the run's currency."""
    language = translation.get_language()
    notes = []
    for item in (result or {}).get("conversions") or []:
        currency, target = str(item.get("currency", "")), str(item.get("target", ""))
        lines = int(item.get("lines") or 0)
        rates = gettext(" and ").join(_leg(leg, language) for leg in item.get("legs") or [])
        text = ngettext(
            "%(currency)s line converted into %(target)s at %(rates)s: %(before)s → %(after)s (%(lines)s line).",
            "%(currency)s lines converted into %(target)s at %(rates)s: %(before)s → %(after)s (%(lines)s lines).",
            lines,
        ) % {
            "currency": currency,
            "target": target,
            "rates": rates,
            "before": formatting.money(item.get("amount_before"), currency, language),
            "after": formatting.money(item.get("amount_after"), target, language),
            "lines": formatting.number(lines, language, 0),
        }
        stale = ""
        if item.get("stale"):
            stale = gettext("The rate is %(days)s days older than the stock date: check that no newer rate exists.") % {
                "days": item.get("age_days")
            }
        notes.append(ConversionNote(currency=currency, text=text, stale=stale))
    return notes


def rate_legs_text(legs: Any) -> str:
    """The rates behind a conversion ("1 EUR = 1.0842 USD (ECB, 27 Nov 2026)"), in the reader's
    language; ``legs``: ``valuation.engine.fx.Rate`` objects or their stored dicts."""
    language = translation.get_language()
    out = []
    for leg in legs:
        if not isinstance(leg, dict):
            leg = {
                "base": leg.base,
                "quote": leg.quote,
                "rate": leg.rate,
                "day": leg.day.isoformat(),
                "source": leg.source,
            }
        out.append(_leg(leg, language))
    return gettext(" and ").join(out)
