"""The canonical stock-line table: the one vocabulary shared by readers, storage and the engine.

Readers (``valuation.imports``) turn any ERP export into a DataFrame with these columns; the
database stores lines with the same names; the engine (``valuation.engine``) computes from them.
Names follow ``docs/domain.md``.

Representation in a canonical frame (what a reader returns, what the engine accepts):
- text columns: any pandas string dtype (``str``, ``string`` or Arrow-backed; missing = <NA>);
- decimal columns: normalised decimal text (``"1234.5"``, ``"-3"``, ``"0.125"``: dot decimal, no
  thousands separator, no exponent) in a string dtype, so no value ever passes through a float
  (the engine also accepts int, Decimal or float columns for hand-built frames in tests);
- date columns: ``datetime64`` (day precision, missing = NaT);
- flag columns: nullable ``boolean`` (missing = <NA>, meaning "not stated").
An optional ``row`` column (int) carries the 1-based row number in the source file, so errors and
drill-downs can name it; without it, rows are numbered from 1 in frame order.
Only REQUIRED columns must be present; a rule whose input column is absent is "not assessed".
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Category(StrEnum):
    """The three stock categories every funder recognises (docs/domain.md, "Categories and sub-categories")."""

    RAW_MATERIAL = "raw_material"
    WIP = "wip"
    FINISHED_GOOD = "finished_good"


TEXT = "text"
DECIMAL = "decimal"
DATE = "date"
FLAG = "flag"

# name -> kind. Order is the order of the canonical frame and of exports.
COLUMNS: dict[str, str] = {
    "sku": TEXT,
    "description": TEXT,
    "category": TEXT,  # one of Category
    "sub_category": TEXT,  # firm-defined sub-category code, optional
    "warehouse": TEXT,  # warehouse / site code
    "quantity": DECIMAL,
    "unit": TEXT,
    "unit_cost": DECIMAL,
    "book_value": DECIMAL,  # quantity × unit_cost when absent
    "currency": TEXT,
    "last_movement_date": DATE,
    "receipt_date": DATE,
    "annual_consumption_qty": DECIMAL,  # annual consumption or sales quantity
    "unpaid_amount": DECIMAL,  # unpaid share under retention of title (money)
    "retention_of_title": FLAG,
    "supplier_consignment": FLAG,
    "reverse_factoring": FLAG,
    "defective": FLAG,
    "expiry_date": DATE,
    "in_transit": FLAG,
    "customer_return": FLAG,
    "firm_order": FLAG,  # WIP behind a firm customer order with simple finishing
    "sellable_as_is": FLAG,  # WIP saleable as it stands
    "resale_unit_price": DECIMAL,  # estimated unit resale price
    "transport_cost": DECIMAL,  # per line, money
    "storage_cost": DECIMAL,  # per line, money
    "commission_cost": DECIMAL,  # per line, money
}

REQUIRED: tuple[str, ...] = ("sku", "category", "quantity")
# and at least one of these two:
VALUE_COLUMNS: tuple[str, ...] = ("unit_cost", "book_value")

# Fixed-point scales used for exact integer arithmetic (see engine/money.py).
QUANTITY_DECIMALS = 3
UNIT_COST_DECIMALS = 4
MONEY_DECIMALS = 2


_CODE_PUNCTUATION = re.compile(r"[^\w]+")


def code_key(text: str | None) -> str:
    """The key a firm (sub-)category code is matched on: accents removed, case folded,
    punctuation as single spaces, the way the readers normalise codes
    (``valuation.imports.headers.normalise``; a test keeps the two equal). None gives ""."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _CODE_PUNCTUATION.sub(" ", stripped.casefold()).replace("_", " ").strip()
