"""Archives -> extract -> Bronze -> ingest -> Delta lake, through the core engines (no mocks).

An SSE and an SZSE day (order, tick, and SZSE L2 archives, real .7z built here) land in the
lake; per symbol the lake holds exactly the CSV members' rows; SSE cancels (order stream) and
SZSE cancels (tick stream) land with the same event kind; trading_date is the Shanghai day,
also for an event that is on the previous UTC day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from pointline_quant360 import sample

from pointline_core.ingest import runner
from pointline_core.storage.lake import Lake


def _silver(lake: Path, table: str, zone: str = "silver") -> pl.DataFrame:
    path = Lake(lake).table_path(table, zone)
    return pl.read_delta(str(path)) if path.exists() else pl.DataFrame()


def _import_symbols(listing: Path, lake: Path, plugins) -> None:
    from pointline_core.symbols import import_symbols

    import_symbols(listing, lake, vendor="quant360", plugins=plugins)


def test_sse_and_szse_day_archives_to_lake(tmp_path, write_archives, run_extract, plugins):
    archives = sample.build_day(events=60)
    src = write_archives(tmp_path / "src", archives)
    listing = tmp_path / "quant360_listing.csv"
    listing.write_bytes(sample.listing_csv(sample.SSE_SECURITIES, sample.SZSE_SECURITIES))
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    assert run_extract(src, bronze).archives_succeeded == 5
    _import_symbols(listing, lake, plugins)

    report = runner.ingest(bronze, lake, vendors=["quant360"], progress=False, plugins=plugins)
    assert report.ok, report.message
    assert {f.status for f in report.files} == {"success"}
    assert sum(f.rows_quarantined for f in report.files) == 0

    expected: dict[tuple[str, str, str], int] = {}
    for name, members in archives.items():
        stream, _market, exch = name[: -len("_20240102.7z")].rsplit("_", 2)
        for member, data in members.items():
            code = member.rsplit("/", 1)[1][:-4]
            key = ({"SH": "sse", "SZ": "szse"}[exch], stream, code)
            expected[key] = data.decode().count("\n") - 1
    tables = {"order_new": "l3_orders", "tick_new": "l3_trades", "L2_new": "l2_snapshots"}
    for table in tables.values():
        frame = _silver(lake, table)
        got = dict(
            frame.group_by("exchange", "symbol")
            .len()
            .select(pl.concat_str("exchange", "symbol", separator=":"), "len")
            .iter_rows()
        )
        want = {f"{e}:{c}": n for (e, s, c), n in expected.items() if tables[s] == table and n > 0}
        assert got == want, table
        assert frame["trading_date"].unique().to_list() == [dt.date(2024, 1, 2)]
        assert frame["symbol_id"].null_count() == 0
        assert frame.select(pl.struct("file_id", "file_seq").n_unique()).item() == frame.height

    orders, trades = _silver(lake, "l3_orders"), _silver(lake, "l3_trades")
    sse_cancels = orders.filter((pl.col("exchange") == "sse") & (pl.col("event_kind") == "cancel"))
    szse_cancels = trades.filter(
        (pl.col("exchange") == "szse") & (pl.col("event_kind") == "cancel")
    )
    # Every SSE order-stream D row and every SZSE tick-stream ExecType 4 row, per symbol.
    raw_cancels: dict[str, int] = {}
    for name, members in archives.items():
        column, code = {
            "order_new_STK_SH": ("OrdType", "D"),
            "tick_new_STK_SZ": ("ExecType", "4"),
        }.get(name[: -len("_20240102.7z")], (None, None))
        for member, data in members.items() if column else ():
            frame = pl.read_csv(data, infer_schema=False)
            raw_cancels[member.rsplit("/", 1)[1][:-4]] = frame.filter(pl.col(column) == code).height
    both = pl.concat([sse_cancels.select("symbol"), szse_cancels.select("symbol")])
    landed = dict(both.group_by("symbol").len().iter_rows())
    assert landed == raw_cancels and all(n > 0 for n in raw_cancels.values())
    assert len(raw_cancels) == 6  # three symbols per exchange
    assert orders.filter(
        (pl.col("exchange") == "szse") & (pl.col("event_kind") == "cancel")
    ).is_empty()

    # Rerun: extract publishes nothing, ingest writes nothing.
    assert run_extract(src, bronze).members_published == 0
    again = runner.ingest(bronze, lake, vendors=["quant360"], progress=False, plugins=plugins)
    assert {f.status for f in again.files} == {"skipped"}
    assert _silver(lake, "l3_orders").height == orders.height


def test_trading_date_is_the_shanghai_day(tmp_path, write_archives, run_extract, plugins):
    # 2024-01-03 07:59:59.990 China time is 2024-01-02 23:59:59.990 UTC: trading_date must be
    # the Shanghai day, 2024-01-03.
    stem = "tick_new_STK_SH_20240103"
    rows = (
        "SecurityID,TradeTime,TradePrice,TradeQty,TradeAmount,BuyNo,SellNo,TradeIndex,"
        "ChannelNo,TradeBSFlag,BizIndex\n"
        "600000,20240103075959990,7.05,100,705.00,2,1,1,5,B,1\n"
        "600000,20240103093000000,7.05,100,705.00,3,1,2,5,B,2\n"
    )
    src = write_archives(tmp_path / "src", {f"{stem}.7z": {f"{stem}/600000.csv": rows.encode()}})
    listing = tmp_path / "listing.csv"
    listing.write_bytes(b"code,exchange,list_date,delist_date\n600000,SH,19991110,\n")
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    run_extract(src, bronze)
    _import_symbols(listing, lake, plugins)
    report = runner.ingest(bronze, lake, vendors=["quant360"], progress=False, plugins=plugins)
    assert report.ok, report.message
    frame = _silver(lake, "l3_trades").sort("file_seq")
    assert frame["ts_event_us"][0] == 1704239999990000  # 2024-01-02T23:59:59.99Z
    assert frame["trading_date"].to_list() == [dt.date(2024, 1, 3)] * 2
