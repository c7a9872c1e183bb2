"""Fixtures for storage tests: a temp lake and canonical frames built from the specs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from pointline_core.schemas.tables import TRADES
from pointline_core.storage.lake import Lake


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake(tmp_path / "lake")


def make_trades(
    file_id: int,
    n: int,
    *,
    exchange: str = "exa",
    day: dt.date = dt.date(2024, 1, 2),
    start_seq: int = 0,
    ts0: int | None = None,
) -> pl.DataFrame:
    """``n`` valid trades rows of one file, in the exact TRADES schema."""
    base = (
        ts0
        if ts0 is not None
        else int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1_000_000)
    )
    seq = pl.int_range(start_seq, start_seq + n, dtype=pl.Int64, eager=True)
    frame = pl.DataFrame(
        {
            "exchange": [exchange] * n,
            "trading_date": [day] * n,
            "symbol": ["SYM"] * n,
            "symbol_id": [42] * n,
            "ts_event_us": (seq * 1000 + base).to_list(),
            "ts_local_us": (seq * 1000 + base + 7).to_list(),
            "file_id": [file_id] * n,
            "file_seq": seq.to_list(),
            "trade_id": [f"t{i}" for i in seq],
            "side": ["buy"] * n,
            "price": (seq + 100).to_list(),
            "qty": [5] * n,
            # no nanosecond clock in this source
            "ts_event_ns": [None] * n,
            "ts_local_ns": [None] * n,
        },
        schema=TRADES.polars_schema(),
    )
    return frame


@pytest.fixture
def trades() -> Callable[..., pl.DataFrame]:
    return make_trades
