"""Decimal columns -> the number type a reader asks for, by the scales the table spec declares.

Prices and quantities are stored as exact ``Decimal(38, 18)`` (amounts ``Decimal(38, 8)``;
list columns per element), so the stored value already is the number. Decoding is one cast
per column:

* ``"float"`` -- Float64, the double nearest to the exact decimal value (polars' Decimal ->
  Float64 cast rounds correctly): the same number ``float("61000.5")`` gives from the Bronze
  text;
* ``"decimal"`` -- ``Decimal(38, scale)``: the stored value itself, for accounting-grade sums.

``decoded=False`` returns the stored decimals, which are exact too. Nulls stay null; list
columns keep their lengths and null elements.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from pointline_core import fixedpoint
from pointline_core.errors import QueryError
from pointline_core.schemas.spec import TableSpec

DecodeMode = Literal["float", "decimal"]
#: ``decoded=`` values :func:`decode_mode` accepts.
Decoded = bool | DecodeMode | None


def decode_mode(decoded: Decoded) -> DecodeMode | None:
    """``True``/``"float"`` -> ``"float"``, ``"decimal"`` -> ``"decimal"``, falsy -> None."""
    if decoded is None or decoded is False:
        return None
    if decoded is True or decoded == "float":
        return "float"
    if decoded == "decimal":
        return "decimal"
    raise QueryError(
        f"decoded={decoded!r}: use False (stored decimals), True or 'float' (Float64), "
        "or 'decimal' (exact Decimal)"
    )


def decode_expr(name: str, dtype: str, scale: int, mode: DecodeMode) -> pl.Expr:
    """The decoded value of decimal column ``name`` (``Decimal(38,s)`` or a list of it)."""
    exact = mode == "decimal"
    if dtype.startswith("List["):
        return fixedpoint.decode_list(name, scale, exact=exact).alias(name)
    return fixedpoint.decode(name, scale, exact=exact).alias(name)


def decode_exprs(
    spec: TableSpec, mode: DecodeMode, columns: list[str] | None = None
) -> list[pl.Expr]:
    """One expression per decimal column of ``spec`` (among ``columns``, if given)."""
    wanted = None if columns is None else set(columns)
    return [
        decode_expr(c.name, c.dtype, c.scale, mode)
        for c in spec.columns
        if c.scale is not None and (wanted is None or c.name in wanted)
    ]


def decode_frame(
    frame: pl.LazyFrame | pl.DataFrame, spec: TableSpec, decoded: Decoded = True
) -> pl.LazyFrame | pl.DataFrame:
    """``frame`` with every decimal column of ``spec`` it carries decoded.

    Works on frames read by any engine, as long as they carry the spec's stored decimals.
    """
    mode = decode_mode(decoded)
    if mode is None:
        return frame
    present = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    exprs = decode_exprs(spec, mode, list(present))
    return frame.with_columns(exprs) if exprs else frame


def decoded_schema(spec: TableSpec, decoded: Decoded) -> pl.Schema:
    """The schema :func:`decode_frame` produces for a frame in ``spec``'s stored dtypes."""
    mode = decode_mode(decoded)
    schema = dict(spec.polars_schema())
    if mode is None:
        return pl.Schema(schema)
    for c in spec.columns:
        if c.scale is None:
            continue
        scalar = pl.Float64() if mode == "float" else pl.Decimal(38, c.scale)
        schema[c.name] = pl.List(scalar) if c.dtype.startswith("List[") else scalar
    return pl.Schema(schema)
