"""Each facility's former ``nolv_appraisal`` JSON becomes an appraisal record.

Keys naming a base category with a percentage between 0 and 100 become rates. Anything else
(``{"Raw materials": 70}``, a rate of "abc" or 150) was silently ignored by the old code: it is
still not applied, but it no longer vanishes: the appraisal's notes list each such entry, and
the appraisal is created even when no entry is valid, so the advisor sees what was typed.
The JSON held no appraiser and no dates: the appraiser reads "unknown (migrated)", the
effective date is the earliest of the facility's creation and its client's first stock date (so
the rates still apply to the stock already valued) and the expiry 12 months later, after which
the rates can only lower a figure. The advisor is asked in the notes to complete the record.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import migrations

BASES = ("raw_material", "wip", "finished_good")


def _expiry(effective: date) -> date:
    try:
        return effective.replace(year=effective.year + 1) - timedelta(days=1)
    except ValueError:
        return date(effective.year + 1, 2, 28)


def _rate(value: object) -> Decimal | None:
    if isinstance(value, bool | float) or value is None:
        # A float in the JSON could not say exactly what it meant; refused like the engine does.
        return None
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        return None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100) or rate.as_tuple().exponent < -3:
        return None
    return rate


def forwards(apps, schema_editor):
    Facility = apps.get_model("facilities", "Facility")
    Appraisal = apps.get_model("facilities", "Appraisal")
    AppraisalRate = apps.get_model("facilities", "AppraisalRate")
    StockUpload = apps.get_model("valuation", "StockUpload")
    for facility in Facility.objects.exclude(nolv_appraisal={}).exclude(nolv_appraisal__isnull=True):
        data = facility.nolv_appraisal
        rates: dict[str, Decimal] = {}
        refused: list[str] = []
        if isinstance(data, dict):
            for key, value in data.items():
                rate = _rate(value)
                if key in BASES and rate is not None:
                    rates[key] = rate
                else:
                    refused.append(f"{key!r}: {value!r}")
        else:
            refused.append(repr(data))
        effective = facility.created_at.date()
        first = (
            StockUpload.objects.filter(client_id=facility.client_id)
            .order_by("as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if first is not None and first < effective:
            effective = first
        notes = [
            "Migrated from the facility's former NOLV setting: appraiser and dates were not recorded; "
            "complete them from the appraisal report."
        ]
        if refused:
            notes.append("Not applied (not a base category with a rate between 0 and 100): " + "; ".join(refused))
        appraisal = Appraisal.objects.create(
            facility=facility,
            appraiser="unknown (migrated)",
            effective_date=effective,
            expiry_date=_expiry(effective),
            notes="\n".join(notes),
        )
        for base, rate in rates.items():
            AppraisalRate.objects.create(appraisal=appraisal, base_category=base, nolv_pct=rate)


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0006_appraisals"),
        ("valuation", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
