"""Issue 17 points 2, 5 and 6 end to end through the core engine into a temporary Delta lake.

* a Deribit combo (instrument ``type`` combo) trades at a negative price: it lands; the same
  price on a perpetual is quarantined ``not_positive:price``;
* Tardis cuts daily files by ``local_timestamp`` while ``trading_date`` follows the event
  time: the next day's file starts with a trade stamped 23:59:59.413 the day before, which
  lands on the previous trading_date (the point-in-time choice) and coverage still reports
  two days, no gap, no duplicate;
* ``unknown`` liquidation and trade sides land as ``unknown``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
from tardis_testkit import write_csv

from pointline_core import ingest as run_ingest
from pointline_core import query
from pointline_core.cli.symbols_cmd import import_symbols
from pointline_core.storage.lake import Lake

TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
D1 = 1709251200000000  # 2024-03-01T00:00:00Z
D2 = D1 + 86_400_000_000


def _instruments(tmp_path: Path, lake: Path, records: list[tuple[str, str, str]]) -> None:
    path = tmp_path / "instruments.json"
    path.write_text(
        json.dumps(
            [
                {"id": s, "exchange": e, "type": t, "availableSince": "2019-01-01T00:00:00Z"}
                for e, s, t in records
            ]
        ),
        encoding="utf-8",
    )
    import_symbols(path, lake, vendor="tardis")


def _table(lake: Path, table: str, zone: str = "silver") -> pl.DataFrame:
    return pl.read_delta(str(Lake(lake).table_path(table, zone)))


def _ingest(bronze: Path, lake: Path):
    return run_ingest(bronze, lake, vendors=["tardis"], progress=False)


def test_negative_combo_price_lands_and_a_perpetual_one_is_quarantined(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _instruments(
        tmp_path,
        lake,
        [("deribit", "BTC-FS-29MAR24_PERP", "combo"), ("deribit", "BTC-PERPETUAL", "perpetual")],
    )
    combo, perp = "deribit,BTC-FS-29MAR24_PERP", "deribit,BTC-PERPETUAL"
    rows = [
        f"{combo},{D1 + 1_032_000},{D1 + 1_035_891},301455120,sell,-12.5,10",
        f"{combo},{D1 + 2_032_000},{D1 + 2_035_891},301455121,buy,0,10",
        f"{perp},{D1 + 3_032_000},{D1 + 3_035_891},301455122,buy,-12.5,10",
        f"{perp},{D1 + 4_032_000},{D1 + 4_035_891},301455123,buy,61175.5,10",
    ]
    text = "\n".join([TRADES, *rows])
    write_csv(bronze / "tardis/deribit_trades_2024-03-01_FUTURES.csv.gz", text + "\n")
    (result,) = _ingest(bronze, lake).files
    assert (result.rows_total, result.rows_written, result.rows_quarantined) == (4, 3, 1)
    good = _table(lake, "trades").sort("file_seq")
    assert good.select("symbol", "price").rows() == [
        ("BTC-FS-29MAR24_PERP", Decimal("-12.5")),
        ("BTC-FS-29MAR24_PERP", 0),
        ("BTC-PERPETUAL", Decimal("61175.5")),
    ]
    decoded = query.load(lake, "trades", symbol="BTC-FS-29MAR24_PERP", decoded="decimal")
    assert [str(p) for p in decoded.collect()["price"]] == ["-12.500000000000000000", "0E-18"]
    bad = _table(lake, "trades", "quarantine")
    assert bad.select("symbol", "file_seq", "reason").rows() == [
        ("BTC-PERPETUAL", 2, "not_positive:price")
    ]


def test_previous_day_row_in_next_day_file_is_the_previous_trading_date(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _instruments(tmp_path, lake, [("binance-futures", "BTCUSDT", "perpetual")])
    day1 = [
        f"binance-futures,BTCUSDT,{D1 + 184_000},{D1 + 187_452},4705561234,buy,61168.1,0.012",
        f"binance-futures,BTCUSDT,{D2 - 900_000},{D2 - 897_000},4705561235,sell,61170,0.5",
    ]
    day2 = [
        # sent 23:59:59.413 on 03-01, received 00:00:00.002 on 03-02: in the 03-02 file
        f"binance-futures,BTCUSDT,{D2 - 587_000},{D2 + 2_000},4705561236,buy,61171,0.25",
        f"binance-futures,BTCUSDT,{D2 + 184_000},{D2 + 187_452},4705561237,buy,61172,0.1",
        f"binance-futures,BTCUSDT,{D2 + 284_000},{D2 + 287_452},4705561238,unknown,61172,0.1",
    ]
    for day, rows in (("2024-03-01", day1), ("2024-03-02", day2)):
        name = f"tardis/binance-futures_trades_{day}_BTCUSDT.csv.gz"
        write_csv(bronze / name, "\n".join([TRADES, *rows]) + "\n")
    report = _ingest(bronze, lake)
    files = {f.rel_path.split("_")[2]: f for f in report.files}
    assert all(f.status == "success" for f in files.values())
    # the 03-02 file's rows span two trading dates; the 03-01 file's only one
    assert (files["2024-03-02"].trading_date_min, files["2024-03-02"].trading_date_max) == (
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 2),
    )
    trades = _table(lake, "trades")
    per_day = dict(trades.group_by("trading_date").len().sort("trading_date").iter_rows())
    assert per_day == {dt.date(2024, 3, 1): 3, dt.date(2024, 3, 2): 2}

    cov = query.coverage(lake, "trades")
    assert cov.select("first_trading_date", "last_trading_date", "days", "rows").rows() == [
        (dt.date(2024, 3, 1), dt.date(2024, 3, 2), 2, 5)
    ]
    # a read of 03-01 (event time) sees the late-arriving row: it happened on 03-01
    day = query.load(lake, "trades", start="2024-03-01", end="2024-03-02").collect()
    assert day["trade_id"].to_list() == ["4705561234", "4705561235", "4705561236"]
    # unknown taker side kept as is
    assert trades.filter(pl.col("trade_id") == "4705561238")["side"].item() == "unknown"


def test_unknown_liquidation_side_lands(tmp_path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _instruments(tmp_path, lake, [("bitmex", "XBTUSD", "perpetual")])
    rows = [
        f"bitmex,XBTUSD,{D1 + 457_000},{D1 + 460_112},,sell,61170,5000",
        f"bitmex,XBTUSD,{D1 + 557_000},{D1 + 560_112},,unknown,61171.5,1200",
        f"bitmex,XBTUSD,{D1 + 657_000},{D1 + 660_112},8a0c,buy,61172,100",
    ]
    write_csv(
        bronze / "tardis/bitmex_liquidations_2024-03-01_XBTUSD.csv.gz",
        "\n".join([TRADES, *rows]) + "\n",
    )
    (result,) = _ingest(bronze, lake).files
    assert result.status == "success" and result.rows_quarantined == 0
    liq = _table(lake, "liquidations").sort("file_seq")
    assert liq["side"].to_list() == ["sell", "unknown", "buy"]


def test_negative_combo_book_levels_land(tmp_path):
    """book_snapshot_5 of an OKX spread (type combo) with levels around zero; the same
    levels on a spot pair are quarantined by the core's level rule."""
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    _instruments(
        tmp_path,
        lake,
        [("okex-spreads", "BTC-USDT_BTC-USDT-SWAP", "combo"), ("okex", "BTC-USDT", "spot")],
    )
    levels = [
        f"{side}[{i}].{f}"
        for i in range(5)
        for side in ("asks", "bids")
        for f in ("price", "amount")
    ]
    head = "exchange,symbol,timestamp,local_timestamp," + ",".join(levels)
    cells = "0.5,2,-0.5,3,1,1,-1,4,,,,,,,,,,,,"
    for exchange, symbol in (("okex-spreads", "BTC-USDT_BTC-USDT-SWAP"), ("okex", "BTC-USDT")):
        write_csv(
            bronze / f"tardis/{exchange}_book_snapshot_5_2024-03-01_{symbol}.csv.gz",
            f"{head}\n{exchange},{symbol},{D1 + 5_000},{D1 + 7_000},{cells}\n",
        )
    report = _ingest(bronze, lake)
    by_exchange = {f.rel_path.split("/")[1].split("_")[0]: f for f in report.files}
    assert by_exchange["okex-spreads"].rows_written == 1
    assert by_exchange["okex"].quarantine_reasons == {"not_positive:bid_prices": 1}
    book = _table(lake, "book_snapshots")
    assert book["bid_prices"].to_list() == [[Decimal("-0.5"), Decimal(-1), None, None, None]]
