"""A valuation result as a JSON-able dict (Decimals as strings, dates ISO) and back.

The per-line frame is not part of the dict: it is stored separately (COPY) by the caller.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import pandas as pd

from valuation.engine.result import ValuationResult


def result_to_dict(result: ValuationResult) -> dict[str, Any]:
    """Every field of the result except ``lines``, JSON-able; amounts stay exact as strings."""
    return {f.name: _dump(getattr(result, f.name)) for f in dataclasses.fields(result) if f.name != "lines"}


def _dump(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def result_from_dict(data: dict[str, Any], lines: pd.DataFrame | None = None) -> ValuationResult:
    """Rebuild a result from ``result_to_dict`` output (with ``lines`` or an empty frame)."""
    payload = dict(data)
    payload["lines"] = pd.DataFrame() if lines is None else lines
    return _load(ValuationResult, payload)


def _load(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _load(options[0], value)
    if origin is tuple:
        args = typing.get_args(kind)
        item = args[0]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(item, v) for v in value)
        return tuple(_load(a, v) for a, v in zip(args, value, strict=True))
    if kind is Decimal:
        return Decimal(value)
    if kind is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        # A field added since the result was stored (it has a default) is left to its default.
        return kind(
            **{
                f.name: value[f.name] if f.name == "lines" else _load(hints[f.name], value[f.name])
                for f in dataclasses.fields(kind)
                if f.name in value or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            }
        )
    return value
