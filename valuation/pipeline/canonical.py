"""The canonical columns of a stock line (valuation/engine/columns.py) as the mapping page shows
them: a name and a one-line meaning each, in the reader's language; and which rule or discount
each one lets the engine assess."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from valuation.engine.columns import COLUMNS, REQUIRED, VALUE_COLUMNS
from valuation.engine.rules import RULE_INPUTS

# The names reuse the validation report's words (problem_labels.FIELD_LABELS) where it has them.
LABELS: dict[str, Promise] = {
    "sku": _("SKU"),
    "description": _("description"),
    "category": _("category"),
    "sub_category": _("sub-category"),
    "warehouse": _("warehouse"),
    "quantity": _("quantity"),
    "unit": _("unit of measure"),
    "unit_cost": _("unit cost"),
    "book_value": _("book value"),
    "currency": _("currency"),
    "last_movement_date": _("last movement date"),
    "receipt_date": _("receipt date"),
    "annual_consumption_qty": _("annual consumption quantity"),
    "unpaid_amount": _("unpaid amount"),
    "retention_of_title": _("retention of title"),
    "supplier_consignment": _("supplier consignment"),
    "reverse_factoring": _("reverse factoring"),
    "defective": _("defective"),
    "expiry_date": _("expiry date"),
    "in_transit": _("in transit"),
    "customer_return": _("customer return"),
    "firm_order": _("firm order"),
    "sellable_as_is": _("sellable as is"),
    "resale_unit_price": _("resale unit price"),
    "transport_cost": _("transport cost"),
    "storage_cost": _("storage cost"),
    "commission_cost": _("commission cost"),
}

MEANINGS: dict[str, Promise] = {
    "sku": _("The item's code in the ERP; one line per item and place."),
    "description": _("The item's name, as people read it."),
    "category": _("Raw material, work in progress or finished good (or the ERP's own code for it)."),
    "sub_category": _("A finer group of the firm's own (family, product group)."),
    "warehouse": _("The site or storage location holding the stock."),
    "quantity": _("Units on hand at the stock date."),
    "unit": _("The unit the quantity is counted in (pieces, kg…)."),
    "unit_cost": _("Cost of one unit (weighted average or standard cost)."),
    "book_value": _("The line's value in the accounts: quantity × unit cost."),
    "currency": _("The currency of the line's cost and value."),
    "last_movement_date": _("Date of the last issue or receipt; old dates make stock obsolete."),
    "receipt_date": _("Date the goods came in, for the age of the stock."),
    "annual_consumption_qty": _("Units used or sold over the last twelve months, for turnover."),
    "unpaid_amount": _("What is still owed to a supplier under retention of title."),
    "retention_of_title": _("Yes when the supplier keeps title until paid."),
    "supplier_consignment": _("Yes when the goods belong to the supplier (consignment)."),
    "reverse_factoring": _("Yes when the purchase is financed by reverse factoring."),
    "defective": _("Yes for damaged or non-conforming goods."),
    "expiry_date": _("Use-by or best-before date, for perishable stock."),
    "in_transit": _("Yes for goods on their way, not yet in a warehouse."),
    "customer_return": _("Yes for goods a customer sent back."),
    "firm_order": _("Yes for work in progress behind a firm customer order."),
    "sellable_as_is": _("Yes for work in progress that can be sold as it stands."),
    "resale_unit_price": _("Estimated price one unit would sell for."),
    "transport_cost": _("Cost of moving the line's goods to sell them."),
    "storage_cost": _("Cost of storing the line's goods until sold."),
    "commission_cost": _("Sales commission due on selling the line's goods."),
}

# Criteria discounts and the columns that let them be assessed (valuation/engine/criteria.py:
# obsolescence needs the last movement date; turnover, without the borrower's cost of sales,
# needs the annual consumption).
DISCOUNT_INPUTS: dict[str, tuple[str, ...]] = {
    "obsolescence": ("last_movement_date",),
    "turnover": ("annual_consumption_qty",),
}
RULE_COLUMNS: dict[str, tuple[str, ...]] = {str(rule): columns for rule, columns in RULE_INPUTS.items()}


@dataclass(frozen=True)
class CanonicalField:
    name: str
    label: str
    meaning: str
    required: bool


def label(name: str) -> str:
    """The column's name in the active language (its code with spaces when it has none)."""
    found = LABELS.get(name)
    return str(found) if found is not None else name.replace("_", " ")


def canonical_fields() -> list[CanonicalField]:
    """Every canonical column, in the canonical order, with its name and meaning."""
    return [
        CanonicalField(
            name=name,
            label=label(name),
            meaning=str(MEANINGS.get(name, "")),
            required=name in REQUIRED or name in VALUE_COLUMNS,
        )
        for name in COLUMNS
    ]
