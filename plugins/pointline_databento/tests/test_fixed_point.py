"""DBN integers -> core price/size columns: exact integer arithmetic, UNDEF is null, overflow
is null (and flagged), whatever the core column's dtype (Int64 fixed point or Decimal)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from pointline_databento.canonical import UNDEF_PRICE, _fixed, fixed, price

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


def test_int64_overflow_is_null_never_wrapped():
    # a u64 volume too large for Int64 at scale 8 becomes null (flagged overflow:volume)
    frame = pl.DataFrame({"v": [10**11, 10**10]}, schema={"v": pl.UInt64})
    out = frame.select(v=_fixed(pl.col("v"), 0, pl.Int64(), 8, "volume"))
    assert out["v"].to_list() == [None, 10**18]  # 1e19 does not fit Int64


def test_a_decimal_core_column_gets_the_exact_value():
    frame = pl.DataFrame({"px": EXTREMES})
    out = frame.select(px=_fixed(pl.col("px"), 9, pl.Decimal(38, 18), None, "price"))
    assert out.schema["px"] == pl.Decimal(38, 18)
    assert out["px"].to_list() == [Decimal(v).scaleb(-9) for v in EXTREMES]
