"""Symbol rows (listing file: PIT; Bronze/archive: demo only), the sample generator, rules."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pointline_quant360 import sample
from pointline_quant360.symbols import (
    OUTPUT_COLUMNS,
    read_listing,
    symbols_from_archive,
    symbols_from_bronze,
)

from pointline_core.errors import ParseError
from pointline_core.models import BronzeFile

MIDNIGHT_20240102_CST = 1704124800000000  # 2024-01-01T16:00:00Z


def test_listing_file_becomes_half_open_windows(tmp_path, plugins):
    listing = tmp_path / "listing.csv"
    listing.write_text(
        "code,exchange,list_date,delist_date,name\n"
        "600000,SH,20240102,,SPDB\n"
        "000001.SZ,,2024-01-02,20240105,PAB\n"
        "1,SH,20240102,,index written as a number\n"
        "159915,SZ,20240102,,ETF\n"
        "113050,SH,20240102,,convertible bond\n"
    )
    rows = plugins.call("quant360", "pointline_read_symbols", path=listing)
    assert rows.columns == list(OUTPUT_COLUMNS)
    by = {(r["exchange"], r["exchange_symbol"]): r for r in rows.iter_rows(named=True)}
    assert set(by) == {
        ("sse", "600000"),
        ("szse", "000001"),
        ("sse", "000001"),
        ("szse", "159915"),
        ("sse", "113050"),
    }
    spdb = by[("sse", "600000")]
    assert spdb["valid_from_ts_us"] == MIDNIGHT_20240102_CST and spdb["valid_until_ts_us"] is None
    assert (spdb["asset_class"], spdb["tick_size"], spdb["lot_size"]) == ("equity", "0.01", "100")
    assert spdb["quote_asset"] == "CNY"
    pab = by[("szse", "000001")]
    # valid through the whole delist date: closes at 2024-01-06 00:00 China time
    assert pab["valid_until_ts_us"] == MIDNIGHT_20240102_CST + 4 * 86_400_000_000
    assert by[("sse", "000001")]["asset_class"] == "index"
    assert by[("szse", "159915")]["tick_size"] == "0.001"
    assert by[("sse", "113050")]["asset_class"] == "convertible_bond"


@pytest.mark.parametrize(
    "body",
    [
        "code,list_date\n600000,20240102\n",  # no exchange, no suffix
        "code,exchange,list_date\n600000,HK,20240102\n",
        "code,exchange,list_date\n600000,SH,2024-13-01\n",
        "exchange,list_date\nSH,20240102\n",
    ],
)
def test_bad_listing_files_raise_parse_error(tmp_path, body):
    path = tmp_path / "l.csv"
    path.write_text(body)
    with pytest.raises(ParseError):
        read_listing(path)


def test_symbols_from_bronze_and_archive_are_demo_rows(tmp_path, write_archives, run_extract):
    src = write_archives(tmp_path / "src", sample.build_day(events=10))
    run_extract(src, tmp_path / "bronze")
    rows = symbols_from_bronze(tmp_path / "bronze")
    assert rows.columns == list(OUTPUT_COLUMNS) and rows.height == 6
    assert rows["valid_until_ts_us"].null_count() == 6  # never closes: not PIT safe
    assert set(rows["valid_from_ts_us"]) == {MIDNIGHT_20240102_CST}
    arch = symbols_from_archive(src / "quant360" / "order_new_STK_SZ_20240102.7z")
    assert arch["exchange_symbol"].to_list() == ["000001", "159915", "300750"]
    assert set(arch["exchange"]) == {"szse"}


def test_sample_is_byte_identical_across_runs(tmp_path):
    a = sample.write_sample(tmp_path / "a", events=30)
    b = sample.write_sample(tmp_path / "b", events=30)

    def digest(paths):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}

    assert digest(a) == digest(b)
    assert sorted(p.name for p in a) == [
        "L2_new_STK_SZ_20240102.7z",
        "order_new_STK_SH_20240102.7z",
        "order_new_STK_SZ_20240102.7z",
        "quant360_listing.csv",
        "tick_new_STK_SH_20240102.7z",
        "tick_new_STK_SZ_20240102.7z",
    ]
    assert (tmp_path / "a" / "quant360").is_dir()
    listing = read_listing(tmp_path / "a" / "quant360_listing.csv")
    assert listing.height == 6


def test_sample_cli_writes_the_layout(tmp_path, capsys):
    assert sample.main([str(tmp_path), "--events", "10"]) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == 6 and all(p.startswith(str(tmp_path)) for p in printed)


def _file(exchange: str, symbol: str, stream: str) -> BronzeFile:
    meta = (("date", "2024-01-02"), ("exchange", exchange), ("market", "STK"), ("symbol", symbol))
    return BronzeFile("quant360", stream, Path("/nonexistent"), "x", meta)


def _bad(plugins, file, table, frame):
    rules = plugins.call("quant360", "pointline_validation_rules", file=file, table=table)
    return {r.name: frame.select(r.bad.fill_null(False)).to_series().to_list() for r in rules}


def test_exchange_rules_flag_what_the_exchanges_forbid(plugins):
    P, Q, TICK = Decimal(1), Decimal(1), Decimal("0.01")
    day = 1704124800000000  # local midnight 2024-01-02 (UTC+8) as µs UTC

    def at(h, m, s=0):
        return day + ((h * 60 + m) * 60 + s) * 1_000_000

    orders = pl.DataFrame(
        {
            "ts_event_us": [at(9, 30), at(9, 22), at(12, 0), at(10, 0)],
            "event_kind": ["add", "cancel", "add", "add"],
            "side": ["buy", "sell", "buy", "buy"],
            "price": [Decimal("9.41"), Decimal("9.415"), Decimal("9.4"), None],
            "qty": [150 * Q, 100 * Q, 100 * Q, 100 * Q + Decimal("5E-8")],
        }
    )
    bad = _bad(plugins, _file("szse", "000001", "order_new"), "l3_orders", orders)
    assert bad["quant360.buy_not_round_lot"] == [True, False, False, True]
    assert bad["quant360.price_off_tick"] == [False, True, False, False]
    assert bad["quant360.cancel_in_no_cancel_window"] == [False, True, False, False]
    assert bad["quant360.outside_session"] == [False, False, True, False]
    assert bad["quant360.qty_not_integral"] == [False, False, False, True]
    # an ETF's tick is 0.001; SSE residual balances are not lot-checked
    etf = _bad(plugins, _file("szse", "159915", "order_new"), "l3_orders", orders)
    assert etf["quant360.price_off_tick"] == [False, False, False, False]
    assert "quant360.buy_not_round_lot" not in _bad(
        plugins, _file("sse", "600000", "order_new"), "l3_orders", orders
    )

    trades = pl.DataFrame(
        {
            "ts_event_us": [at(9, 31), at(14, 58), at(10, 0), at(10, 1)],
            "event_kind": ["trade", "trade", "cancel", "trade"],
            "buy_order_ref": [5, 7, 9, None],
            "sell_order_ref": [6, 8, 10, 4],
            "price": [9 * P, 9 * P, None, Decimal(0)],
            "qty": [100 * Q] * 4,
            "notional": [Decimal(900), Decimal(900), None, Decimal(0)],
        }
    )
    bad = _bad(plugins, _file("szse", "000001", "tick_new"), "l3_trades", trades)
    assert bad["quant360.trade_in_closing_call"] == [False, True, False, False]
    assert bad["quant360.cancel_ref"] == [False, False, True, False]
    assert bad["quant360.trade_refs"] == [False, False, False, True]
    assert bad["quant360.trade_price_not_positive"] == [False, False, False, True]
    assert bad["quant360.notional_mismatch"] == [False, False, False, False]

    snaps = pl.DataFrame(
        {
            "trading_phase": ["T0", "O0", "T0"],
            "last_price": [9 * P, 9 * P, 12 * P],
            "upper_limit": [10 * P] * 3,
            "lower_limit": [8 * P] * 3,
            "bid_prices": [[9 * P], [9 * P + TICK], [9 * P]],
            "ask_prices": [[9 * P + TICK], [9 * P], [9 * P + TICK]],
        }
    )
    bad = _bad(plugins, _file("szse", "000001", "L2_new"), "l2_snapshots", snaps)
    assert bad["quant360.crossed_book"] == [False, False, False]
    assert bad["quant360.last_outside_limits"] == [False, False, True]
    snaps2 = snaps.with_columns(pl.lit([9 * P + TICK]).alias("bid_prices"))
    crossed = _bad(plugins, _file("szse", "000001", "L2_new"), "l2_snapshots", snaps2)
    assert crossed["quant360.crossed_book"] == [True, False, True]
