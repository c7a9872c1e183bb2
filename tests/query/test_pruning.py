"""Reading one symbol-day from a lake of 30 days opens only that day's data file.

The lake holds 30 trading days x 2 exchanges (same timestamps on both, so file statistics
cannot tell the exchanges apart: only partition pruning can), one Delta commit per
exchange-day, two symbols per file. ``opened_files`` counts the Parquet files the kernel saw
opened (inotify IN_OPEN): a full read opens all 60, which proves the hook sees polars'
reads, so a broken pruning (partition or ts statistics) makes the one-day read fail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pointline_core import query
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from tests.query.conftest import DAY, LONG_AGO, T0, listed
from tests.query.fsaccess import opened_files

DAYS = 30
EXCHANGES = ("utcx", "otherx")
FIRST = dt.date(2024, 3, 1)


def _day_rows(exchange: str, day_index: int, file_id: int) -> pl.DataFrame:
    n = 20
    base = T0 + day_index * DAY
    return pl.DataFrame(
        {
            "exchange": [exchange] * n,
            "trading_date": [FIRST + dt.timedelta(days=day_index)] * n,
            "symbol": ["AAA", "BBB"] * (n // 2),
            "symbol_id": [1, 2] * (n // 2),
            # spread over the whole UTC day, first and last microsecond included
            "ts_event_us": [base + i * (DAY - 1) // (n - 1) for i in range(n)],
            "ts_local_us": [base + i * (DAY - 1) // (n - 1) + 5 for i in range(n)],
            "file_id": [file_id] * n,
            "file_seq": list(range(n)),
            "trade_id": [f"{file_id}-{i}" for i in range(n)],
            "side": ["buy"] * n,
            "price": [100_000_000_000 + i for i in range(n)],
            "qty": [1_000_000] * n,
            # no nanosecond clock in this source
            "ts_event_ns": [None] * n,
            "ts_local_ns": [None] * n,
        },
        schema=TRADES.polars_schema(),
    )


@pytest.fixture(scope="module")
def lake30(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("pruning") / "lake")
    store = EventStore(lake, TRADES)
    file_id = 0
    for day in range(DAYS):
        for exchange in EXCHANGES:
            file_id += 1
            store.append([_day_rows(exchange, day, file_id)], file_ids=[file_id])
    listed(lake, *((e, s) for e in EXCHANGES for s in ("AAA", "BBB")))
    return lake


def _table_dir(lake: Lake) -> Path:
    return lake.table_path("trades", "silver")


def _partition(path: str) -> str:
    return "/".join(Path(path).parts[-3:-1])


def test_full_read_opens_every_file(lake30):
    # The control: without it, a hook that saw nothing would make the test below pass.
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(lake30, "trades").collect()
    assert frame.height == DAYS * len(EXCHANGES) * 20
    assert len(seen.parquet()) == DAYS * len(EXCHANGES) == 60


def test_one_symbol_day_opens_only_that_partition(lake30):
    day = FIRST + dt.timedelta(days=14)
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(
            lake30,
            "trades",
            exchange="utcx",
            symbol="AAA",
            start=day,
            end=day + dt.timedelta(days=1),
            decoded=True,
        ).collect()
    assert frame.height == 10
    assert frame["trading_date"].unique().to_list() == [day]
    assert frame["symbol"].unique().to_list() == ["AAA"]
    opened = seen.parquet()
    assert len(opened) == 1, sorted(opened)
    assert {_partition(p) for p in opened} == {f"exchange=utcx/trading_date={day.isoformat()}"}
    # the Delta log agrees: the same single file is the only candidate
    chosen, total = query.files(
        lake30, "trades", exchange="utcx", symbol="AAA", start=day, end=day + dt.timedelta(1)
    )
    assert (len(chosen), total) == (1, 60)
    assert {Path(p).name for p in chosen} == {Path(p).name for p in opened}


def test_a_window_across_midnight_opens_the_two_days_it_touches(lake30):
    day = FIRST + dt.timedelta(days=3)
    midnight = T0 + 4 * DAY
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(
            lake30, "trades", exchange="utcx", start=midnight - 1, end=midnight + 1
        ).collect()
    # the last microsecond of day 3 and the first of day 4
    assert frame["ts_event_us"].to_list() == [midnight - 1, midnight]
    assert {_partition(p) for p in seen.parquet()} == {
        f"exchange=utcx/trading_date={day.isoformat()}",
        f"exchange=utcx/trading_date={(day + dt.timedelta(1)).isoformat()}",
    }


def test_exchange_pruning_without_time_bounds(lake30):
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(lake30, "trades", exchange="otherx", symbol="BBB").collect()
    assert frame.height == DAYS * 10
    assert len(seen.parquet()) == DAYS
    assert {_partition(p).split("/")[0] for p in seen.parquet()} == {"exchange=otherx"}


def test_several_exchanges_one_day(lake30):
    day = FIRST + dt.timedelta(days=29)
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(
            lake30, "trades", exchange=list(EXCHANGES), start=day, end=day + dt.timedelta(1)
        ).collect()
    assert frame.height == 2 * 20
    assert {_partition(p) for p in seen.parquet()} == {
        f"exchange={e}/trading_date={day.isoformat()}" for e in EXCHANGES
    }


def test_one_symbol_id_day_opens_only_that_partition(lake30):
    """A symbol_id read selects by its window; the exchange and day still prune."""
    from pointline_core.storage.dim_symbol import symbol_id

    sid = symbol_id("utcx", "AAA", LONG_AGO)
    day = FIRST + dt.timedelta(days=10)
    with opened_files(_table_dir(lake30)) as seen:
        frame = query.load(
            lake30, "trades", symbol_id=sid, start=day, end=day + dt.timedelta(1)
        ).collect()
    assert frame.height == 10
    assert set(frame["exchange"]) == {"utcx"} and set(frame["symbol"]) == {"AAA"}
    assert {_partition(p) for p in seen.parquet()} == {
        f"exchange=utcx/trading_date={day.isoformat()}"
    }
