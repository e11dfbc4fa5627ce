"""Alerts in the reader's language: what each kind means and what it found."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from borrowers.common import formatting
from valuation.engine import alerting as rules


def _pct(value: Any, language: str | None) -> str:
    return "—" if value in (None, "") else formatting.percent(value, language, 1)


def alert_summary(kind: str, details: dict[str, Any] | None) -> str:
    """One sentence: the figure, the threshold and the comparison."""
    language = translation.get_language()
    d = details or {}
    if kind == rules.COLLATERAL_CHANGE:
        parts = []
        for name, label in (("eligible", _("eligible stock")), ("financing", _("financing"))):
            move = d.get(name)
            if move:
                parts.append(
                    _("%(label)s %(change)s (%(before)s → %(after)s)")
                    % {
                        "label": label,
                        "change": _pct(move.get("change_pct"), language),
                        "before": formatting.number(move.get("previous"), language),
                        "after": formatting.number(move.get("current"), language),
                    }
                )
        values = {
            "moves": "; ".join(parts) or "—",
            "date": d.get("previous_as_of") or "—",
            "threshold": _pct(d.get("threshold_pct"), language),
            "number": d.get("certificate_number") or "—",
        }
        if d.get("basis") == rules.BASIS_CERTIFICATE:
            return (
                _(
                    "%(moves)s since borrowing base certificate no. %(number)s (stock of %(date)s), "
                    "the last approved; alert beyond ±%(threshold)s."
                )
                % values
            )
        if d.get("basis") == rules.BASIS_PREVIOUS_RUN:
            return (
                _(
                    "%(moves)s since the previous valuation (stock of %(date)s): no borrowing base certificate "
                    "has been approved yet; alert beyond ±%(threshold)s."
                )
                % values
            )
        return _("%(moves)s since %(date)s; alert beyond ±%(threshold)s.") % values
    if kind == rules.LTV_ABOVE_CAP:
        return _("LTV %(ltv)s; cap %(cap)s%(exceeded)s; firm maximum %(threshold)s.") % {
            "ltv": _pct(d.get("ltv_pct"), language),
            "cap": _pct(d.get("cap_pct"), language),
            "exceeded": _(" (exceeded)") if d.get("cap_exceeded") else "",
            "threshold": _pct(d.get("threshold_pct"), language) if d.get("threshold_pct") else _("none"),
        }
    if kind == rules.ROTATION_SLOWDOWN:
        return _("Days of stock %(before)s → %(after)s (+%(increase)s); alert above +%(threshold)s days.") % {
            "before": formatting.number(d.get("previous"), language, 1) if d.get("previous") else "—",
            "after": formatting.number(d.get("current"), language, 1) if d.get("current") else "—",
            "increase": formatting.number(d.get("increase_days"), language, 1) if d.get("increase_days") else "—",
            "threshold": formatting.number(d.get("threshold_days"), language, 1),
        }
    if kind == rules.SKU_CONCENTRATION:
        if d.get("computed") is False:
            return _("The largest SKU was not computed for this valuation; alert above %(threshold)s.") % {
                "threshold": _pct(d.get("threshold_pct"), language)
            }
        return _("SKU %(holder)s holds %(share)s of eligible stock; alert above %(threshold)s.") % {
            "holder": d.get("holder") or _("(none)"),
            "share": _pct(d.get("share_pct"), language),
            "threshold": _pct(d.get("threshold_pct"), language),
        }
    if kind in (rules.SITE_CONCENTRATION, rules.CATEGORY_CONCENTRATION):
        return _("%(holder)s holds %(share)s of eligible stock; alert above %(threshold)s.") % {
            "holder": d.get("holder") or _("(none)"),
            "share": _pct(d.get("share_pct"), language),
            "threshold": _pct(d.get("threshold_pct"), language),
        }
    if kind == rules.BOOK_VALUE_JUMP:
        jumps = d.get("jumps") or []
        moves = ", ".join(f"{j.get('metric')} {_pct(j.get('change_pct'), language)}" for j in jumps)
        return _("Moved beyond %(threshold)s from the previous file: %(moves)s.") % {
            "threshold": _pct(d.get("threshold_pct"), language),
            "moves": moves or "—",
        }
    if kind == rules.EXPIRED_APPRAISAL:
        return _("The appraisal expired on %(date)s.") % {"date": d.get("expiry_date") or "—"}
    if kind == rules.LATE_DELIVERABLE:
        return str(d.get("summary") or _("A deliverable is late."))
    # --- the credit file (issue 16, part 4)
    if kind == rules.DOCUMENT_EXPIRING:
        return _("Lapsing within %(days)s days: %(documents)s.") % {
            "days": d.get("warning_days") or "—",
            "documents": d.get("summary") or "—",
        }
    if kind == rules.DOCUMENT_EXPIRED:
        return _("Lapsed: %(documents)s.") % {"documents": d.get("summary") or "—"}
    # --- end of the credit file
    # roll-forward (issue 16)
    if kind == rules.ROLLFORWARD_UNRECONCILED:
        return _(
            "Roll-forward to %(date)s: %(unreconciled)s unreconciled (reported %(reported)s, expected "
            "%(expected)s); tolerance %(allowed)s."
        ) % {
            "date": d.get("period_end") or "—",
            "unreconciled": formatting.number(d.get("unreconciled"), language, 2) if d.get("unreconciled") else "—",
            "reported": formatting.number(d.get("reported_closing"), language, 2) if d.get("reported_closing") else "—",
            "expected": formatting.number(d.get("expected"), language, 2) if d.get("expected") else "—",
            "allowed": formatting.number(d.get("allowed"), language, 2) if d.get("allowed") else "—",
        }
    # covenants (issue 16)
    if kind == rules.COVENANT_BREACH:
        breaches = d.get("breaches") or []
        parts = [
            _("%(covenant)s at %(date)s: %(value)s against %(sign)s %(threshold)s")
            % {
                "covenant": b.get("covenant") or "—",
                "date": b.get("test_date") or "—",
                "value": formatting.number(b.get("value"), language, 2) if b.get("value") else "—",
                "sign": "≥" if b.get("direction") == "min" else "≤",
                "threshold": formatting.number(b.get("threshold"), language, 2),
            }
            for b in breaches
        ]
        return _("Covenant breached: %(tests)s.") % {"tests": "; ".join(parts) or "—"}
    return ""
