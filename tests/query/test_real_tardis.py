"""Decoded values equal the Bronze CSV values, for every column of the real Tardis samples.

The real files (../shared/data/real/nautilus_trader, never copied into the repository) are
ingested by the tardis plugin through the core engine into a temporary lake, then read back
with ``query.load`` by exchange, symbol and the file's own time range. Every CSV column is
compared row by row (aligned on file_seq, the Bronze line number) against the column it maps
to, with the mapping written out here rather than taken from the plugin:

* prices and amounts: ``decoded=True`` equals ``float(text)`` exactly (no tolerance) and
  ``decoded="decimal"`` equals the text as a Decimal; book snapshot levels per element;
* timestamps: the integers; text columns (exchange, symbol, id, side, ...): the text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pointline_core import ingest as run_ingest
from pointline_core import query
from pointline_core.plugins import load_plugins
from pointline_core.query.specs import table_spec
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake
from tests.conftest import SHARED_REAL, require_real_data

REAL_DIR = SHARED_REAL / "nautilus_trader"

#: real file -> (tardis data type, exchange, date in the Bronze name, symbol)
REAL = {
    "binance-futures_book_snapshot_25_BTCUSDT.csv": (
        "book_snapshot_25",
        "binance-futures",
        "2020-09-01",
        "BTCUSDT",
    ),
    "binance-futures_book_snapshot_5_BTCUSDT.csv": (
        "book_snapshot_5",
        "binance-futures",
        "2020-09-01",
        "BTCUSDT",
    ),
    "bitmex_trades_XBTUSD.csv": ("trades", "bitmex", "2020-03-01", "XBTUSD"),
    "deribit_incremental_book_L2_BTC-PERPETUAL.csv": (
        "incremental_book_L2",
        "deribit",
        "2020-04-01",
        "BTC-PERPETUAL",
    ),
    "huobi-dm-swap_quotes_BTC-USD.csv": ("quotes", "huobi-dm-swap", "2020-05-01", "BTC-USD"),
    "quotes.csv": ("quotes", "binance-futures", "2020-02-22", "BTCUSDT"),
    "trades.csv": ("trades", "binance-futures", "2020-02-22", "BTCUSDT"),
}
TABLE = {
    "trades": "trades",
    "quotes": "quotes",
    "incremental_book_L2": "orderbook_updates",
    "book_snapshot_25": "book_snapshots",
    "book_snapshot_5": "book_snapshots",
}
COMMON = {
    "exchange": ("exchange", "text"),
    "symbol": ("symbol", "text"),
    "timestamp": ("ts_event_us", "int"),
    "local_timestamp": ("ts_local_us", "int"),
}
#: Bronze column -> (canonical column, kind); "fixed" = decoded by the spec's scale
COLUMNS = {
    "trades": {
        "id": ("trade_id", "text"),
        "side": ("side", "text"),
        "price": ("price", "fixed"),
        "amount": ("qty", "fixed"),
    },
    "quotes": {
        "ask_amount": ("ask_qty", "fixed"),
        "ask_price": ("ask_price", "fixed"),
        "bid_price": ("bid_price", "fixed"),
        "bid_amount": ("bid_qty", "fixed"),
    },
    "incremental_book_L2": {
        "is_snapshot": ("is_snapshot", "bool"),
        "side": ("side", "text"),
        "price": ("price", "fixed"),
        "amount": ("qty", "fixed"),
    },
}
LEVEL = re.compile(r"^(asks|bids)\[(\d+)\]\.(price|amount)$")
LEVEL_TARGET = {("asks", "price"): "ask_prices", ("asks", "amount"): "ask_qtys"}
LEVEL_TARGET |= {("bids", "price"): "bid_prices", ("bids", "amount"): "bid_qtys"}


@pytest.fixture(scope="module")
def real_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, dict[str, object]]:
    real_dir = require_real_data(REAL_DIR)
    root = tmp_path_factory.mktemp("real")
    bronze, lake = root / "bronze", Lake(root / "lake")
    names = {}
    for name, (data_type, exchange, day, symbol) in REAL.items():
        rel = f"tardis/{exchange}_{data_type}_{day}_{symbol}.csv"
        (bronze / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_dir / name, bronze / rel)
        names[rel] = name
    pairs = sorted({(e, s) for _t, e, _d, s in REAL.values()})
    DimSymbolStore(lake).apply(
        pl.DataFrame(
            {
                "exchange": [e for e, _ in pairs],
                "exchange_symbol": [s for _, s in pairs],
                "valid_from": ["2019-01-01"] * len(pairs),
                "tick_size": ["0.01"] * len(pairs),
            }
        )
    )
    plugins = load_plugins(only=["tardis"])
    assert plugins.names() == ["tardis"], plugins.failures
    report = run_ingest(bronze, lake.root, plugins=plugins, progress=False)
    results = {names[f.rel_path]: f for f in report.files}
    assert sorted(results) == sorted(REAL)
    for name, result in results.items():
        assert result.status == "success" and result.rows_quarantined == 0, (name, result.reason)
    return lake, results


def _expected_and_loaded(
    raw: pl.DataFrame, loaded: pl.DataFrame, data_type: str, mode: str
) -> tuple[pl.DataFrame, pl.DataFrame, set[str]]:
    """(expected from the CSV text, the same from the lake, CSV columns compared)."""
    spec = table_spec(TABLE[data_type])
    mapping = {**COMMON, **COLUMNS.get(data_type, {})}
    want: dict[str, pl.Expr] = {}
    got: dict[str, pl.Expr] = {}
    for column in raw.columns:
        level = LEVEL.match(column)
        if level:
            side, index, field = level.group(1), int(level.group(2)), level.group(3)
            target = LEVEL_TARGET[(side, field)]
            source = pl.col(target).list.get(index, null_on_oob=True)
            kind = "fixed"
        elif column in mapping:
            target, kind = mapping[column]
            source = pl.col(target)
        else:
            continue
        text = pl.col(column)
        if kind == "fixed":
            scale = spec.column(target).scale
            dtype = pl.Float64 if mode == "float" else pl.Decimal(38, scale)
            want[column] = text.cast(dtype)
        elif kind == "int":
            want[column] = text.cast(pl.Int64)
        elif kind == "bool":
            want[column] = text == "true"
        else:
            want[column] = text
        got[column] = source
    return raw.select(**want), loaded.select(**got), set(want)


@pytest.mark.parametrize("mode", ["float", "decimal"])
@pytest.mark.parametrize("name", sorted(REAL))
def test_decoded_values_equal_the_bronze_text(real_lake, name, mode):
    lake, results = real_lake
    result = results[name]
    data_type, exchange, _day, symbol = REAL[name]
    raw = pl.read_csv(REAL_DIR / name, infer_schema=False)
    ts = raw["timestamp"].cast(pl.Int64)
    loaded = (
        query.load(
            lake,
            TABLE[data_type],
            exchange=exchange,
            symbol=symbol,
            start=int(ts.min()),
            end=int(ts.max()) + 1,  # half-open: the last event needs end = max + 1
            decoded=mode,
        )
        .filter(pl.col("file_id") == result.file_id)
        .collect()
    )
    spec = table_spec(TABLE[data_type])
    assert loaded.equals(loaded.sort(list(spec.tie_break)))  # replay order
    assert loaded.height == raw.height > 0
    loaded = loaded.sort("file_seq")  # Bronze line order
    assert loaded["file_seq"].to_list() == list(range(raw.height))
    expected, actual, compared = _expected_and_loaded(raw, loaded, data_type, mode)
    assert compared == set(raw.columns), "every Bronze column is compared"
    assert_frame_equal(actual, expected, check_exact=True, check_dtypes=True)


def test_the_end_bound_is_exclusive_on_real_data(real_lake):
    lake, _ = real_lake
    raw = pl.read_csv(REAL_DIR / "trades.csv", infer_schema=False)
    last = int(raw["timestamp"].cast(pl.Int64).max())
    at_last = raw.filter(pl.col("timestamp").cast(pl.Int64) == last).height
    frame = query.load(
        lake, "trades", exchange="binance-futures", symbol="BTCUSDT", end=last
    ).collect()
    assert frame.height == raw.height - at_last
    assert frame["ts_event_us"].max() < last


def test_coverage_of_the_real_lake(real_lake):
    lake, results = real_lake
    cov = query.coverage(lake)
    rows = {(r["table"], r["exchange"], r["symbol"]): r["rows"] for r in cov.iter_rows(named=True)}
    expected: dict[tuple[str, str, str], int] = {}
    for name, result in results.items():
        data_type, exchange, _day, symbol = REAL[name]
        key = (TABLE[data_type], exchange, symbol)
        expected[key] = expected.get(key, 0) + result.rows_written
    assert rows == expected
    assert cov.columns[:6] == [
        "table",
        "exchange",
        "symbol",
        "first_trading_date",
        "last_trading_date",
        "days",
    ]
    # every table's first rows load, decoded
    for table in query.tables(lake)["table"]:
        assert query.load(lake, table, decoded=True).head(5).collect().height > 0


def test_missing_real_data_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing under CI"):
        require_real_data(Path(tmp_path / "absent"))
