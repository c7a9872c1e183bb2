"""DBN integers -> core price/size columns: exact integer arithmetic in Decimal, UNDEF is null,
never a float, and a core column that is not Decimal is refused by name."""

from __future__ import annotations

from decimal import Decimal

import attrs
import polars as pl
import pytest
from pointline_databento.canonical import fixed, price
from pointline_databento.formats import UNDEF_PRICE

from pointline_core.errors import CanonicalizeError
from pointline_core.schemas import EVENT_TABLES

TRADES = next(s for s in EVENT_TABLES if s.name == "trades")
EXTREMES = [3_702_250_000_000, -1, 1, 2**63 - 2, -(2**63)]


def test_the_core_columns_take_dbn_values_exactly():
    frame = pl.DataFrame({"px": [*EXTREMES, UNDEF_PRICE], "sz": [1, 2, 0, 7, 4_294_967_295, 3]})
    out = frame.select(
        price=fixed(price("px"), 9, TRADES, "price"), qty=fixed(pl.col("sz"), 0, TRADES, "qty")
    )
    want_px = [Decimal(v).scaleb(-9) for v in EXTREMES] + [None]
    scale_px = TRADES.column("price").scale
    got_px = [
        v if v is None or isinstance(v, Decimal) else Decimal(v).scaleb(-scale_px)
        for v in out["price"].to_list()
    ]
    assert got_px == want_px  # UNDEF_PRICE -> null, never a number
    scale_q = TRADES.column("qty").scale
    got_q = [v if isinstance(v, Decimal) else Decimal(v).scaleb(-scale_q) for v in out["qty"]]
    assert got_q == [Decimal(v) for v in frame["sz"]]


def test_u64_values_beyond_int64_are_exact():
    # a u64 volume past Int64's range (the old Int64 columns nulled it as overflow) is exact
    frame = pl.DataFrame({"v": [2**64 - 2, 10**10]}, schema={"v": pl.UInt64})
    out = frame.select(v=fixed(pl.col("v"), 0, TRADES, "qty"))
    assert out["v"].to_list() == [Decimal(2**64 - 2), Decimal(10**10)]


def test_a_decimal_core_column_gets_the_exact_value():
    frame = pl.DataFrame({"px": EXTREMES})
    out = frame.select(px=fixed(pl.col("px"), 9, TRADES, "price"))
    assert out.schema["px"] == pl.Decimal(38, 18)
    assert out["px"].to_list() == [Decimal(v).scaleb(-9) for v in EXTREMES]


def test_a_core_column_that_is_not_decimal_is_refused_by_name():
    # a plugin-API-1.x style Int64 fixed-point column
    legacy = attrs.evolve(TRADES.column("price"), dtype="Int64")
    spec = attrs.evolve(
        TRADES, columns=tuple(legacy if c.name == "price" else c for c in TRADES.columns)
    )
    with pytest.raises(CanonicalizeError, match="core column price is Int64, not an exact"):
        fixed(pl.col("px"), 9, spec, "price")
