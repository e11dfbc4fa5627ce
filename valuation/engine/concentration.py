"""The largest SKU of a valuation: the one product holding the most eligible stock.

Pure (no Django). A SKU is its code as written, surrounding spaces trimmed (the reader refuses an
empty one), summed over every site and line that carries it: a product is one concentration risk
wherever it is stored. Sums are exact integer cents; the result is a ``SkuAmount`` in currency
units (``money.to_decimal``: 2 places), or None when nothing is eligible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.engine.money import to_decimal
from valuation.engine.result import SkuAmount


def _text(series: pd.Series) -> pa.Array:
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        array = pa.array(series, type=pa.large_string(), from_pandas=True)
    else:
        array = pa.array(series.astype("string"), type=pa.large_string(), from_pandas=True)
    # An Arrow-backed column stored in slices comes back in chunks: one array, so that its
    # dictionary encoding below has one set of codes.
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _exact_sums(codes: np.ndarray, cents: np.ndarray, size: int) -> np.ndarray:
    """Σ cents per code, exact. ``np.bincount`` adds in float64, exact while every partial sum
    is an integer below 2^53 cents (checked on the total of the non-negative amounts); else an
    int64 pandas groupby."""
    if (cents >= 0).all() and int(cents.sum()) < 2**53:
        return np.bincount(codes, weights=cents, minlength=size).astype(np.int64)
    grouped = pd.Series(cents).groupby(codes).sum()
    return grouped.reindex(range(size), fill_value=0).to_numpy(dtype=np.int64)


def largest_sku(skus: pd.Series, eligible_cents: np.ndarray) -> SkuAmount | None:
    """The SKU with the largest eligible amount (integer cents per line, in the order of
    ``skus``); at equal amounts, the first SKU in code order (a stable answer). None when no
    line is eligible."""
    if len(skus) == 0:
        return None
    text = pc.utf8_trim_whitespace(_text(skus.reset_index(drop=True)))
    encoded = pc.dictionary_encode(pc.fill_null(text, ""))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = encoded.dictionary.to_pylist()
    sums = _exact_sums(codes, np.asarray(eligible_cents, dtype=np.int64), len(labels))
    top = int(sums.max())
    if top <= 0:
        return None
    name = min(labels[i] for i in np.flatnonzero(sums == top))
    return SkuAmount(sku=str(name), eligible=to_decimal(top))
