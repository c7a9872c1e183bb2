from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core.errors import SymbolDataError
from pointline_core.schemas.tables import DIM_SYMBOL
from pointline_core.storage.dim_symbol import (
    OPEN_END_US,
    DimSymbolStore,
    resolve_symbol_ids,
    symbol_id,
)
from pointline_core.storage.lake import Lake

D1 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
D5 = 1_704_412_800_000_000  # 2024-01-05T00:00:00Z
D9 = 1_704_758_400_000_000  # 2024-01-09T00:00:00Z


def snapshot(day: str, ticks: dict[str, str], exchange: str = "exa") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "exchange": [exchange] * len(ticks),
            "exchange_symbol": list(ticks),
            "valid_from": [day] * len(ticks),
            "asset_class": ["spot"] * len(ticks),
            "tick_size": list(ticks.values()),
            "lot_size": ["0.001"] * len(ticks),
        }
    )


def windows(store: DimSymbolStore, symbol: str) -> list[tuple]:
    return (
        store.frame()
        .filter(pl.col("exchange_symbol") == symbol)
        .select("valid_from_ts_us", "valid_until_ts_us", "is_current", "tick_size")
        .rows()
    )


def test_symbol_id_is_a_stable_signed_64_bit_hash():
    a = symbol_id("exa", "BTC-USD", D1)
    assert a == symbol_id("exa", "BTC-USD", D1)
    assert -(2**63) <= a < 2**63
    assert len({a, symbol_id("exa", "BTC-USD", D5), symbol_id("exb", "BTC-USD", D1)}) == 3
    # pinned: ids are stored in every event table, so the hash must never change.
    # Definition: blake2b-64 of "exchange\x1fsymbol\x1fvalid_from", big-endian signed.
    assert symbol_id("exa", "BTC-USD", D1) == -3048351933656514937


def test_apply_creates_open_windows_and_reapplying_is_a_no_op(lake):
    store = DimSymbolStore(lake)
    first = store.apply(snapshot("2024-01-01", {"AAA": "0.01", "BBB": "0.5"}))
    assert (first.windows_opened, first.rows_total, first.version) == (2, 2, 0)
    rows = store.frame()
    assert rows.schema == DIM_SYMBOL.polars_schema()
    assert rows["valid_until_ts_us"].to_list() == [OPEN_END_US] * 2
    assert rows["is_current"].all()
    assert rows["tick_size"].to_list() == [Decimal("0.01"), Decimal("0.5")]
    assert rows["lot_size"].to_list() == [Decimal("0.001")] * 2
    assert rows["symbol_id"].to_list() == [
        symbol_id("exa", "AAA", D1),
        symbol_id("exa", "BBB", D1),
    ]
    again = store.apply(snapshot("2024-01-01", {"AAA": "0.01", "BBB": "0.5"}))
    assert again.version is None
    assert (again.windows_opened, again.windows_unchanged) == (0, 2)
    assert DeltaTable(str(store.path)).version() == 0
    assert store.frame().equals(rows)
    # a later snapshot that restates the same values changes nothing either
    assert store.apply(snapshot("2024-01-05", {"AAA": "0.01", "BBB": "0.50"})).version is None


def test_changed_tick_size_closes_old_window_and_opens_new(lake):
    store = DimSymbolStore(lake)
    store.apply(snapshot("2024-01-01", {"AAA": "0.01", "BBB": "0.5"}))
    report = store.apply(snapshot("2024-01-05", {"AAA": "0.01", "BBB": "0.25"}))
    assert (report.windows_closed, report.windows_opened, report.windows_unchanged) == (1, 1, 1)
    assert report.version == 1
    assert windows(store, "BBB") == [
        (D1, D5, False, Decimal("0.5")),
        (D5, OPEN_END_US, True, Decimal("0.25")),
    ]
    assert windows(store, "AAA") == [(D1, OPEN_END_US, True, Decimal("0.01"))]
    # re-applying either snapshot, in any order, is a no-op
    for day, tick in (("2024-01-05", "0.25"), ("2024-01-01", "0.5"), ("2024-01-05", "0.25")):
        assert store.apply(snapshot(day, {"AAA": "0.01", "BBB": tick})).version is None
    assert DeltaTable(str(store.path)).version() == 1


def test_windows_at_boundary_timestamps_resolve_to_the_right_id(lake):
    store = DimSymbolStore(lake)
    store.apply(snapshot("2024-01-01", {"BBB": "0.5"}))
    store.apply(snapshot("2024-01-05", {"BBB": "0.25"}))
    dim = store.frame()
    old, new = symbol_id("exa", "BBB", D1), symbol_id("exa", "BBB", D5)
    events = pl.DataFrame(
        {
            "exchange": ["exa", "exa", "exa", "exa", "exa", "exb", "exa", "exa"],
            "symbol": ["BBB", "BBB", "BBB", "BBB", "BBB", "BBB", "ZZZ", "BBB"],
            "ts_event_us": [D5, D1 - 1, D1, D5 - 1, D9, D5, D5, None],
        }
    )
    ids = resolve_symbol_ids(events, dim)
    assert ids.name == "symbol_id" and ids.dtype == pl.Int64
    # start inclusive, end exclusive; unknown exchange/symbol, pre-listing, null ts -> null
    assert ids.to_list() == [new, None, old, old, new, None, None, None]


def test_explicit_valid_until_delists_and_late_snapshot_stays_inside_its_window(lake):
    store = DimSymbolStore(lake)
    history = pl.DataFrame(
        {
            "exchange": ["exa", "exa"],
            "exchange_symbol": ["OLD", "OLD"],
            "valid_from": [str(D1), str(D9)],
            "valid_until": [str(D5), None],
            "tick_size": ["1", "2"],
        }
    )
    report = store.apply(history)
    assert report.windows_opened == 2
    assert windows(store, "OLD") == [
        (D1, D5, False, Decimal(1)),
        (D9, OPEN_END_US, True, Decimal(2)),
    ]
    # a snapshot taken while listed describes only up to the known delisting
    mid = pl.DataFrame(
        {
            "exchange": ["exa"],
            "exchange_symbol": ["OLD"],
            "valid_from": ["2024-01-03"],
            "tick_size": ["1"],
        }
    )
    assert store.apply(mid).version is None
    ids = resolve_symbol_ids(
        pl.DataFrame({"exchange": "exa", "symbol": "OLD", "ts_event_us": [D5 - 1, D5, D9]}),
        store.frame(),
    )
    assert ids.to_list() == [symbol_id("exa", "OLD", D1), None, symbol_id("exa", "OLD", D9)]
    # delisting the current window: an explicit end
    delist = history.with_columns(valid_until=pl.Series([str(D5), "2024-01-10"]))
    report = store.apply(delist)
    assert report.windows_closed == 1 and report.windows_opened == 0
    assert store.frame().filter(pl.col("is_current")).height == 0


def test_backfill_with_equal_attributes_moves_the_window_start(lake):
    # Windows are the runs of equal attributes the facts imply: an earlier listing with the
    # same attributes extends the window back, so its id (a hash of its start) changes and
    # rows stamped with the old id must be restamped (pointline_core.symbols does that).
    store = DimSymbolStore(lake)
    store.apply(snapshot("2024-01-05", {"AAA": "0.01"}))
    report = store.apply(snapshot("2024-01-01", {"AAA": "0.01"}))
    assert (report.windows_opened, report.windows_removed) == (1, 1)
    assert windows(store, "AAA") == [(D1, OPEN_END_US, True, Decimal("0.01"))]
    # the same two imports in the other order give the same dimension
    other = DimSymbolStore(Lake(lake.root.parent / "other"))
    other.apply(snapshot("2024-01-01", {"AAA": "0.01"}))
    assert other.apply(snapshot("2024-01-05", {"AAA": "0.01"})).version is None
    assert other.frame().equals(store.frame())


def test_other_exchanges_and_symbols_are_untouched(lake):
    store = DimSymbolStore(lake)
    store.apply(snapshot("2024-01-01", {"AAA": "1"}, exchange="exb"))
    store.apply(snapshot("2024-01-01", {"AAA": "1", "BBB": "1"}))
    store.apply(snapshot("2024-01-05", {"BBB": "2"}))
    frame = store.frame()
    assert frame.filter(pl.col("exchange") == "exb").height == 1
    assert windows(store, "AAA") == [(D1, OPEN_END_US, True, Decimal(1))] * 2  # exa and exb
    assert store.frame(["exb"]).height == 1


def test_import_generic_csv_with_mixed_time_formats(lake, tmp_path):
    path = tmp_path / "symbols.csv"
    path.write_text(
        "exchange,exchange_symbol,valid_from,valid_until,asset_class,tick_size,lot_size,note\n"
        "exa,000001,2024-01-01,,equity,0.01,100,x\n"
        "exa,600000,2024-01-01T08:00:00+08:00,2024-01-05 00:00:00,equity,0.01,100,y\n"
        f"exa,BTC,{D1},,,1e-2,0.00000001,z\n"
    )
    report = DimSymbolStore(lake).import_file(path)
    assert report.source == str(path) and report.windows_opened == 3
    assert report.ignored_columns == ("note",)
    rows = DimSymbolStore(lake).frame()
    assert rows["exchange_symbol"].to_list() == ["000001", "600000", "BTC"]  # zeros kept
    assert rows["valid_from_ts_us"].to_list() == [D1, D1, D1]
    assert rows["valid_until_ts_us"].to_list() == [OPEN_END_US, D5, OPEN_END_US]
    assert rows["tick_size"].to_list() == [Decimal("0.01")] * 3
    assert rows["lot_size"].to_list() == [Decimal(100), Decimal(100), Decimal("1E-8")]
    assert DimSymbolStore(lake).import_file(path).version is None


def test_import_parquet_with_typed_columns(lake, tmp_path):
    path = tmp_path / "symbols.parquet"
    pl.DataFrame(
        {
            "exchange": ["exa", "exa"],
            "exchange_symbol": ["A", "B"],
            "valid_from": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1)],
            "valid_until": [dt.date(2024, 1, 5), None],
            "tick_size": [0.1, 0.25],
            "contract_size": [1, 10],
        }
    ).write_parquet(path)
    report = DimSymbolStore(lake).import_file(path)
    assert report.windows_opened == 2
    rows = DimSymbolStore(lake).frame()
    assert rows["valid_until_ts_us"].to_list() == [D5, OPEN_END_US]
    assert rows["tick_size"].to_list() == [Decimal("0.1"), Decimal("0.25")]
    assert rows["contract_size"].to_list() == [Decimal(1), Decimal(10)]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"exchange": ["a"], "valid_from": ["2024-01-01"]}), "missing required"),
        (
            pl.DataFrame({"exchange": ["a"], "exchange_symbol": ["s"], "valid_from": ["01/02"]}),
            r"cannot read valid_from \['01/02'\]",
        ),
        (
            pl.DataFrame(
                {
                    "exchange": ["a"],
                    "exchange_symbol": ["s"],
                    "valid_from": ["2024-01-01"],
                    "tick_size": ["abc"],
                }
            ),
            r"tick_size values \['abc'\]",
        ),
        (
            pl.DataFrame(
                {
                    "exchange": ["a"],
                    "exchange_symbol": ["s"],
                    "valid_from": ["2024-01-02"],
                    "valid_until": ["2024-01-01"],
                }
            ),
            "valid_until must be after valid_from",
        ),
        (
            pl.DataFrame(
                {
                    "exchange": ["a", "a"],
                    "exchange_symbol": ["s", "s"],
                    "valid_from": ["2024-01-01"] * 2,
                    "tick_size": ["1", "2"],
                }
            ),
            "several different rows",
        ),
        (
            pl.DataFrame(
                {
                    "exchange": ["a", "a"],
                    "exchange_symbol": ["s", "s"],
                    "valid_from": ["2024-01-01", "2024-01-02"],
                    "valid_until": ["2024-01-03", None],
                }
            ),
            "overlap",
        ),
        (
            pl.DataFrame({"exchange": [None], "exchange_symbol": ["s"], "valid_from": [1]}),
            "lack exchange",
        ),
    ],
)
def test_invalid_symbol_rows_are_rejected_with_the_reason(lake, frame, message):
    with pytest.raises(SymbolDataError, match=message):
        DimSymbolStore(lake).apply(frame)
    assert not DimSymbolStore(lake).path.exists()


def test_unknown_file_format_is_rejected(lake, tmp_path):
    path = tmp_path / "symbols.xlsx"
    path.write_text("x")
    with pytest.raises(SymbolDataError, match="unknown format"):
        DimSymbolStore(lake).import_file(path)


def test_resolution_is_vectorised_and_keeps_row_order(lake):
    store = DimSymbolStore(lake)
    n_sym = 2_000
    ticks = {f"S{i:05d}": "0.01" for i in range(n_sym)}
    store.apply(snapshot("2024-01-01", ticks))
    store.apply(snapshot("2024-01-05", {k: "0.02" for k in list(ticks)[::2]}))
    dim = store.frame()
    n = 200_000
    events = pl.DataFrame(
        {
            "exchange": ["exa"] * n,
            "symbol": [f"S{(i * 7919) % n_sym:05d}" for i in range(n)],
            "ts_event_us": [D1 + ((i * 104729) % (8 * 86_400_000_000)) for i in range(n)],
        }
    )
    ids = resolve_symbol_ids(events, dim)
    assert ids.null_count() == 0
    # recompute the expectation with a plain join + filter (no as-of), row by row order
    expected = (
        events.with_row_index("r")
        .join(dim, left_on=["exchange", "symbol"], right_on=["exchange", "exchange_symbol"])
        .filter(
            (pl.col("ts_event_us") >= pl.col("valid_from_ts_us"))
            & (pl.col("ts_event_us") < pl.col("valid_until_ts_us"))
        )
        .sort("r")["symbol_id"]
    )
    assert ids.to_list() == expected.to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", D5),
        ("2024-01-05T00:00", D5),
        ("2024-01-05 00:00:00", D5),
        ("2024-01-05T00:00:00.000001", D5 + 1),
        ("2024-01-05T08:00:00+08:00", D5),
        ("2024-01-05T08:00+08:00", D5),
        ("2024-01-05T08:00:00.5+0800", D5 + 500_000),
        ("2024-01-04T19:00:00-05:00", D5),
        ("2024-01-05T00:00:00Z", D5),
        (str(D5), D5),
        (f" {D5 - 1} ", D5 - 1),
    ],
)
def test_symbol_file_times_iso_or_microseconds(text, expected):
    from pointline_core.storage.dim_symbol import normalize_symbol_rows

    rows = pl.DataFrame({"exchange": ["e"], "exchange_symbol": ["s"], "valid_from": [text]})
    assert normalize_symbol_rows(rows)["valid_from_ts_us"].to_list() == [expected]


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        ([D1, D1 + 5, D5 - 1], ["old", "old", "old"]),  # one window: the single-id fast path
        ([D5, D9], ["new", "new"]),
        ([D5 - 1, D5], ["old", "new"]),  # spans the boundary: the general join
        ([D1 - 1, D1], [None, "old"]),  # partly before listing
        ([D1, None], ["old", None]),  # a null timestamp
    ],
)
def test_single_symbol_batches_resolve_like_the_general_join(lake, stamps, expected):
    store = DimSymbolStore(lake)
    store.apply(snapshot("2024-01-01", {"BBB": "0.5"}))
    store.apply(snapshot("2024-01-05", {"BBB": "0.25"}))
    ids = {"old": symbol_id("exa", "BBB", D1), "new": symbol_id("exa", "BBB", D5), None: None}
    events = pl.DataFrame(
        {"exchange": "exa", "symbol": "BBB", "ts_event_us": stamps},
        schema={"exchange": pl.String, "symbol": pl.String, "ts_event_us": pl.Int64},
    )
    assert resolve_symbol_ids(events, store.frame()).to_list() == [ids[e] for e in expected]
