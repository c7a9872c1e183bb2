"""Point-in-time symbols: one exchange symbol, several dim_symbol windows, distinct ids.

Events are ingested by the core engine (which stamps each row with the id of the window
covering its ts_event_us); the query must return them with the right id per instant when
asked by symbol, and only one window's rows when asked by symbol_id.
"""

from __future__ import annotations

import polars as pl
import pytest

from pointline_core import query
from pointline_core.errors import QueryError, UnknownSymbolError
from pointline_core.storage.dim_symbol import symbol_id
from tests.query import vendor
from tests.query.conftest import DAY, HOUR, LONG_AGO, T0, ingest, listed, windows

BOUNDARY = T0 + 2 * DAY + 12 * HOUR  # tick size changes at 2024-03-03T12:00Z


def _rows(times: list[int], tag: str) -> list[tuple]:
    return [(t, t + 3, "100.5", "0.25", "b", f"{tag}{i}") for i, t in enumerate(times)]


@pytest.fixture
def two_windows(bronze, lake):
    windows(
        lake,
        [
            ("utcx", "AAA", LONG_AGO, None, "0.01"),
            ("utcx", "AAA", BOUNDARY, None, "0.5"),  # a new SCD2 window: different tick
            ("utcx", "BBB", LONG_AGO, None, "0.01"),
        ],
    )
    # events on each side of the boundary, split over two files and two days
    vendor.write(bronze, "utcx", "AAA", "a", _rows([T0, BOUNDARY - 2, BOUNDARY - 1], "a"))
    vendor.write(bronze, "utcx", "AAA", "b", _rows([BOUNDARY, BOUNDARY + 1, T0 + 5 * DAY], "b"))
    vendor.write(bronze, "utcx", "BBB", "a", _rows([BOUNDARY - 1, BOUNDARY], "c"))
    ingest(bronze, lake)
    return lake


def test_events_on_each_side_of_a_window_boundary_get_different_ids(two_windows):
    lake = two_windows
    old = symbol_id("utcx", "AAA", LONG_AGO)
    new = symbol_id("utcx", "AAA", BOUNDARY)
    assert old != new
    by_symbol = query.load(lake, "trades", exchange="utcx", symbol="AAA").collect()
    assert by_symbol.select("ts_event_us", "symbol_id").rows() == [
        (T0, old),
        (BOUNDARY - 2, old),
        (BOUNDARY - 1, old),  # the window is half-open: its last microsecond
        (BOUNDARY, new),  # the new window starts here, inclusive
        (BOUNDARY + 1, new),
        (T0 + 5 * DAY, new),
    ]
    # the ids are dim_symbol's: each row's ts lies in its id's window
    dim = query.symbols(lake, exchange="utcx", like="AAA")
    assert dim["symbol_id"].to_list() == [old, new]
    assert dim["tick_size"].to_list() == [0.01, 0.5]
    joined = by_symbol.join(dim, on="symbol_id")
    assert joined.filter(
        (pl.col("ts_event_us") < pl.col("valid_from_ts_us"))
        | (pl.col("ts_event_us") >= pl.col("valid_until_ts_us"))
    ).is_empty()


def test_asking_by_symbol_id_returns_only_its_window(two_windows):
    lake = two_windows
    new = symbol_id("utcx", "AAA", BOUNDARY)
    old = symbol_id("utcx", "AAA", LONG_AGO)
    rows = query.load(lake, "trades", symbol_id=new).collect()
    assert rows["ts_event_us"].to_list() == [BOUNDARY, BOUNDARY + 1, T0 + 5 * DAY]
    assert set(rows["symbol_id"]) == {new} and set(rows["symbol"]) == {"AAA"}
    rows = query.load(lake, "trades", symbol_id=old, exchange="utcx").collect()
    assert rows["ts_event_us"].to_list() == [T0, BOUNDARY - 2, BOUNDARY - 1]
    # with a time window, the intersection of both
    rows = query.load(lake, "trades", symbol_id=old, start=BOUNDARY - 1, end=T0 + 9 * DAY)
    assert rows.collect()["ts_event_us"].to_list() == [BOUNDARY - 1]
    # both ids at once: both windows, replay order
    both = query.load(lake, "trades", symbol_id=[old, new]).collect()
    assert both.height == 6
    # the other symbol at the same instants is never mixed in
    assert "BBB" not in both["symbol"].to_list()


def test_symbol_id_window_bounds_prune_partitions(two_windows):
    lake = two_windows
    new = symbol_id("utcx", "AAA", BOUNDARY)
    old = symbol_id("utcx", "AAA", LONG_AGO)
    everything, total = query.files(lake, "trades")
    # one ingest commit: one file per partition (2024-03-01, 03-03 and 03-06)
    assert total == len(everything) == 3

    def days(files: list[str]) -> list[str]:
        return sorted(f.split("trading_date=")[1][:10] for f in files)

    # the new window starts at BOUNDARY (03-03 12:00): 03-01 cannot hold its rows
    assert days(query.files(lake, "trades", symbol_id=new)[0]) == ["2024-03-03", "2024-03-06"]
    # the old window ends at BOUNDARY: 03-06 cannot hold its rows
    assert days(query.files(lake, "trades", symbol_id=old)[0]) == ["2024-03-01", "2024-03-03"]


def test_relisted_symbol_resolves_per_listing(bronze, lake):
    delisted = T0 + DAY
    relisted = T0 + 3 * DAY
    windows(
        lake,
        [
            ("utcx", "CCC", LONG_AGO, delisted, "0.01"),
            ("utcx", "CCC", relisted, None, "0.01"),  # same attributes, after a gap
        ],
    )
    vendor.write(bronze, "utcx", "CCC", "a", _rows([T0 + HOUR, relisted + HOUR], "a"))
    ingest(bronze, lake)
    rows = query.load(lake, "trades", symbol="CCC", start=T0, end=T0 + 10 * DAY).collect()
    assert rows["symbol_id"].to_list() == [
        symbol_id("utcx", "CCC", LONG_AGO),
        symbol_id("utcx", "CCC", relisted),
    ]


def test_renamed_symbol_is_followed_by_asking_for_both_names(bronze, lake):
    rename = T0 + DAY
    windows(
        lake,
        [("utcx", "OLD", LONG_AGO, rename, "0.01"), ("utcx", "NEW", rename, None, "0.01")],
    )
    vendor.write(bronze, "utcx", "OLD", "a", _rows([rename - 1], "o"))
    vendor.write(bronze, "utcx", "NEW", "a", _rows([rename], "n"))
    ingest(bronze, lake)
    rows = query.load(lake, "trades", symbol=["OLD", "NEW"]).collect()
    assert rows.select("symbol", "symbol_id").rows() == [
        ("OLD", symbol_id("utcx", "OLD", LONG_AGO)),
        ("NEW", symbol_id("utcx", "NEW", rename)),
    ]


def test_unknown_symbols_and_ids_fail_with_suggestions(two_windows):
    lake = two_windows
    with pytest.raises(UnknownSymbolError, match=r"'AAB' \(did you mean AAA"):
        query.load(lake, "trades", exchange="utcx", symbol="AAB")
    listed(lake, ("eastx", "ZZZ"))
    with pytest.raises(UnknownSymbolError, match="'ZZZ' \\(listed on eastx"):
        query.load(lake, "trades", exchange="utcx", symbol="ZZZ")
    with pytest.raises(UnknownSymbolError, match="symbol_id 12345 not found"):
        query.load(lake, "trades", symbol_id=12345)
    new = symbol_id("utcx", "AAA", BOUNDARY)
    with pytest.raises(QueryError, match="is on 'utcx', not on exchange eastx"):
        query.load(lake, "trades", exchange="eastx", symbol_id=new)
    with pytest.raises(QueryError, match="symbol or symbol_id, not both"):
        query.load(lake, "trades", symbol="AAA", symbol_id=new)


def test_symbol_lookup_on_an_empty_dimension_says_to_import_symbols(lake):
    lake.root.mkdir(parents=True)
    with pytest.raises(UnknownSymbolError, match="dim_symbol is empty"):
        query.load(lake, "trades", symbol="AAA")


def test_symbols_listing_filters(two_windows):
    lake = two_windows
    listed(lake, ("eastx", "AAA_X"), ("eastx", "QQQ"))
    assert query.symbols(lake, like="aa")["symbol"].to_list() == ["AAA_X", "AAA", "AAA"]
    assert query.symbols(lake, like="A*")["symbol"].to_list() == ["AAA_X", "AAA", "AAA"]
    assert query.symbols(lake, like="???_?")["symbol"].to_list() == ["AAA_X"]
    assert query.symbols(lake, like="AAA")["symbol"].to_list() == ["AAA_X", "AAA", "AAA"]
    assert query.symbols(lake, like="%a")["symbol"].to_list() == ["AAA", "AAA"]
    assert query.symbols(lake, exchange="utcx", current=True)["symbol"].to_list() == [
        "AAA",
        "BBB",
    ]
    frame = query.symbols(lake, exchange=["eastx"])
    assert frame["valid_until"].null_count() == frame.height  # open windows
    assert frame.schema["valid_from"] == pl.Datetime("us", "UTC")


def test_a_window_split_after_ingestion_loses_no_row_by_symbol_id(bronze, lake):
    """A snapshot applied late (after its day was ingested) splits a window: the rows after
    the split still carry the id stamped at ingestion. Asking for either window's id must
    still return exactly that window's rows (exchange, symbol, time span), none lost."""
    listed(lake, ("utcx", "AAA"))
    split = T0 + DAY
    times = [T0, split - 1, split, split + HOUR]
    vendor.write(bronze, "utcx", "AAA", "a", _rows(times, "a"))
    ingest(bronze, lake)
    windows(lake, [("utcx", "AAA", split, None, "0.5")])  # learned late: a new tick size
    old = symbol_id("utcx", "AAA", LONG_AGO)
    new = symbol_id("utcx", "AAA", split)
    assert query.symbols(lake, exchange="utcx")["symbol_id"].to_list() == [old, new]
    before = query.load(lake, "trades", symbol_id=old).collect()
    after = query.load(lake, "trades", symbol_id=new).collect()
    assert before["ts_event_us"].to_list() == [T0, split - 1]
    assert after["ts_event_us"].to_list() == [split, split + HOUR]
    # the stored ids are the ones stamped at ingestion (re-ingest with --force to restamp)
    assert set(after["symbol_id"]) == {old}
    assert query.load(lake, "trades", symbol_id=[old, new]).collect().height == 4
    (only,) = query.files(lake, "trades", symbol_id=new)[0]  # its span prunes 03-01
    assert "trading_date=2024-03-02" in only
