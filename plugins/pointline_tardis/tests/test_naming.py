"""Discover: both Tardis layouts, plain .csv, everything else reported as unrecognised."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest
from pointline_tardis.naming import (
    NotATardisFile,
    parse_client_name,
    parse_dataset_path,
    parse_rel_path,
)

from pointline_core.models import BronzeFile, Unrecognised


@pytest.mark.parametrize(
    ("name", "exchange", "data_type", "symbol"),
    [
        (
            "binance-futures_trades_2024-03-01_BTCUSDT.csv.gz",
            "binance-futures",
            "trades",
            "BTCUSDT",
        ),
        (
            "deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz",
            "deribit",
            "incremental_book_L2",
            "BTC-PERPETUAL",
        ),
        ("deribit_options_chain_2024-03-01_OPTIONS.csv.gz", "deribit", "options_chain", "OPTIONS"),
        (
            "binance-futures_liquidations_2024-03-01_PERPETUALS.csv.gz",
            "binance-futures",
            "liquidations",
            "PERPETUALS",
        ),
        ("huobi-dm-swap_quotes_2020-05-01_BTC-USD.csv.gz", "huobi-dm-swap", "quotes", "BTC-USD"),
        (
            "huobi-dm-linear-swap_book_ticker_2020-05-01_BTC-USDT.csv",
            "huobi-dm-linear-swap",
            "book_ticker",
            "BTC-USDT",
        ),
        (
            "binance_book_snapshot_25_2024-03-01_BTC_USDT.csv.gz",
            "binance",
            "book_snapshot_25",
            "BTC_USDT",
        ),
        (
            "binance_book_snapshot_5_2024-03-01_ETHBTC.csv.gz",
            "binance",
            "book_snapshot_5",
            "ETHBTC",
        ),
        # ": \\ / ? * < > |" are written as "-": BTC/USD:BTC -> BTC-USD-BTC
        ("kraken_trades_2024-03-01_BTC-USD-BTC.csv", "kraken", "trades", "BTC-USD-BTC"),
        (
            "gate-io-futures_derivative_ticker_2024-03-01_FUTURES.csv.gz",
            "gate-io-futures",
            "derivative_ticker",
            "FUTURES",
        ),
    ],
)
def test_client_names_split_on_known_data_types(name, exchange, data_type, symbol):
    parsed = parse_client_name(name)
    assert (parsed.exchange, parsed.data_type, parsed.symbol) == (exchange, data_type, symbol)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("binance_trades_2024-02-30_BTCUSDT.csv.gz", "not a valid calendar date"),
        ("okx_trades_2024-03-01_BTC-USDT.csv.gz", "not a known Tardis exchange"),
        ("binance_book_snapshot_10_2024-03-01_BTCUSDT.csv.gz", "known data type"),
        ("binance_trades_BTCUSDT.csv.gz", "known data type"),
        ("binance_trades_2024-03-01_BTCUSDT.json", "not a .csv.gz or .csv"),
    ],
)
def test_bad_client_names_say_why(name, why):
    with pytest.raises(NotATardisFile, match=why):
        parse_rel_path(PurePosixPath(name).parts)


def test_dataset_path_layout():
    parsed = parse_dataset_path(
        ("binance-futures", "incremental_book_L2", "2024", "03", "01", "BTCUSDT.csv.gz")
    )
    assert parsed.exchange == "binance-futures"
    assert parsed.data_type == "incremental_book_L2"
    assert parsed.date == dt.date(2024, 3, 1)
    assert parsed.symbol == "BTCUSDT"
    assert parsed.meta() == (
        ("date", "2024-03-01"),
        ("exchange", "binance-futures"),
        ("symbol", "BTCUSDT"),
    )
    encoded = parse_dataset_path(("okex", "trades", "2024", "03", "01", "ETH%2BUSD-SWAP.csv"))
    assert encoded.symbol == "ETH+USD-SWAP"  # URL-encoded in the path, decoded in meta
    with pytest.raises(NotATardisFile, match="YYYY/MM/DD"):
        parse_dataset_path(("deribit", "trades", "2024", "3", "01", "BTC-PERPETUAL.csv.gz"))
    with pytest.raises(NotATardisFile, match="unknown data type"):
        parse_dataset_path(("deribit", "ticker", "2024", "03", "01", "BTC-PERPETUAL.csv.gz"))


def _touch(root: Path, rel: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_discover_yields_both_layouts_and_unrecognised_sorted(tmp_path, plugins):
    bronze = tmp_path / "bronze"
    vendor = bronze / "tardis"
    good = [
        "tardis/binance-futures_trades_2024-03-01_BTCUSDT.csv.gz",
        "tardis/deribit_options_chain_2024-03-01_OPTIONS.csv.gz",
        "tardis/2024-03/bitmex_trades_2024-03-01_XBTUSD.csv",
        "tardis/binance-futures/book_snapshot_25/2024/03/01/BTCUSDT.csv.gz",
        "tardis/deribit/incremental_book_L2/2024/03/01/BTC-PERPETUAL.csv",
    ]
    bad = [
        "tardis/README.md",
        "tardis/.DS_Store",
        "tardis/binance_trades_2024-03-01_BTCUSDT.csv.gz.part",
        "tardis/binance/trades/2024/03/BTCUSDT.csv.gz",
        "tardis/nope_trades_2024-03-01_BTCUSDT.csv.gz",
    ]
    for rel in good + bad:
        _touch(bronze, rel)
    _touch(bronze, "quant360/not-ours.7z")  # other vendors' folders are not looked at

    found = list(
        plugins.call("tardis", "pointline_discover", vendor_root=vendor, bronze_root=bronze)
    )
    rel_paths = [item.rel_path for item in found]
    assert rel_paths == sorted(good + bad)
    files = {f.rel_path: f for f in found if isinstance(f, BronzeFile)}
    others = {u.rel_path: u for u in found if isinstance(u, Unrecognised)}
    assert sorted(files) == sorted(good)
    assert sorted(others) == sorted(bad)
    for f in files.values():
        assert f.vendor == "tardis"
        assert f.path.is_absolute() and f.path.exists()
        assert f.path == (bronze / f.rel_path).absolute()
        assert [k for k, _ in f.meta] == ["date", "exchange", "symbol"]
    book = files["tardis/binance-futures/book_snapshot_25/2024/03/01/BTCUSDT.csv.gz"]
    assert book.data_type == "book_snapshot_25"
    assert book.meta_dict() == {
        "date": "2024-03-01",
        "exchange": "binance-futures",
        "symbol": "BTCUSDT",
    }
    assert (
        files["tardis/deribit_options_chain_2024-03-01_OPTIONS.csv.gz"].meta_dict()["symbol"]
        == "OPTIONS"
    )
    assert all(u.vendor == "tardis" and u.reason for u in others.values())
    assert "hidden" in others["tardis/.DS_Store"].reason
    assert (
        "not a known Tardis exchange"
        in others["tardis/nope_trades_2024-03-01_BTCUSDT.csv.gz"].reason
    )


def test_discover_on_missing_vendor_folder_yields_nothing(tmp_path, plugins):
    found = plugins.call(
        "tardis", "pointline_discover", vendor_root=tmp_path / "tardis", bronze_root=tmp_path
    )
    assert list(found) == []


def test_discover_survives_symlink_cycles_and_reports_what_it_does_not_list(tmp_path, plugins):
    vendor = tmp_path / "tardis"
    _touch(tmp_path, "tardis/day/bitmex_trades_2024-03-01_XBTUSD.csv.gz")
    (vendor / "day" / "loop").symlink_to(vendor, target_is_directory=True)
    (vendor / "latest").symlink_to(vendor / "day", target_is_directory=True)
    (vendor / "gone_trades_2024-03-01_X.csv.gz").symlink_to(tmp_path / "nowhere")
    found = list(
        plugins.call("tardis", "pointline_discover", vendor_root=vendor, bronze_root=tmp_path)
    )
    files = [f.rel_path for f in found if isinstance(f, BronzeFile)]
    others = {u.rel_path: u.reason for u in found if isinstance(u, Unrecognised)}
    # Each file is listed once; the second way into a folder is reported, not followed.
    assert files == ["tardis/day/bitmex_trades_2024-03-01_XBTUSD.csv.gz"]
    assert sorted(others) == [
        "tardis/day/loop",
        "tardis/gone_trades_2024-03-01_X.csv.gz",
        "tardis/latest",
    ]
    assert "already scanned as '.'" in others["tardis/day/loop"]
    assert "already scanned as 'day'" in others["tardis/latest"]
    assert others["tardis/gone_trades_2024-03-01_X.csv.gz"] == "broken symbolic link"
