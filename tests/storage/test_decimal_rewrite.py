"""A lake written with Int64 fixed point (plugin API 1.x) is refused with the command that
fixes it; ``pointline migrate --rewrite-decimals`` rewrites it exactly (event, quarantine and
dim_symbol tables, list columns per element), in one commit per table, and a second run is a
no-op. The old lake is written here with plain polars/deltalake, as the old version did:
Int64 ``round(value * 10**9)`` prices, ``10**8`` quantities."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core import query
from pointline_core.cli import main
from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.tables import BOOK_SNAPSHOTS, TRADES
from pointline_core.storage.decimal_rewrite import rewrite_decimals
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake

DAYS = (dt.date(2024, 3, 1), dt.date(2024, 3, 2))
T = 1_709_251_200_000_000
PRICES = ["61000.5", "0.000000001", "9223372036.854775807", "12.3"]  # Int64 scale-9 extremes
QTYS = ["0.00000001", "92233720368.54775807", "1", "0.5"]
EVENT = {"exchange": pl.String, "trading_date": pl.Date, "symbol": pl.String}


def _int64(text: str, scale: int) -> int:
    return int(Decimal(text).scaleb(scale))


def _events(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "exchange": ["exa"] * n,
            "trading_date": [DAYS[i % 2] for i in range(n)],
            "symbol": ["SYM"] * n,
            "symbol_id": [42] * n,
            "ts_event_us": [T + i for i in range(n)],
            "ts_local_us": [T + i + 5 for i in range(n)],
            "file_id": [1] * n,
            "file_seq": list(range(n)),
        },
        schema_overrides=EVENT,
    )


def _write(path, frame: pl.DataFrame, partitioned: bool = True) -> None:
    options = {"partition_by": ["exchange", "trading_date"]} if partitioned else {}
    frame.write_delta(str(path), mode="append", delta_write_options=options)


@pytest.fixture
def old_lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    trades = _events(4).with_columns(
        trade_id=pl.Series(["a", "b", "c", "d"]),
        side=pl.lit("buy"),
        price=pl.Series([_int64(p, 9) for p in PRICES], dtype=pl.Int64),
        qty=pl.Series([_int64(q, 8) for q in QTYS], dtype=pl.Int64),
    )
    _write(lake.table_path("trades", "silver"), trades.head(2))
    _write(lake.table_path("trades", "silver"), trades.tail(2))  # a second commit
    quarantined = trades.head(1).with_columns(
        qty=pl.lit(None, pl.Int64), reason=pl.lit("overflow:amount"), detail=pl.lit(None, pl.String)
    )
    _write(lake.table_path("trades", "quarantine"), quarantined)
    books = _events(2).with_columns(
        depth=pl.lit(2, pl.Int16),
        bid_prices=pl.Series([[_int64("100.25", 9), None], [1, 2]], dtype=pl.List(pl.Int64)),
        bid_qtys=pl.Series([[_int64("3", 8), None], [1, 2]], dtype=pl.List(pl.Int64)),
        ask_prices=pl.Series([[], [_int64("100.5", 9)]], dtype=pl.List(pl.Int64)),
        ask_qtys=pl.Series([[], [_int64("0.1", 8)]], dtype=pl.List(pl.Int64)),
    )
    _write(lake.table_path("book_snapshots", "silver"), books)
    dim = pl.DataFrame(
        {
            "symbol_id": [42],
            "exchange": ["exa"],
            "exchange_symbol": ["SYM"],
            "valid_from_ts_us": [T - 10**12],
            "valid_until_ts_us": [2**63 - 1],
            "is_current": [True],
            "asset_class": ["spot"],
            "base_asset": ["S"],
            "quote_asset": ["USD"],
            "tick_size": [_int64("0.000000001", 9)],
            "lot_size": [_int64("0.00000001", 8)],
            "contract_size": pl.Series([None], dtype=pl.Int64),
        }
    )
    _write(lake.table_path("dim_symbol", "silver"), dim, partitioned=False)
    return lake


def test_an_int64_lake_is_refused_with_the_rewrite_command(old_lake, capsys, monkeypatch):
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    code = main(["read", str(old_lake.root), "trades"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("pointline: error: Delta table")
    assert " stores ['price', 'qty']" in err
    assert " as Int64 fixed point (written before plugin API 2.0); spec 'trades'" in err
    assert (
        " stores exact decimals. Rewrite the lake once: `pointline migrate --rewrite-decimals "
        "LAKE` (exact, idempotent)."
    ) in err
    with pytest.raises(SchemaMismatchError, match="--rewrite-decimals") as info:
        query.load(old_lake, "trades").collect()
    assert "['price', 'qty']" in str(info.value)
    with pytest.raises(SchemaMismatchError, match="pointline migrate --rewrite-decimals LAKE"):
        EventStore(old_lake, TRADES).append([], [])


def test_rewrite_gives_identical_values_and_a_second_run_is_a_noop(old_lake, capsys, monkeypatch):
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    trades_path = str(old_lake.table_path("trades", "silver"))
    before = DeltaTable(trades_path).version()
    assert main(["migrate", str(old_lake.root), "--rewrite-decimals", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["rewritten"]) == [
        "quarantine/trades",
        "silver/book_snapshots",
        "silver/dim_symbol",
        "silver/trades",
    ]
    assert DeltaTable(trades_path).version() == before + 1  # one commit per table

    trades = query.load(old_lake, "trades", decoded="decimal").collect().sort("file_seq")
    assert trades.schema["price"] == pl.Decimal(38, 18)
    assert trades["price"].to_list() == [Decimal(p) for p in PRICES]
    assert trades["qty"].to_list() == [Decimal(q) for q in QTYS]
    assert trades["trade_id"].to_list() == ["a", "b", "c", "d"]
    assert sorted(trades["trading_date"].unique().to_list()) == list(DAYS)
    floats = query.load(old_lake, "trades", decoded=True).collect().sort("file_seq")
    assert floats["price"].to_list() == [float(p) for p in PRICES]  # the old decode's floats

    books = EventStore(old_lake, BOOK_SNAPSHOTS).frame().sort("file_seq")
    assert books["bid_prices"].to_list() == [
        [Decimal("100.25"), None],
        [Decimal("1E-9"), Decimal("2E-9")],
    ]
    assert books["bid_qtys"].to_list()[0] == [Decimal(3), None]
    assert books["ask_prices"].to_list() == [[], [Decimal("100.5")]]
    assert books["ask_qtys"].to_list() == [[], [Decimal("0.1")]]
    quarantine = pl.read_delta(str(old_lake.table_path("trades", "quarantine")))
    assert quarantine["price"].to_list() == [Decimal("61000.5")]
    assert quarantine["qty"].to_list() == [None]
    assert quarantine["reason"].to_list() == ["overflow:amount"]
    dim = DimSymbolStore(old_lake).frame()
    assert dim["tick_size"].to_list() == [Decimal("1E-9")]
    assert dim["lot_size"].to_list() == [Decimal("1E-8")]
    assert dim["contract_size"].to_list() == [None]

    versions = {
        p: DeltaTable(str(old_lake.table_path(*p))).version()
        for p in [("trades", "silver"), ("trades", "quarantine"), ("dim_symbol", "silver")]
    }
    again = rewrite_decimals(old_lake.root, progress=False)
    assert again.rewritten == ()
    assert sorted(again.unchanged) == sorted(report["rewritten"])
    assert {p: DeltaTable(str(old_lake.table_path(*p))).version() for p in versions} == versions
