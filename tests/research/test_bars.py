"""Bars equal a brute-force computation (Python Decimal over every trade), daily bars follow
the exchange's trading_date, and Gold derivation replaces exactly the named days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pointline_core import query
from pointline_core.errors import QueryError
from pointline_core.fixedpoint import encode
from pointline_core.gold.derive import derive_bars
from pointline_core.gold.specs import INTERVALS
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.dim_symbol import DimSymbolStore, resolve_symbol_ids
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from tests.research.streams import EXCHANGE, write_streams

PRICE, QTY = TRADES.column("price"), TRADES.column("qty")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2024-03-01 14:00 UTC = 22:00 Shanghai; trades over 6 hours cross Shanghai's midnight
T_SH = 1_709_301_600_000_000


def brute_force(trades: pl.DataFrame, interval: str) -> dict[tuple, dict]:
    """Bars by looping over the trades (decoded as exact decimals) in replay order."""
    length = INTERVALS[interval]
    ordered = trades.sort("ts_event_us", "ts_local_us", "file_id", "file_seq", nulls_last=False)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in ordered.iter_rows(named=True):
        start = None if length is None else row["ts_event_us"] // length * length
        groups[(row["symbol_id"], row["trading_date"], start)].append(row)
    out = {}
    for key, rows in groups.items():
        p = [r["price"] for r in rows]
        q = [r["qty"] for r in rows]
        out[key] = {
            "open": p[0],
            "high": max(p),
            "low": min(p),
            "close": p[-1],
            "volume": sum(q),
            "vwap": sum(a * b for a, b in zip(p, q, strict=True)) / sum(q),
            "trade_count": len(rows),
            "first_ts_event_us": rows[0]["ts_event_us"],
            "last_ts_event_us": max(r["ts_event_us"] for r in rows),
            "ts_event_us": rows[0]["ts_event_us"] if length is None else key[2],
        }
    return out


def check_against_brute_force(bars: pl.DataFrame, trades: pl.DataFrame, interval: str) -> None:
    expected = brute_force(trades, interval)
    assert bars.height == len(expected)
    length = INTERVALS[interval]
    for row in bars.iter_rows(named=True):
        start = None if length is None else row["ts_event_us"]
        want = expected[(row["symbol_id"], row["trading_date"], start)]
        for name in ("open", "high", "low", "close", "volume"):
            assert row[name] == want[name], (name, row, want)
        for name in ("trade_count", "first_ts_event_us", "last_ts_event_us", "ts_event_us"):
            assert row[name] == want[name], (name, row, want)
        # vwap: each price*qty is kept to the price's decimals, the quotient rounded down
        assert abs(row["vwap"] - want["vwap"]) <= Decimal("1e-8"), (row, want)
        assert row["interval"] == interval


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("bars") / "lake")
    write_streams(lake, seed=5, rows=500, span_us=200_000_000)
    return lake


@pytest.mark.parametrize("interval", ["1s", "1m", "1h", "1d"])
def test_bars_equal_brute_force(lake: Lake, interval: str) -> None:
    bars = query.bars(lake, interval=interval, exchange=EXCHANGE, decoded="decimal").collect()
    trades = query.load(lake, "trades", exchange=EXCHANGE, decoded="decimal").collect()
    assert isinstance(trades["price"][0], Decimal)
    check_against_brute_force(bars, trades, interval)
    assert bars["symbol_id"].n_unique() == 3  # AAA's two windows never share a bar
    stored = query.bars(lake, interval=interval, exchange=EXCHANGE).collect()
    assert stored.schema["volume"] == TRADES.column("qty").polars_dtype()


def _shanghai_trades(lake: Lake, first: int, hours: int, file_id: int) -> pl.DataFrame:
    """A trade every 10 minutes from ``first`` for ``hours``, trading_date in Shanghai."""
    DimSymbolStore(lake).apply(
        pl.DataFrame(
            {"exchange": ["shx"], "exchange_symbol": ["600000"], "valid_from": ["2024-01-01"]}
        )
    )
    n = hours * 6
    ts = [first + i * 600_000_000 for i in range(n)]
    frame = pl.DataFrame(
        {
            "exchange": "shx",
            "trading_date": [dt.datetime.fromtimestamp(t / 1e6, tz=SHANGHAI).date() for t in ts],
            "symbol": "600000",
            "ts_event_us": ts,
            "ts_local_us": pl.Series([None] * n, dtype=pl.Int64),
            "file_id": file_id,
            "file_seq": list(range(n)),
            "trade_id": [str(i) for i in range(n)],
            "side": "unknown",
            "price": [f"10.{(i * 37) % 50:02d}" for i in range(n)],
            "qty": [str(100 + i) for i in range(n)],
        }
    )
    frame = frame.with_columns(encode("price", PRICE.scale), encode("qty", QTY.scale))
    frame = frame.with_columns(symbol_id=resolve_symbol_ids(frame, DimSymbolStore(lake).frame()))
    frame = frame.with_columns(  # optional nanosecond clocks: a µs source leaves them null
        **{name: pl.lit(None, pl.Int64) for name in TRADES.optional_columns()}
    )
    frame = frame.select(TRADES.polars_schema().names()).cast(TRADES.polars_schema())
    EventStore(lake, TRADES).append([frame], file_ids=[file_id])
    return frame


def test_daily_bars_follow_the_exchange_trading_day(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _shanghai_trades(lake, T_SH, 6, 1)
    trades = query.load(lake, "trades", exchange="shx", decoded="decimal").collect()
    bars = query.bars(lake, interval="1d", exchange="shx", decoded="decimal").collect()
    # one UTC day, two Shanghai trading days: 14:00-16:00 UTC is March 1st there
    assert bars["trading_date"].to_list() == [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    assert bars["trade_count"].to_list() == [12, 24]
    assert bars["first_ts_event_us"][1] == T_SH + 2 * 3_600_000_000  # 00:00 Shanghai
    check_against_brute_force(bars, trades, "1d")
    hourly = query.bars(lake, interval="1h", exchange="shx", decoded="decimal").collect()
    check_against_brute_force(hourly, trades, "1h")


def test_derive_replaces_exactly_the_named_day(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _shanghai_trades(lake, T_SH, 6, 1)
    report = derive_bars(lake, "1h")
    assert [(p.trading_date, p.rows, p.skipped) for p in report.partitions] == [
        (dt.date(2024, 3, 1), 2, False),
        (dt.date(2024, 3, 2), 4, False),
    ]
    gold = query.load(lake, "bars_1h").collect()
    assert_frame_equal(
        gold.drop("source_version"),
        query.bars(lake, interval="1h").collect().drop("source_version"),
    )
    first_version = report.partitions[0].source_version
    assert gold["source_version"].unique().to_list() == [first_version]
    # rerun: nothing to do, nothing duplicated
    again = derive_bars(lake, "1h")
    assert all(p.skipped for p in again.partitions)
    assert query.load(lake, "bars_1h").collect().height == 6
    # more trades land on March 2nd (Shanghai) only; re-derive just that day
    _shanghai_trades(lake, T_SH + 6 * 3_600_000_000, 2, 2)
    report = derive_bars(lake, "1h", first="2024-03-02", last="2024-03-02")
    assert [(p.trading_date, p.skipped) for p in report.partitions] == [
        (dt.date(2024, 3, 2), False)
    ]
    after = query.load(lake, "bars_1h").collect()
    day1 = after.filter(pl.col("trading_date") == dt.date(2024, 3, 1))
    day2 = after.filter(pl.col("trading_date") == dt.date(2024, 3, 2))
    assert_frame_equal(day1, gold.filter(pl.col("trading_date") == dt.date(2024, 3, 1)))
    assert day1["source_version"].unique().to_list() == [first_version]
    assert day2["source_version"].unique().to_list() == [first_version + 1]
    assert day2.height == 6 and day2["trade_count"].sum() == 36
    fresh = query.bars(lake, interval="1h").collect()
    assert_frame_equal(
        after.drop("source_version"), fresh.drop("source_version")
    )  # exactly once: no duplicate bars for the re-derived day


def test_bars_refuse_unknown_intervals_and_tables(lake: Lake) -> None:
    with pytest.raises(QueryError, match="interval '5m'"):
        query.bars(lake, interval="5m")
    with pytest.raises(QueryError, match="not 'quotes'"):
        query.bars(lake, table="quotes")


def test_derive_names_a_mistyped_exchange(tmp_path: Path) -> None:
    from pointline_core.errors import ExchangeNotInTableError

    lake = Lake(tmp_path / "lake")
    _shanghai_trades(lake, T_SH, 6, 1)
    with pytest.raises(ExchangeNotInTableError, match="derbit"):
        derive_bars(lake, "1h", exchange="derbit")
    assert not (lake.root / "gold").exists(), "nothing derived"
