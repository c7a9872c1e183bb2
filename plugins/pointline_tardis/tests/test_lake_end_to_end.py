"""End to end through the core's ingestion engine into a temporary Delta lake (no mocks).

* the synthetic sample day and every real file ingest; for each real file the lake holds the
  same row count, min/max timestamps and exact sums of decoded prices and amounts as polars
  computes from the CSV directly; nothing is quarantined;
* bad values are quarantined with reasons naming the column; bad headers fail the file with
  a reason naming the column; a symbol without a dim_symbol window is quarantined with
  ``symbol_not_covered``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
from pointline_tardis.canonical import MAPPINGS
from pointline_tardis.formats import SNAPSHOT_DEPTH, TABLE_MAPPING
from pointline_tardis.sample import instruments, write_sample
from tardis_testkit import assert_round_trip, write_csv

from pointline_core import ingest as run_ingest
from pointline_core.cli.symbols_cmd import import_symbols
from pointline_core.storage.lake import Lake


def ingest(bronze: Path, lake: Path):
    return run_ingest(bronze, lake, vendors=["tardis"], progress=False)


def silver(lake: Path, table: str, zone: str = "silver") -> pl.DataFrame:
    path = Lake(lake).table_path(table, zone)
    return pl.read_delta(str(path)) if path.exists() else pl.DataFrame()


def _instruments_file(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _results(report) -> dict[str, object]:
    return {f.rel_path: f for f in report.files}


def test_sample_day_ingests_completely(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    symbols = import_symbols(bronze / "tardis_instruments.json", lake, vendor="tardis")
    assert symbols.windows_opened == 9  # 8 instruments, BTCUSDT with one change

    report = ingest(bronze, lake)
    assert report.ok and not report.unrecognised and not report.vendor_errors
    files = _results(report)
    assert len(files) == 13
    assert {f.status for f in files.values()} == {"success"}
    assert all(f.rows_quarantined == 0 for f in files.values())
    empty = files["tardis/bitmex_liquidations_2024-03-01_XBTUSD.csv.gz"]
    assert (empty.rows_total, empty.rows_written) == (0, 0)

    expected: dict[str, int] = {}
    for f in files.values():
        expected[f.table] = expected.get(f.table, 0) + f.rows_total
    assert set(expected) == set(TABLE_MAPPING.values())
    for table, rows in expected.items():
        frame = silver(lake, table)
        assert frame.height == rows, table
        assert frame["symbol_id"].null_count() == 0
        assert frame["trading_date"].unique().to_list() == [dt.date(2024, 3, 1)]
    options = silver(lake, "options_chain")
    assert options["symbol"].n_unique() == 4  # grouped OPTIONS file: real symbols per row

    # Round trip: every value read back from the lake equals its CSV cell, for each file of
    # each of the nine data types (the CSV read by polars, independently of the plugin).
    round_tripped: set[str] = set()
    for rel, result in files.items():
        if not result.rows_total:
            continue
        data_type = result.data_type
        text = gzip.decompress((bronze / rel).read_bytes())
        raw = pl.read_csv(text, infer_schema=False)
        rows = silver(lake, result.table).filter(pl.col("file_id") == result.file_id)
        rows = rows.sort("file_seq")
        assert rows["file_seq"].to_list() == list(range(raw.height)), rel
        assert rows["exchange"].to_list() == raw["exchange"].to_list()
        assert rows["symbol"].to_list() == raw["symbol"].to_list()
        assert_round_trip(data_type, raw, rows)
        round_tripped.add(data_type)
    assert round_tripped == set(TABLE_MAPPING)

    again = ingest(bronze, lake)  # rerun: everything already ingested
    assert {f.status for f in again.files} == {"skipped"}


# --- real files ------------------------------------------------------------------------------

#: real file -> (data type, exchange, date, symbol) for a client-style Bronze name.
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
REAL_SYMBOLS = [
    ("binance-futures", "BTCUSDT"),
    ("bitmex", "XBTUSD"),
    ("deribit", "BTC-PERPETUAL"),
    ("huobi-dm-swap", "BTC-USD"),
]


def _price_qty_columns(data_type: str, header: list[str]):
    if data_type in SNAPSHOT_DEPTH:

        def pick(side: str, field: str) -> list[str]:
            return [c for c in header if c.startswith(f"{side}[") and c.endswith(f".{field}")]

        return [
            ("ask_prices", pick("asks", "price"), 9),
            ("bid_prices", pick("bids", "price"), 9),
            ("ask_qtys", pick("asks", "amount"), 8),
            ("bid_qtys", pick("bids", "amount"), 8),
        ]
    return [
        (c.target, [c.source], 9 if c.kind == "price" else 8)
        for c in MAPPINGS[data_type]
        if c.kind in ("price", "qty")
    ]


def test_every_real_file_lands_in_the_lake_unchanged(tmp_path, real_dir):
    assert sorted(p.name for p in real_dir.iterdir()) == sorted(REAL)
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    names: dict[str, str] = {}
    for name, (data_type, exchange, day, symbol) in REAL.items():
        rel = f"tardis/{exchange}_{data_type}_{day}_{symbol}.csv"
        (bronze / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_dir / name, bronze / rel)  # a temp Bronze root, never the repo
        names[rel] = name
    records = [
        {
            "id": s,
            "exchange": e,
            "type": "perpetual",
            "availableSince": "2019-01-01T00:00:00Z",
            "priceIncrement": 0.01,
            "amountIncrement": 0.001,
        }
        for e, s in REAL_SYMBOLS
    ]
    import_symbols(_instruments_file(tmp_path / "i.json", records), lake, vendor="tardis")

    report = ingest(bronze, lake)
    files = _results(report)
    assert sorted(files) == sorted(names)
    for rel, result in files.items():
        assert result.status == "success", (rel, result.reason)
        assert result.rows_quarantined == 0, result.quarantine_reasons

    for rel, result in files.items():
        data_type = REAL[names[rel]][0]
        raw = pl.read_csv(real_dir / names[rel], infer_schema=False)
        lake_rows = silver(lake, result.table).filter(pl.col("file_id") == result.file_id)
        assert lake_rows.height == raw.height == result.rows_written
        assert sorted(lake_rows["file_seq"].to_list()) == list(range(raw.height))
        if data_type == "incremental_book_L2":  # the real file is one snapshot block
            ordered = lake_rows.sort("file_seq")
            assert ordered["book_reset"].to_list() == [True] + [False] * (raw.height - 1)
            assert not ordered["before_first_snapshot"].any()
        ts = raw.select(pl.col("timestamp", "local_timestamp").cast(pl.Int64))
        assert lake_rows["ts_event_us"].min() == ts["timestamp"].min()
        assert lake_rows["ts_event_us"].max() == ts["timestamp"].max()
        assert lake_rows["ts_local_us"].min() == ts["local_timestamp"].min()
        assert lake_rows["ts_local_us"].max() == ts["local_timestamp"].max()
        for target, sources, scale in _price_qty_columns(data_type, raw.columns):
            expected = raw.select(
                pl.sum_horizontal(pl.col(c).cast(pl.Decimal(38, scale)).sum() for c in sources)
            ).item()
            values = lake_rows[target]
            if isinstance(values.dtype, pl.List):
                values = values.explode()
            assert values.sum() == Decimal(expected or 0), (rel, target)  # exact, no decode


# --- rejects and failures ----------------------------------------------------------------------

TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
ROW = "binance-futures,BTCUSDT,1709251200003000,1709251200005129"


def _sample_symbols(lake: Path, tmp_path: Path, drop: str | None = None) -> None:
    records = [r for r in instruments() if r["id"] != drop]
    import_symbols(_instruments_file(tmp_path / "i.json", records), lake, vendor="tardis")


def test_bad_values_quarantined_and_bad_headers_fail_naming_the_column(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    d = "2024-03-01"
    write_csv(
        bronze / f"tardis/binance-futures_trades_{d}_BTCUSDT.csv.gz",
        TRADES
        + f"{ROW},1,buy,61000.5,0.1\n"
        + f"{ROW},2,buy,sixty,0.1\n"
        + f"{ROW},3,buy,61000,-0.1\n"
        + f"{ROW},4,long,61000,0.1\n"
        + f"{ROW},5,sell,0,0.1\n",
    )
    write_csv(
        bronze / f"tardis/binance-futures_liquidations_{d}_PERPETUALS.csv.gz",
        TRADES.replace("amount", "amount,fee") + f"{ROW},1,buy,1,1,0\n",
    )
    write_csv(
        bronze / f"tardis/binance-futures_quotes_{d}_BTCUSDT.csv.gz",
        TRADES.replace(",id,side,price,amount", ",ask_amount,ask_price,bid_price")
        + f"{ROW},1,2,1\n",
    )
    write_csv(bronze / "tardis/notes.txt", "not data\n")
    _sample_symbols(lake, tmp_path)

    report = ingest(bronze, lake)
    files = _results(report)
    trades = files[f"tardis/binance-futures_trades_{d}_BTCUSDT.csv.gz"]
    assert trades.status in ("success", "quarantined")
    assert (trades.rows_written, trades.rows_quarantined) == (1, 4)
    assert dict(trades.quarantine_reasons) == {
        "not_a_number:price": 1,
        "negative:amount": 1,
        "invalid_value:side": 1,
        "not_positive:price": 1,  # the core's spec rule
    }
    quarantine = silver(lake, "trades", "quarantine").sort("file_seq")
    assert quarantine["reason"].to_list() == [
        "not_a_number:price",
        "negative:amount",
        "invalid_value:side",
        "not_positive:price",
    ]
    assert quarantine["file_seq"].to_list() == [1, 2, 3, 4]

    unknown = files[f"tardis/binance-futures_liquidations_{d}_PERPETUALS.csv.gz"]
    assert unknown.status == "failed" and "unknown column 'fee'" in unknown.reason
    missing = files[f"tardis/binance-futures_quotes_{d}_BTCUSDT.csv.gz"]
    assert missing.status == "failed" and "missing column 'bid_amount'" in missing.reason
    assert [u.rel_path for u in report.unrecognised] == ["tardis/notes.txt"]
    assert not Lake(lake).table_path("liquidations", "silver").exists()


def test_symbol_without_window_is_quarantined_as_not_covered(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    _sample_symbols(lake, tmp_path, drop="XBTUSD")
    report = ingest(bronze, lake)
    files = _results(report)
    for rel in (
        "tardis/bitmex_trades_2024-03-01_XBTUSD.csv.gz",
        "tardis/bitmex_quotes_2024-03-01_XBTUSD.csv.gz",
    ):
        result = files[rel]
        assert result.rows_written == 0 and result.rows_quarantined == result.rows_total == 100
        assert dict(result.quarantine_reasons) == {"symbol_not_covered": 100}
    others = [f for rel, f in files.items() if "bitmex" not in rel]
    assert all(f.status == "success" and f.rows_quarantined == 0 for f in others)
    quarantine = silver(lake, "trades", "quarantine")
    assert quarantine["reason"].unique().to_list() == ["symbol_not_covered"]
    assert quarantine["symbol"].unique().to_list() == ["XBTUSD"]
