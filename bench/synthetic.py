"""Seeded synthetic stock lines in the canonical form (``valuation/engine/columns.py``).

``synthetic_lines(n, seed)`` is fully vectorised (numpy draws, Arrow string kernels to format
fixed-point decimals), so 1M lines take a few seconds; others use it to write CSV/XLSX exports.
All dates are on or before ``SYNTHETIC_AS_OF`` (expiry dates excepted), so the frame values
cleanly at that date.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SYNTHETIC_AS_OF = date(2026, 11, 21)
CATEGORIES = np.array(["raw_material", "wip", "finished_good"])
CATEGORY_WEIGHTS = (0.35, 0.20, 0.45)
SUB_CATEGORIES = np.array(["STEEL", "RESIN", "PACK", "SUBASM", "SPARE", "RETAIL", "BULK"])
UNITS = np.array(["EA", "KG", "M", "L"])
WAREHOUSES = np.array([f"W{i:02d}" for i in range(1, 21)])


def synthetic_lines(n: int, seed: int = 42) -> pd.DataFrame:
    """A realistic canonical frame of ``n`` stock lines; the same seed gives the same frame."""
    rng = np.random.default_rng(seed)
    category_code = rng.choice(3, size=n, p=CATEGORY_WEIGHTS)
    quantity = _log_uniform(rng, n, 1, 5_000_000)  # thousandths: 0.001 to 5,000 units
    unit_cost = _log_uniform(rng, n, 100, 50_000_000)  # ten-thousandths: 0.01 to 5,000
    # Book value as an ERP computes it: quantity × unit cost, half-up to the cent.
    product = quantity * unit_cost
    book = product // 100_000 + (product % 100_000 >= 50_000)
    as_of = np.datetime64(SYNTHETIC_AS_OF, "D")
    last_move = as_of - rng.integers(0, 900, size=n).astype("timedelta64[D]")
    receipt = last_move - rng.integers(0, 400, size=n).astype("timedelta64[D]")
    perishable = rng.random(n) < 0.10
    expiry = np.where(perishable, as_of + rng.integers(-30, 400, size=n).astype("timedelta64[D]"), np.datetime64("NaT"))
    turns = rng.gamma(2.0, 2.0, size=n)  # median about 3.4 turns a year
    consumption = (quantity * turns).astype(np.int64)
    retention = rng.random(n) < 0.08
    unpaid = np.where(retention, (book * rng.uniform(0.1, 1.0, size=n)).astype(np.int64), 0)
    margin = rng.uniform(0.5, 1.8, size=n)
    resale = np.maximum((unit_cost * margin).astype(np.int64), 1)
    has_price = rng.random(n) < 0.95
    resale_value = quantity * resale // 100_000
    has_costs = rng.random(n) < 0.7
    wip = category_code == 1
    frame = {
        "sku": _prefixed("SKU", np.arange(1, n + 1), 8),
        "description": _prefixed("Item ", rng.integers(1, 50_000, size=n), 5),
        "category": _pick(CATEGORIES, category_code),
        "sub_category": _pick(SUB_CATEGORIES, rng.integers(0, len(SUB_CATEGORIES), size=n)),
        "warehouse": _pick(WAREHOUSES, rng.integers(0, len(WAREHOUSES), size=n)),
        "quantity": decimal_text(quantity, 3),
        "unit": _pick(UNITS, rng.integers(0, len(UNITS), size=n)),
        "unit_cost": decimal_text(unit_cost, 4),
        "book_value": decimal_text(book, 2),
        "currency": _pick(np.array(["EUR"]), np.zeros(n, dtype=np.int64)),
        "last_movement_date": pd.Series(last_move.astype("datetime64[s]")),
        "receipt_date": pd.Series(receipt.astype("datetime64[s]")),
        "annual_consumption_qty": decimal_text(consumption, 3),
        "unpaid_amount": decimal_text(unpaid, 2, mask=~retention),
        "retention_of_title": _flag(rng, retention),
        "supplier_consignment": _flag(rng, rng.random(n) < 0.03),
        "reverse_factoring": _flag(rng, rng.random(n) < 0.02),
        "defective": _flag(rng, rng.random(n) < 0.02),
        "expiry_date": pd.Series(expiry.astype("datetime64[s]")),
        "in_transit": _flag(rng, rng.random(n) < 0.04),
        "customer_return": _flag(rng, rng.random(n) < 0.02),
        "firm_order": _flag(rng, wip & (rng.random(n) < 0.3)),
        "sellable_as_is": _flag(rng, wip & (rng.random(n) < 0.1)),
        "resale_unit_price": decimal_text(resale, 4, mask=~has_price),
        "transport_cost": decimal_text(resale_value * 3 // 100, 2, mask=~has_costs),
        "storage_cost": decimal_text(resale_value * 2 // 100, 2, mask=~has_costs),
        "commission_cost": decimal_text(resale_value * 5 // 100, 2, mask=~has_costs),
    }
    return pd.DataFrame(frame)


def _log_uniform(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n)).astype(np.int64)


def decimal_text(scaled: np.ndarray, decimals: int, mask: np.ndarray | None = None) -> pd.Series:
    """Fixed-point integers (value × 10^decimals) as normalised decimal text, vectorised.

    ``mask`` marks cells to leave empty (<NA>). Negative values keep their sign.
    """
    scaled = np.asarray(scaled, dtype=np.int64)
    magnitude = np.abs(scaled)
    whole = pa.array(magnitude // 10**decimals)
    frac = pa.array(magnitude % 10**decimals)
    text = pc.binary_join_element_wise(
        pc.cast(whole, pa.string()),
        pc.utf8_lpad(pc.cast(frac, pa.string()), decimals, "0"),
        ".",
    )
    text = pc.if_else(pa.array(scaled < 0), pc.binary_join_element_wise("-", text, ""), text)
    if mask is not None:
        text = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), text)
    return pd.Series(text, dtype="str")


def _pick(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a string column, built by Arrow take (no per-cell Python)."""
    return pd.Series(pa.array(labels.tolist(), pa.string()).take(pa.array(codes)), dtype="str")


def _prefixed(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pd.Series(pc.binary_join_element_wise(prefix, digits, ""), dtype="str")


def _flag(rng: np.random.Generator, values: np.ndarray) -> pd.Series:
    # About 1 % of flags are left blank, as real exports do.
    blank = rng.random(len(values)) < 0.01
    return pd.Series(pd.arrays.BooleanArray(values.astype(bool), blank))
