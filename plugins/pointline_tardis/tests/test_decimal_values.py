"""Issue 17 point 1, end to end through the Tardis plugin into a real lake: meme-coin
quantities, their daily sum, sub-1e-9 and above-9.2e9 prices are stored and read back
exactly; a value beyond 20 integer digits is quarantined as ``overflow:<col>``.

Under Int64 fixed point (price 1e-9, quantity 1e-8) each of these failed: 5e11 overflowed
(~9.2e10 was the limit), 1e-10 rounded to 0 and was rejected, 1.2e10 overflowed, and a sum of
quantities wrapped silently in polars.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, localcontext
from pathlib import Path

import polars as pl
import pytest
from tardis_testkit import write_csv

from pointline_core import ingest, query
from pointline_core.cli import main
from pointline_core.cli.symbols_cmd import import_symbols
from pointline_core.storage.lake import Lake

DAY = "2024-03-01"
T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
ROWS = 400  # the day's PEPE trades
PEPE_PRICE = "0.0000012345"


def pepe_amount(i: int) -> str:
    # 5e11 tokens (about 0.6M USD at 1.2e-6) plus a fraction that needs all 18 digits
    return f"{500_000_000_000 + i * 7_919}.{(i * 104_729) % 10**18:018d}"


def _spot(symbol: str, base: str, tick: float) -> dict[str, object]:
    return {
        "id": symbol,
        "exchange": "binance",
        "baseCurrency": base,
        "quoteCurrency": "USDT",
        "type": "spot",
        "active": True,
        "availableSince": "2019-11-17T00:00:00.000Z",
        "priceIncrement": tick,
        "amountIncrement": 1,
        "contractMultiplier": 1,
    }


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("decimal")
    bronze, lake = root / "bronze", root / "lake"
    lines = [
        f"binance,PEPEUSDT,{T0 + i * 1000},{T0 + i * 1000 + 7},{i},buy,{PEPE_PRICE},"
        f"{pepe_amount(i)}\n"
        for i in range(ROWS)
    ]
    write_csv(bronze / f"tardis/binance_trades_{DAY}_PEPEUSDT.csv.gz", HEADER + "".join(lines))
    t = T0 + 10**9
    write_csv(
        bronze / f"tardis/binance_trades_{DAY}_SHIBBTC.csv.gz",
        HEADER
        + f"binance,SHIBBTC,{t},{t + 5},1,sell,1e-10,3\n"  # a 1e-10 price
        + f"binance,SHIBBTC,{t + 1},{t + 6},2,sell,12345678901.25,0.5\n"  # above 9.2e9
        # 21 integer digits: beyond Decimal(38, 18)
        + f"binance,SHIBBTC,{t + 2},{t + 7},3,buy,0.0000000001,123456789012345678901\n",
    )
    records = [_spot("PEPEUSDT", "PEPE", 1e-10), _spot("SHIBBTC", "SHIB", 1e-10)]
    (root / "i.json").write_text(json.dumps(records), encoding="utf-8")
    import_symbols(root / "i.json", lake, vendor="tardis")
    report = ingest(bronze, lake, vendors=["tardis"], progress=False)
    assert report.ok, report.message
    return lake


def test_pepe_quantities_read_back_exact_through_the_read_api(lake):
    day = query.load(lake, "trades", exchange="binance", symbol="PEPEUSDT", decoded="decimal")
    frame = day.collect()
    assert frame.height == ROWS
    assert frame.schema["qty"] == pl.Decimal(38, 18)
    assert frame["qty"].to_list() == [Decimal(pepe_amount(i)) for i in range(ROWS)]
    assert set(frame["price"].to_list()) == {Decimal(PEPE_PRICE)}
    floats = query.load(lake, "trades", symbol="PEPEUSDT", exchange="binance", decoded=True)
    assert floats.collect()["qty"].to_list() == [float(pepe_amount(i)) for i in range(ROWS)]


def test_the_daily_volume_sum_is_exact_beyond_the_int64_range(lake):
    with localcontext() as ctx:
        ctx.prec = 60  # Python's default 28 digits would round the true sum
        truth = sum(Decimal(pepe_amount(i)) for i in range(ROWS))
        price_x_qty = truth * Decimal(PEPE_PRICE)
    # the old storage (quantity x 1e8 in Int64) cannot hold this sum, nor one trade of it
    assert truth * 10**8 > 2**63 - 1
    raw = pl.scan_delta(str(Lake(lake).table_path("trades", "silver")))
    volume = raw.filter(pl.col("symbol") == "PEPEUSDT").select(pl.col("qty").sum()).collect()
    assert volume.item() == truth  # plain polars on the stored column: no decode step
    per_day = (
        query.load(lake, "trades", exchange="binance", symbol="PEPEUSDT")
        .group_by("trading_date")
        .agg(pl.col("qty").sum())
        .collect()
    )
    assert per_day["qty"].to_list() == [truth]
    notional = (
        query.load(lake, "trades", exchange="binance", symbol="PEPEUSDT")
        .select((pl.col("price") * pl.col("qty")).sum())
        .collect()
        .item()
    )
    assert notional == price_x_qty.quantize(Decimal(1).scaleb(-18))


def test_pointline_read_prints_the_exact_quantities(lake, capsys):
    args = ["read", str(lake), "trades", "--exchange", "binance", "--symbol", "PEPEUSDT"]
    assert main([*args, "--format", "csv", "--decimal", "--columns", "price,qty"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [Decimal(r["qty"]) for r in rows] == [Decimal(pepe_amount(i)) for i in range(ROWS)]
    assert {Decimal(r["price"]) for r in rows} == {Decimal(PEPE_PRICE)}
    assert rows[0]["qty"] == "500000000000.000000000000000000"


def test_tiny_and_huge_prices_are_kept_and_21_digits_are_quarantined(lake):
    kept = query.load(lake, "trades", symbol="SHIBBTC", exchange="binance", decoded="decimal")
    frame = kept.collect()
    assert frame["price"].to_list() == [Decimal("1E-10"), Decimal("12345678901.25")]
    assert frame["qty"].to_list() == [Decimal(3), Decimal("0.5")]
    quarantine = pl.read_delta(str(Lake(lake).table_path("trades", "quarantine")))
    assert quarantine["reason"].to_list() == ["overflow:amount"]
    assert quarantine["trade_id"].to_list() == ["3"]
    assert quarantine["qty"].to_list() == [None]
