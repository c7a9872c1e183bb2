"""Fixed-point encoding of decimal columns, with overflow detection.

Prices and quantities are stored as Int64 ``round(value * 10**scale)``. Decimal text is parsed
exactly through polars' Decimal type (which also accepts exponent notation and rounds extra
digits instead of truncating them), so ``"0.1"`` never becomes ``9999999``. A value too large
for Int64 becomes null and is reported as ``overflow:<column>``: never a wrapped number.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

_PRECISION = 38
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _as_expr(value: pl.Expr | str) -> pl.Expr:
    return pl.col(value) if isinstance(value, str) else value


def _text(expr: pl.Expr) -> pl.Expr:
    # Going through text makes strings, floats and integers take one exact path.
    return expr.cast(pl.String).str.strip_chars()


def encode(value: pl.Expr | str, scale: int) -> pl.Expr:
    """Int64 fixed-point of ``value`` (String, float or integer); null if invalid or overflowing.

    The Decimal's physical Int128 *is* the scaled integer; narrowing it to Int64 yields null
    (not a wrapped value) when it does not fit.
    """
    dec = _text(_as_expr(value)).cast(pl.Decimal(_PRECISION, scale), strict=False)
    return dec.to_physical().cast(pl.Int64, strict=False)


def encode_reason(value: pl.Expr | str, scale: int, column: str) -> pl.Expr:
    """Why :func:`encode` gave null for a present input: ``not_a_number:<column>`` or
    ``overflow:<column>``; null where the value encoded fine or the input was null/empty."""
    text = _text(_as_expr(value))
    present = text.is_not_null() & (text != "")
    return (
        pl.when(present & ~text.str.contains(_NUMBER))
        .then(pl.lit(f"not_a_number:{column}"))
        .when(present & encode(value, scale).is_null())
        .then(pl.lit(f"overflow:{column}"))
        .otherwise(pl.lit(None, pl.String))
    )


def encode_list(value: pl.Expr | str, scale: int) -> pl.Expr:
    """Per-element :func:`encode` of a List column."""
    return _as_expr(value).list.eval(encode(pl.element(), scale))


def decode(value: pl.Expr | str, scale: int, *, exact: bool = False) -> pl.Expr:
    """The number a fixed-point Int64 column stands for: Float64, or ``Decimal(38, scale)``
    with ``exact=True``.

    Goes through Decimal on purpose: ``int / 10**scale`` in polars multiplies by the
    reciprocal and is one ulp off for many values (``10_200_000_000 / 10**9`` gives
    10.200000000000001), whereas the Decimal -> Float64 cast rounds correctly, so a decoded
    price equals ``float(text)`` of the vendor's text.
    """
    unit = pl.lit(Decimal(1).scaleb(-scale), pl.Decimal(_PRECISION, scale))
    value_exact = _as_expr(value).cast(pl.Decimal(_PRECISION, 0)) * unit
    if exact:
        return value_exact.cast(pl.Decimal(_PRECISION, scale))
    return value_exact.cast(pl.Float64)


def decode_list(value: pl.Expr | str, scale: int, *, exact: bool = False) -> pl.Expr:
    """Per-element :func:`decode` of a ``List[Int64]`` column."""
    return _as_expr(value).list.eval(decode(pl.element(), scale, exact=exact))


def first_reason(*reasons: pl.Expr) -> pl.Expr:
    """The first non-null reason per row (argument order is the priority), or null."""
    return pl.coalesce([*reasons, pl.lit(None, pl.String)])
