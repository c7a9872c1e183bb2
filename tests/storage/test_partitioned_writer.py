"""The bounded-memory partitioned writer behind EventStore.append."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore
from pointline_core.storage.partitioned_writer import write_partitioned
from tests.storage.conftest import make_trades


def _data_files(path):
    return {p.resolve() for p in path.rglob("*.parquet")}


def test_buffers_flush_into_several_files_committed_once(lake):
    store = EventStore(lake, TRADES)
    store.append([make_trades(0, 1)], [0])  # creates the table
    table = DeltaTable(str(store.path))
    batches = [make_trades(1, 40, start_seq=40 * i) for i in range(5)]
    batches.append(make_trades(1, 10, start_seq=200, day=dt.date(2024, 1, 3)))
    rows = write_partitioned(table, store.path, TRADES, iter(batches), flush_rows=64)
    assert rows == 210
    table = DeltaTable(str(store.path))
    assert table.version() == 2, "every flushed file lands in one commit"
    # 2024-01-02: 40-row batches, a flush once a buffer holds >= 64 rows -> files of 80, 80
    # and the final 40; 2024-01-03: one file of 10
    actions = pl.DataFrame(table.get_add_actions(flatten=True))
    per_day = actions.group_by("partition.trading_date").len().sort("partition.trading_date")
    assert per_day["len"].to_list() == [3 + 1, 1]  # plus the first append's file
    got = pl.read_delta(str(store.path)).filter(pl.col("file_id") == 1).sort("file_seq")
    assert got.equals(pl.concat(batches).sort("file_seq").select(got.columns))


def test_stats_let_readers_skip_files(lake):
    store = EventStore(lake, TRADES)
    store.append([make_trades(1, 100)], [1])
    add = next(
        json.loads(line)["add"]
        for f in sorted((store.path / "_delta_log").glob("*.json"))
        for line in f.open()
        if '"add"' in line
    )
    stats = json.loads(add["stats"])
    frame = make_trades(1, 100)
    assert stats["numRecords"] == 100
    assert stats["minValues"]["ts_event_us"] == frame["ts_event_us"].min()
    assert stats["maxValues"]["ts_event_us"] == frame["ts_event_us"].max()
    assert stats["nullCount"]["trade_id"] == 0
    assert add["partitionValues"] == {"exchange": "exa", "trading_date": "2024-01-02"}


def test_a_failing_stream_commits_nothing_and_leaves_no_files(lake):
    store = EventStore(lake, TRADES)
    store.append([make_trades(1, 5)], [1])
    before_files = _data_files(store.path)
    version = DeltaTable(str(store.path)).version()

    def frames():
        for i in range(4):
            yield make_trades(2, 50, start_seq=50 * i)
        raise RuntimeError("the parser died half-way")

    table = DeltaTable(str(store.path))
    with pytest.raises(RuntimeError, match="half-way"):
        write_partitioned(table, store.path, TRADES, frames(), flush_rows=60)
    assert DeltaTable(str(store.path)).version() == version
    assert _data_files(store.path) == before_files, "files of the aborted write were removed"


def test_decimal_stats_keep_every_digit_and_prune_on_price(lake):
    # Two files of one partition; 38-digit bounds that a float statistic would round
    # (1.2345678901234567e19 < the true max would prune the file a `>=` filter needs).
    high = Decimal("12345678901234567890.123456789012345678")
    store = EventStore(lake, TRADES)
    store.append(
        [make_trades(1, 3).with_columns(price=pl.lit(Decimal("1E-10"), pl.Decimal(38, 18)))], [1]
    )
    store.append([make_trades(2, 2).with_columns(price=pl.lit(high, pl.Decimal(38, 18)))], [2])
    stats = [
        json.loads(json.loads(line)["add"]["stats"], parse_float=Decimal)
        for f in sorted((store.path / "_delta_log").glob("*.json"))
        for line in f.open()
        if '"add"' in line
    ]
    assert [(s["minValues"]["price"], s["maxValues"]["price"]) for s in stats] == [
        (Decimal("1E-10"), Decimal("1E-10")),
        (high, high),
    ]
    table = DeltaTable(str(store.path))
    assert len(table.file_uris()) == 2
    assert len(table.file_uris(file_pruning_predicate=f"price >= {high}")) == 1
    assert len(table.file_uris(file_pruning_predicate="price < 0.000000001")) == 1
    read = pl.scan_delta(str(store.path)).filter(pl.col("price") >= high).collect()
    assert read["file_id"].to_list() == [2, 2]
