"""Covenants and financial statements: the workflows (keyword-only, transactional, audited).

``save_covenant`` keeps a revision of the covenant's terms at every save that changes them (the
history of its threshold) and ``save_statement`` stores a period's named amounts; both then ask
the valuation floor, by task name, to test (``valuation.test_covenants``): this floor cannot
import the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from borrowers.common import audit, queueing
from borrowers.models import User
from facilities.covenant_models import (
    INPUT_NAME,
    Covenant,
    CovenantRevision,
    FinancialStatement,
    StatementLine,
    StatementSource,
)
from facilities.models import Facility
from valuation.engine import covenants as rules

REVISED_FIELDS = ("threshold", "direction", "headroom_pct", "formula", "frequency", "active")
MAX_STATEMENT_LINES = 200
MAX_STATEMENT_FILE_BYTES = 256 * 1024


def clean_covenant(covenant: Covenant) -> None:
    """The direction a metric implies, and a formula only (and always) for a formula covenant
    that this evaluator accepts. Raises ValidationError naming the field."""
    implied = rules.IMPLIED_DIRECTION.get(covenant.metric)
    if covenant.metric == rules.FORMULA:
        if not covenant.formula.strip():
            raise ValidationError({"formula": _("A formula covenant needs its formula.")})
        try:
            rules.formula_names(covenant.formula)
        except rules.FormulaError as error:
            raise ValidationError({"formula": str(error)}) from None
        if covenant.direction not in rules.DIRECTIONS:
            raise ValidationError({"direction": _("Choose whether the formula is a minimum or a maximum.")})
    else:
        if covenant.formula.strip():
            raise ValidationError({"formula": _("Only a formula covenant has a formula.")})
        if implied is None:
            raise ValidationError({"metric": _("Unknown metric.")})
        covenant.direction = implied


def _test_again(facility_id: int, statement_id: int | None = None) -> None:
    queueing.send_named_on_commit("valuation.test_covenants", facility_id=facility_id, statement_id=statement_id)


@transaction.atomic
def save_covenant(*, by: User, covenant: Covenant) -> Covenant:
    """Create or update a covenant; a change of its terms is audited and kept as a revision."""
    clean_covenant(covenant)
    covenant.formula = covenant.formula.strip()
    creating = covenant.pk is None
    stored = None if creating else Covenant.objects.select_for_update().get(pk=covenant.pk)
    before = audit.snapshot(stored, exclude=("facility",)) if stored else None
    covenant.save()
    # Snapshot the row as stored, so a threshold typed "65" compares equal to the stored 65.0000.
    after = audit.snapshot(Covenant.objects.get(pk=covenant.pk), exclude=("facility",))
    revised = stored is None or any(getattr(stored, f) != getattr(covenant, f) for f in REVISED_FIELDS)
    if revised:
        CovenantRevision.objects.create(
            covenant=covenant, changed_by=by, **{field: getattr(covenant, field) for field in REVISED_FIELDS}
        )
    if before != after:
        audit.record(
            actor=by,
            action="create-covenant" if creating else "update-covenant",
            instance=covenant,
            before=before,
            after=after,
        )
    _test_again(covenant.facility_id)
    return covenant


def _clean_lines(lines: dict[str, Any]) -> dict[str, Decimal]:
    cleaned: dict[str, Decimal] = {}
    if len(lines) > MAX_STATEMENT_LINES:
        raise ValidationError({"lines": _("At most %(n)s lines.") % {"n": MAX_STATEMENT_LINES}})
    for raw_name, raw_amount in lines.items():
        name = str(raw_name).strip().lower()
        try:
            INPUT_NAME(name)
        except ValidationError:
            raise ValidationError(
                {"lines": _("%(name)r is not a valid line name: %(rule)s") % {"name": name, "rule": INPUT_NAME.message}}
            ) from None
        try:
            amount = raw_amount if isinstance(raw_amount, Decimal) else Decimal(str(raw_amount).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({"lines": _("The amount of %(name)s is not a number.") % {"name": name}}) from None
        if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
            raise ValidationError({"lines": _("The amount of %(name)s is out of range.") % {"name": name}})
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError({"lines": _("The amount of %(name)s has more than 2 decimals.") % {"name": name}})
        if name in cleaned:
            raise ValidationError({"lines": _("The line %(name)s is given twice.") % {"name": name}})
        cleaned[name] = amount
    return cleaned


@transaction.atomic
def save_statement(
    *,
    by: User,
    facility: Facility,
    period_end: dt.date,
    lines: dict[str, Any],
    notes: str = "",
    source: str = StatementSource.ENTERED,
) -> FinancialStatement:
    """Store (or replace) the facility's financial statement at ``period_end``: its named amounts
    as given (a line left out is removed). Audited; the covenants are then tested again."""
    cleaned = _clean_lines(lines)
    if not cleaned:
        raise ValidationError({"lines": _("Enter at least one line.")})
    statement = FinancialStatement.objects.select_for_update().filter(facility=facility, period_end=period_end).first()
    before = None
    if statement is None:
        statement = FinancialStatement(facility=facility, period_end=period_end)
    else:
        before = {"lines": {name: str(amount) for name, amount in statement.inputs().items()}, "notes": statement.notes}
    statement.currency = facility.currency
    statement.entered_by = by
    statement.notes = notes
    statement.source = source
    statement.save()
    statement.lines.all().delete()
    StatementLine.objects.bulk_create(
        [StatementLine(statement=statement, name=name, amount=amount) for name, amount in sorted(cleaned.items())]
    )
    after = {"lines": {name: str(amount) for name, amount in sorted(cleaned.items())}, "notes": notes}
    audit.record(
        actor=by,
        action="create-statement" if before is None else "update-statement",
        instance=statement,
        before=before,
        after=after,
    )
    _test_again(facility.pk, statement.pk)
    return statement


def read_statement_file(content: bytes) -> dict[str, Decimal]:
    """The ``name;amount`` rows of a small CSV (semicolon or comma separated, a header row
    allowed). Raises ValidationError naming the file field."""
    if len(content) > MAX_STATEMENT_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than 256 KB.")})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text (a CSV of name;amount).")}) from None
    delimiter = ";" if text.count(";") >= text.count(",") else ","
    rows: dict[str, Decimal] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        if len(cells) != 2:
            raise ValidationError({"file": _("Row %(n)s does not hold a name and an amount.") % {"n": number}})
        name, amount_text = cells
        try:
            amount = Decimal(amount_text.replace(" ", "").replace("\u00a0", ""))
        except InvalidOperation:
            if number == 1:
                continue  # a header row
            raise ValidationError({"file": _("Row %(n)s: the amount is not a number.") % {"n": number}}) from None
        rows[name.lower()] = amount
    return rows


def required_inputs(facility: Facility) -> list[str]:
    """The statement lines the facility's active statement covenants read, sorted."""
    names: set[str] = set()
    for covenant in facility.covenants.filter(active=True).exclude(metric__in=rules.RUN_METRICS):
        if covenant.metric == rules.DEBT_TO_TNW:
            names.update((rules.TOTAL_DEBT, rules.TNW))
        elif covenant.metric == rules.TANGIBLE_NET_WORTH:
            names.add(rules.TNW)
        else:
            try:
                names.update(rules.formula_names(covenant.formula))
            except rules.FormulaError:
                continue
    return sorted(names)
