"""Every real Tardis file in ../shared/data/real/nautilus_trader/ parses and canonicalizes to
exactly what polars reads from the CSV directly: row counts, min/max timestamps, and exact sums
of decoded prices and amounts. No row is rejected.

The files are read in place (their owner forbids redistribution: never copy them into the
repository). Missing files fail under CI=true and skip otherwise.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from pointline_tardis.canonical import MAPPINGS
from pointline_tardis.formats import SNAPSHOT_DEPTH, TABLE_MAPPING
from tardis_testkit import bronze, run_file

from pointline_core.fixedpoint import decode

#: file name -> Tardis data type (the real files' names carry no date, so we say it here).
REAL_FILES = {
    "binance-futures_book_snapshot_25_BTCUSDT.csv": "book_snapshot_25",
    "binance-futures_book_snapshot_5_BTCUSDT.csv": "book_snapshot_5",
    "bitmex_trades_XBTUSD.csv": "trades",
    "deribit_incremental_book_L2_BTC-PERPETUAL.csv": "incremental_book_L2",
    "huobi-dm-swap_quotes_BTC-USD.csv": "quotes",
    "quotes.csv": "quotes",
    "trades.csv": "trades",
}
ROWS = {
    "binance-futures_book_snapshot_25_BTCUSDT.csv": 10,
    "binance-futures_book_snapshot_5_BTCUSDT.csv": 10,
    "bitmex_trades_XBTUSD.csv": 10,
    "deribit_incremental_book_L2_BTC-PERPETUAL.csv": 15,
    "huobi-dm-swap_quotes_BTC-USD.csv": 10,
    "quotes.csv": 9999,
    "trades.csv": 9999,
}
PRICE, QTY = 9, 8


def test_no_unknown_real_files(real_dir):
    assert sorted(p.name for p in real_dir.iterdir()) == sorted(REAL_FILES)


def _exact_sum(raw: pl.DataFrame, columns: list[str], scale: int) -> Decimal:
    """Sum of the CSV cells, exact, computed by polars straight from the text."""
    if not columns:
        return Decimal(0)
    total = raw.select(
        pl.sum_horizontal(pl.col(c).cast(pl.Decimal(38, scale)).sum() for c in columns)
    ).item()
    return Decimal(total or 0)


def _value_columns(
    data_type: str, raw: pl.DataFrame
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """{canonical column: [csv columns]} for prices and for amounts."""
    if data_type in SNAPSHOT_DEPTH:
        cols = raw.columns
        prices = {
            "ask_prices": [c for c in cols if c.startswith("asks[") and c.endswith(".price")],
            "bid_prices": [c for c in cols if c.startswith("bids[") and c.endswith(".price")],
        }
        qtys = {
            "ask_qtys": [c for c in cols if c.startswith("asks[") and c.endswith(".amount")],
            "bid_qtys": [c for c in cols if c.startswith("bids[") and c.endswith(".amount")],
        }
        return prices, qtys
    mapping = MAPPINGS[data_type]
    prices = {c.target: [c.source] for c in mapping if c.kind == "price"}
    qtys = {c.target: [c.source] for c in mapping if c.kind == "qty"}
    return prices, qtys


def _decoded_sum(out: pl.DataFrame, column: str, scale: int) -> tuple[Decimal, float]:
    series = out[column]
    if isinstance(series.dtype, pl.List):
        series = series.explode()
    exact = series.sum()  # a Decimal(38, 18) sum: exact, no decode step
    decoded = float(out.select(decode(pl.lit(series), scale).sum()).item())
    return exact, decoded


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_file_matches_polars_reading_of_the_csv(real_dir, plugins, name):
    data_type = REAL_FILES[name]
    path = real_dir / name
    batches, out = run_file(plugins, bronze(path, data_type), batch_rows=1_000)
    raw = pl.read_csv(path, infer_schema=False)  # the independent reading

    assert out.height == raw.height == ROWS[name]
    assert len(batches) == -(-raw.height // 1_000)
    assert out["_reject_reason"].null_count() == out.height, out["_reject_reason"].value_counts()

    ts = raw.select(pl.col("timestamp", "local_timestamp").cast(pl.Int64))
    assert out["ts_event_us"].min() == ts["timestamp"].min()
    assert out["ts_event_us"].max() == ts["timestamp"].max()
    assert out["ts_local_us"].min() == ts["local_timestamp"].min()
    assert out["ts_local_us"].max() == ts["local_timestamp"].max()
    assert out["exchange"].to_list() == raw["exchange"].to_list()
    assert out["symbol"].to_list() == raw["symbol"].to_list()

    prices, qtys = _value_columns(data_type, raw)
    assert prices and qtys
    for group, scale in ((prices, PRICE), (qtys, QTY)):
        for target, sources in group.items():
            expected = _exact_sum(raw, sources, scale)
            exact, decoded = _decoded_sum(out, target, scale)
            assert exact == expected, (target, sources)
            float_sum = raw.select(
                pl.sum_horizontal(pl.col(c).cast(pl.Float64).sum() for c in sources)
            ).item()
            assert decoded == pytest.approx(float_sum, rel=1e-12)


def test_truncated_deribit_snapshot_block_asks_only(real_dir, plugins):
    path = real_dir / "deribit_incremental_book_L2_BTC-PERPETUAL.csv"
    _, out = run_file(plugins, bronze(path, "incremental_book_L2", exchange="deribit"))
    assert out.height == 15
    assert out["is_snapshot"].all() and out["side"].unique().to_list() == ["ask"]
    assert out["_reject_reason"].null_count() == 15
    # whole-number prices ("6422") parse
    assert Decimal(6422) in out["price"].to_list()


def test_book_snapshot_levels_are_interleaved_by_name(real_dir, plugins):
    path = real_dir / "binance-futures_book_snapshot_5_BTCUSDT.csv"
    _, out = run_file(plugins, bronze(path, "book_snapshot_5"))
    first = out.row(0, named=True)
    # 11657.08,1.714,11657.07,10.896,11657.54,5.4,11656.97,0.2,...
    assert first["ask_prices"][:2] == [Decimal("11657.08"), Decimal("11657.54")]
    assert first["ask_qtys"][:2] == [Decimal("1.714"), Decimal("5.4")]
    assert first["bid_prices"][:2] == [Decimal("11657.07"), Decimal("11656.97")]
    assert first["bid_qtys"][:2] == [Decimal("10.896"), Decimal("0.2")]
    assert TABLE_MAPPING["book_snapshot_5"] == "book_snapshots"


def test_missing_real_data_fails_under_ci_and_skips_locally(monkeypatch, tmp_path):
    from tardis_testkit import require_shared

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing under CI"):
        require_shared(tmp_path / "absent")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_shared(tmp_path / "absent")
