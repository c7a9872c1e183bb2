"""Fixed-point encoding of decimal columns, with overflow detection.

Prices and quantities are stored as Int64 ``round(value * 10**scale)``. Decimal text is parsed
exactly through polars' Decimal type (which also accepts exponent notation and rounds extra
digits instead of truncating them), so ``"0.1"`` never becomes ``9999999``. A value too large
for Int64 becomes null and is reported as ``overflow:<column>``: never a wrapped number.
"""

from __future__ import annotations

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


def decode(value: pl.Expr | str, scale: int) -> pl.Expr:
    """Float64 value of a fixed-point Int64 column (or List[Int64], per element)."""
    return _as_expr(value) / (10**scale)


def first_reason(*reasons: pl.Expr) -> pl.Expr:
    """The first non-null reason per row (argument order is the priority), or null."""
    return pl.coalesce([*reasons, pl.lit(None, pl.String)])
