"""Exact decimal encoding of price, quantity and amount columns, with overflow detection.

Prices and quantities are stored as ``Decimal(38, scale)`` (scale 18; amounts 8): the number
itself, exact, which every reader (polars, DuckDB, deltalake) sees without a decode step.
Decimal text is parsed exactly through polars' Decimal type (which also accepts exponent
notation and rounds extra digits instead of truncating them), so ``"0.1"`` never becomes
``0.0999...``. A value with more integer digits than the type holds (20 at scale 18) becomes
null and is reported as ``overflow:<column>``: never a wrapped number.
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
    """``Decimal(38, scale)`` of ``value`` (String, float or integer); null if invalid or
    overflowing (more than ``38 - scale`` integer digits)."""
    return _text(_as_expr(value)).cast(pl.Decimal(_PRECISION, scale), strict=False)


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
    """The number a stored decimal column holds: Float64, or ``Decimal(38, scale)`` with
    ``exact=True`` (the stored value itself: a cast that changes nothing).

    polars' Decimal -> Float64 cast rounds correctly, so a decoded price equals
    ``float(text)`` of the vendor's text.
    """
    target = pl.Decimal(_PRECISION, scale) if exact else pl.Float64()
    return _as_expr(value).cast(target)


def decode_list(value: pl.Expr | str, scale: int, *, exact: bool = False) -> pl.Expr:
    """Per-element :func:`decode` of a ``List[Decimal(38, scale)]`` column."""
    return _as_expr(value).list.eval(decode(pl.element(), scale, exact=exact))


def from_int64(
    value: pl.Expr | str, legacy_scale: int, scale: int, *, strict: bool = True
) -> pl.Expr:
    """``Decimal(38, scale)`` of an integer fixed-point value ``n`` (``n * 10**-legacy_scale``:
    the storage of plugin API 1.x, or a vendor's integer units), exactly: integer arithmetic
    in Decimal, no float. ``strict=False``: a value too large for ``scale`` becomes null (to
    be reported as overflow) instead of raising."""
    unit = pl.lit(Decimal(1).scaleb(-legacy_scale), pl.Decimal(_PRECISION, legacy_scale))
    exact = _as_expr(value).cast(pl.Decimal(_PRECISION, 0)) * unit
    return exact.cast(pl.Decimal(_PRECISION, scale), strict=strict)


def first_reason(*reasons: pl.Expr) -> pl.Expr:
    """The first non-null reason per row (argument order is the priority), or null."""
    return pl.coalesce([*reasons, pl.lit(None, pl.String)])
