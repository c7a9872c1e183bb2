"""Bars stay exact where Int64 fixed point could not: PEPE-like 5e11 quantities and a daily
volume beyond the Int64 range, through query.bars, Gold and `pointline read` (issue 17)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pointline_core import query
from pointline_core.cli import main
from pointline_core.fixedpoint import encode
from pointline_core.gold.derive import derive_bars
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.dim_symbol import DimSymbolStore, resolve_symbol_ids
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake

T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
INT64_MAX = 2**63 - 1
#: 30 trades of 5e11 tokens, then two of 6e18: the day's volume exceeds Int64 as a number
QTYS = ["500000000000"] * 30 + ["6000000000000000000"] * 2
PRICES = [f"0.0000{1200 + i}" for i in range(len(QTYS))]
VOLUME = Decimal("12000015000000000000")


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake")
    DimSymbolStore(lake).apply(
        pl.DataFrame(
            {"exchange": ["memex"], "exchange_symbol": ["PEPEUSDT"], "valid_from": ["2024-01-01"]}
        )
    )
    n = len(QTYS)
    frame = pl.DataFrame(
        {
            "exchange": "memex",
            "symbol": "PEPEUSDT",
            "ts_event_us": [T0 + i * 2_000_000 for i in range(n)],  # 30 in the first minute
            "ts_local_us": [T0 + i * 2_000_000 + 5 for i in range(n)],
            "file_id": 1,
            "file_seq": list(range(n)),
            "trade_id": [str(i) for i in range(n)],
            "side": "buy",
            "price": PRICES,
            "qty": QTYS,
        }
    ).with_columns(
        trading_date=pl.from_epoch("ts_event_us", time_unit="us").dt.date(),
        price=encode("price", TRADES.column("price").scale),
        qty=encode("qty", TRADES.column("qty").scale),
    )
    frame = frame.with_columns(symbol_id=resolve_symbol_ids(frame, DimSymbolStore(lake).frame()))
    frame = frame.with_columns(  # optional nanosecond clocks: a µs source leaves them null
        **{name: pl.lit(None, pl.Int64) for name in TRADES.optional_columns()}
    )
    frame = frame.select(TRADES.polars_schema().names()).cast(TRADES.polars_schema())
    assert frame["qty"].null_count() == 0  # every quantity fits the stored representation
    EventStore(lake, TRADES).append([frame], file_ids=[1])
    return lake


def test_daily_volume_beyond_int64_is_exact_in_query_bars(lake: Lake) -> None:
    daily = query.bars(lake, interval="1d", exchange="memex", decoded="decimal").collect()
    assert daily.height == 1
    bar = daily.row(0, named=True)
    assert bar["volume"] == VOLUME and bar["volume"] > INT64_MAX
    assert bar["trade_count"] == 32
    assert bar["open"] == Decimal(PRICES[0]) and bar["close"] == Decimal(PRICES[-1])
    notional = sum(Decimal(p) * Decimal(q) for p, q in zip(PRICES, QTYS, strict=True))
    assert abs(bar["vwap"] - notional / VOLUME) <= Decimal("1e-15")
    minutes = query.bars(lake, interval="1m", exchange="memex", decoded="decimal").collect()
    assert minutes["volume"].sum() == VOLUME  # the 1m bars add up exactly too
    assert minutes.filter(pl.col("trade_count") == 30)["volume"].item() == Decimal("15000000000000")


def test_gold_bars_read_back_exactly(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    derive_bars(lake, "1d")
    gold = query.load(lake, "bars_1d", decoded="decimal").collect()
    assert gold["volume"].item() == VOLUME
    args = ["read", str(lake.root), "bars_1d", "--decimal", "--format", "csv"]
    assert main([*args, "--columns", "symbol,volume,trade_count"]) == 0
    text = capsys.readouterr().out
    read = pl.read_csv(io.StringIO(text), infer_schema=False)
    assert Decimal(read["volume"].item()) == VOLUME
    assert read["trade_count"].item() == "32"
