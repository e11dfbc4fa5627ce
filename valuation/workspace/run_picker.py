"""The dossier's valuation picker: one ``<option>`` per run of the facility, made as HTML here.

A facility followed monthly for three years has 36 runs and more (a file valued again under new
terms adds one); rendering each option through template nodes (a date filter, the status label,
the financing) cost the dossier as much as the rest of its history, so the options are joined in
Python, every text escaped, in the same layout: "stock date · status[ · financing]".
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from borrowers.common import formatting
from valuation.models import RunStatus, ValuationRun


def run_options(runs: Sequence[ValuationRun], chosen: ValuationRun | None, *, show_figures: bool) -> SafeString:
    """The ``<option>`` of each run (newest first, as given), the chosen one selected; the
    financing of a completed run only when the reader may see the figures."""
    language = get_language()
    statuses = {value: escape(str(label)) for value, label in RunStatus.choices}
    out = []
    for run in runs:
        label = f"{escape(formats.date_format(run.as_of, 'SHORT_DATE_FORMAT'))} · {statuses.get(run.status, '')}"
        if run.status == RunStatus.DONE and show_figures:
            label += f" · {escape(formatting.money(run.financing, run.currency or 'EUR', language))}"
        selected = " selected" if chosen is not None and run.pk == chosen.pk else ""
        out.append(f'<option value="{int(run.pk)}"{selected}>{label}</option>')
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
