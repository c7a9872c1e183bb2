"""As-of joins: no lookahead on random streams (property over seeds), the documented tie and
tolerance rules, and the symbol_id window rule, against a brute-force search."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pointline_core import query
from pointline_core.errors import QueryError
from pointline_core.storage.lake import Lake
from tests.research.streams import EXCHANGE, SPLIT_US, write_streams

DAY = {"start": "2024-03-01", "end": "2024-03-02"}
TRADE_CLOCK = pl.coalesce("ts_local_us", "ts_event_us")
QUOTE_CLOCK = pl.coalesce("quote_ts_local_us", "quote_ts_event_us")


def brute_force(lake: Lake, allow_same_instant: bool, tolerance: int | None) -> list:
    """For each trade, by scanning every quote: the last one in (clock, replay order) of the
    same symbol_id whose clock is <= (or <) the trade's and within tolerance."""
    trades = query.load(lake, "trades", exchange=EXCHANGE, **DAY).collect()
    quotes = (
        query.load(lake, "quotes", exchange=EXCHANGE)
        .with_columns(_c=pl.coalesce("ts_local_us", "ts_event_us"))
        # ties on the clock keep the quotes' replay order (query.load's keys)
        .sort("_c", "ts_local_us", "ts_event_us", "file_id", "file_seq", nulls_last=False)
        .collect()
    )
    by_id: dict[int, list[tuple]] = {}
    for row in quotes.select("symbol_id", "_c", "file_id", "file_seq").iter_rows():
        by_id.setdefault(row[0], []).append(row[1:])
    found = []
    for sid, local, event in trades.select("symbol_id", "ts_local_us", "ts_event_us").iter_rows():
        clock = event if local is None else local
        best = None
        for qc, fid, seq in by_id.get(sid, []):
            if qc < clock or (allow_same_instant and qc == clock):
                best = (qc, fid, seq)
        if best is not None and tolerance is not None and clock - best[0] > tolerance:
            best = None
        found.append(None if best is None else (best[1], best[2]))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("same", [True, False])
def test_no_joined_quote_is_later_than_its_trade(tmp_path: Path, seed: int, same: bool) -> None:
    lake = Lake(tmp_path / "lake")
    write_streams(lake, seed=seed, rows=150, files=2)
    got = query.trades_with_quotes(
        lake, exchange=EXCHANGE, allow_same_instant=same, **DAY
    ).collect()
    joined = got.filter(pl.col("quote_file_id").is_not_null())
    assert joined.height > 0.9 * got.height
    later = joined.filter(QUOTE_CLOCK > TRADE_CLOCK if same else QUOTE_CLOCK >= TRADE_CLOCK)
    assert later.height == 0, later
    # the quote belongs to the trade's symbol_id window (the join is by symbol_id)
    quotes = query.load(lake, "quotes", exchange=EXCHANGE).collect()
    owner = joined.join(
        quotes.select("file_id", "file_seq", "symbol_id"),
        left_on=["quote_file_id", "quote_file_seq"],
        right_on=["file_id", "file_seq"],
    )
    assert (owner["symbol_id"] == owner["symbol_id_right"]).all()
    # and it is exactly the quote a brute-force search picks (tie rule: last in file order)
    picked = [
        None if f is None else (f, s)
        for f, s in got.select("quote_file_id", "quote_file_seq").iter_rows()
    ]
    assert picked == brute_force(lake, same, None)


def test_tolerance_turns_stale_quotes_into_nulls(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    write_streams(lake, seed=9, rows=60, files=1)
    tolerance = 500_000
    got = query.trades_with_quotes(lake, exchange=EXCHANGE, tolerance=tolerance, **DAY).collect()
    picked = [
        None if f is None else (f, s)
        for f, s in got.select("quote_file_id", "quote_file_seq").iter_rows()
    ]
    expected = brute_force(lake, True, tolerance)
    assert picked == expected
    assert None in expected  # some quotes were stale
    gaps = got.select(gap=TRADE_CLOCK - QUOTE_CLOCK)["gap"].drop_nulls()
    assert gaps.max() <= tolerance


def test_a_quote_never_crosses_a_symbol_id_window(tmp_path: Path) -> None:
    """AAA's dim_symbol window changes at SPLIT_US: the first trades after it have no quote
    of the new window yet only if none arrived; never one of the old window."""
    lake = Lake(tmp_path / "lake")
    write_streams(lake, seed=3, rows=300, files=1)
    got = query.trades_with_quotes(lake, exchange=EXCHANGE, symbol="AAA", **DAY).collect()
    after = got.filter(pl.col("ts_event_us") >= SPLIT_US, pl.col("quote_file_id").is_not_null())
    assert after.height > 0
    assert (after["quote_ts_event_us"] >= SPLIT_US).all()
    assert got["symbol_id"].n_unique() == 2


def test_asof_keeps_the_left_order_and_prefixes_columns() -> None:
    left = pl.LazyFrame(
        {"symbol_id": [1, 1, 2], "ts_event_us": [30, 10, 30], "ts_local_us": [31, 11, None]}
    )
    right = pl.LazyFrame(
        {
            "symbol_id": [1, 1, 1, 2],
            "ts_event_us": [5, 10, 10, 40],
            "ts_local_us": [11, 11, 11, 41],
            "bid": [100, 101, 102, 7],
        }
    )
    got = query.asof(left, right, prefix="q_").collect()
    assert got["ts_event_us"].to_list() == [30, 10, 30]  # left order kept
    assert got["q_bid"].to_list() == [102, 102, None]  # last of the tied instant; no lookahead
    strict = query.asof(left, right, allow_same_instant=False, prefix="q_").collect()
    assert strict["q_bid"].to_list() == [102, None, None]
    event = query.asof(left, right, clock="event", prefix="q_").collect()
    assert event["q_bid"].to_list() == [102, 102, None]
    with pytest.raises(QueryError, match="tolerance"):
        query.asof(left, right, tolerance=-1)
