"""Deterministic synthetic Tardis day for the demo and the tests.

    python -m pointline_tardis.sample OUT_DIR

writes ``OUT_DIR/tardis/...`` (the Bronze layout :mod:`.naming` discovers) and
``OUT_DIR/tardis_instruments.json`` (matching instrument metadata for ``pointline symbols
import``). The day is 2024-03-01 UTC; three exchanges (binance-futures, deribit, bitmex); all
nine data types, including a grouped-symbol ``OPTIONS`` options_chain file, grouped
``PERPETUALS`` files, one file in the datasets-API folder layout, and an empty ``.csv.gz``
(what the API returns for a day without data).

Values are made up but shaped like the real files: whole-number prices without ``.0``, an
exponent-notation funding rate, empty optional cells, UUID trade ids, thin book-snapshot
levels, a snapshot block at the start of the L2 file. Everything is computed with integer
polars expressions and gzip is written with ``mtime=0``, so the bytes are identical on every
run and machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from pointline_tardis.formats import COMMON_COLUMNS, expected_columns, level_column

DAY = "2024-03-01"
DAY_START_US = 1_709_251_200_000_000
#: Deribit options on this sample expire 2024-03-29 08:00 UTC.
EXPIRY_US = 1_711_699_200_000_000
NEXT_FUNDING_US = 1_709_280_000_000_000


def _mix(i: pl.Expr, salt: int, modulo: int) -> pl.Expr:
    """Deterministic pseudo-random integers in [0, modulo) from a row index (integer math)."""
    return ((i * 2_654_435_761 + salt * 40_503 + 12_345) % 1_000_003) % modulo


def decimal_text(units: pl.Expr, scale: int) -> pl.Expr:
    """Decimal text of ``units / 10**scale`` (units >= 0) without trailing zeros: 61168.1, 6422."""
    if scale == 0:
        return units.cast(pl.String)
    whole = (units // 10**scale).cast(pl.String)
    frac = (units % 10**scale).cast(pl.String).str.zfill(scale).str.strip_chars_end("0")
    return pl.when(frac == "").then(whole).otherwise(pl.concat_str(whole, pl.lit("."), frac))


def _base(n: int, exchange: str, symbols: Sequence[str], step_us: int, salt: int) -> pl.DataFrame:
    """The four common columns: arrival-ordered, ms exchange times, a few ms of latency."""
    i = pl.int_range(n, dtype=pl.Int64)
    local = DAY_START_US + 1_000 + i * step_us + _mix(i, salt, step_us // 2)
    event = (local - 1_000 - _mix(i, salt + 1, 20_000)) // 1_000 * 1_000
    symbol = pl.lit(pl.Series(list(symbols))).gather(i % len(symbols)) if symbols else None
    return pl.select(
        pl.lit(exchange).alias("exchange"),
        (symbol if symbol is not None else pl.lit("")).alias("symbol"),
        event.cast(pl.String).alias("timestamp"),
        local.cast(pl.String).alias("local_timestamp"),
        i.alias("_i"),
    )


def trades(n: int, exchange: str, symbols: Sequence[str], mid: int, uuid_ids: bool) -> pl.DataFrame:
    """``mid`` is the price in units of 0.1."""
    frame = _base(n, exchange, symbols, 300_000_000 // max(n, 1), 1)
    i = pl.col("_i")
    trade_id = (
        pl.concat_str((i + 1).cast(pl.String).str.zfill(8), pl.lit("-5a0c-4f4b-9f43-2c6b7a4e1d2a"))
        if uuid_ids
        else (4_705_561_234 + i).cast(pl.String)
    )
    side = pl.when(_mix(i, 3, 10) == 0).then(pl.lit("sell")).otherwise(pl.lit("buy"))
    side = pl.when(_mix(i, 4, 2) == 0).then(pl.lit("sell")).otherwise(side)
    return frame.select(
        *COMMON_COLUMNS,
        trade_id.alias("id"),
        side.alias("side"),
        decimal_text(mid + _mix(i, 5, 40) - 20, 1).alias("price"),
        decimal_text(1 + _mix(i, 6, 250_000), 3).alias("amount"),
    )


def liquidations(n: int, exchange: str, symbols: Sequence[str], mid: int) -> pl.DataFrame:
    frame = _base(n, exchange, symbols, 3_000_000_000 // max(n, 1), 7)
    i = pl.col("_i")
    return frame.select(
        *COMMON_COLUMNS,
        pl.lit(None, pl.String).alias("id"),
        pl.when(i % 3 == 0).then(pl.lit("buy")).otherwise(pl.lit("sell")).alias("side"),
        decimal_text(mid - _mix(i, 8, 300), 1).alias("price"),
        decimal_text(1 + _mix(i, 9, 5_000), 3).alias("amount"),
    )


def quotes(n: int, exchange: str, symbols: Sequence[str], mid: int) -> pl.DataFrame:
    """Also the book_ticker layout (same header)."""
    frame = _base(n, exchange, symbols, 200_000_000 // max(n, 1), 11)
    i = pl.col("_i")
    bid = mid + _mix(i, 12, 10)
    return frame.select(
        *COMMON_COLUMNS,
        decimal_text(1 + _mix(i, 13, 90_000), 3).alias("ask_amount"),
        decimal_text(bid + 1, 1).alias("ask_price"),
        decimal_text(bid, 1).alias("bid_price"),
        decimal_text(1 + _mix(i, 14, 90_000), 3).alias("bid_amount"),
    )


def incremental_book_l2(
    n: int,
    exchange: str = "deribit",
    symbol: str = "BTC-PERPETUAL",
    snapshot_rows: int = 40,
    offset: int = 0,
) -> pl.DataFrame:
    """L2 updates; the first ``snapshot_rows`` rows (of the whole file) are a snapshot block.

    ``offset`` is the index of the first row, so a large file can be generated in chunks.
    """
    step = 50_000
    i = pl.int_range(offset, offset + n, dtype=pl.Int64)
    snapshot = i < snapshot_rows
    # Snapshot rows share one message time; updates come in small messages of 1-3 rows.
    message = pl.when(snapshot).then(pl.lit(0, pl.Int64)).otherwise(i // 2)
    local = DAY_START_US + 245_000 + message * step + _mix(message, 21, 999)
    event = (local - 1_000 - _mix(message, 22, 90_000)) // 1_000 * 1_000
    side = pl.when(i % 2 == 0).then(pl.lit("ask")).otherwise(pl.lit("bid"))
    level = pl.when(snapshot).then(i // 2).otherwise(_mix(i, 23, 20))
    mid = 1_223_500  # 61175.0 in units of 0.05
    price_units = pl.when(i % 2 == 0).then(mid + 1 + level).otherwise(mid - level) * 5
    amount = pl.when(~snapshot & (_mix(i, 24, 7) == 0)).then(0).otherwise(10 * _mix(i, 25, 3_000))
    return pl.select(
        pl.lit(exchange).alias("exchange"),
        pl.lit(symbol).alias("symbol"),
        event.cast(pl.String).alias("timestamp"),
        local.cast(pl.String).alias("local_timestamp"),
        pl.when(snapshot).then(pl.lit("true")).otherwise(pl.lit("false")).alias("is_snapshot"),
        side.alias("side"),
        decimal_text(price_units, 2).alias("price"),
        amount.cast(pl.String).alias("amount"),
    )


def book_snapshot(
    n: int, depth: int, exchange: str, symbol: str, mid: int, thin_every: int = 0
) -> pl.DataFrame:
    """Top-``depth`` snapshots; every ``thin_every``-th row has a thin ask side (empty cells)."""
    frame = _base(n, exchange, [symbol], 100_000_000 // max(n, 1), 31)
    i = pl.col("_i")
    best_bid = mid + _mix(i, 32, 6)
    cells: list[pl.Expr] = []
    for level in range(depth):
        visible = pl.lit(True)
        if thin_every:
            visible = ~((i % thin_every == 0) & pl.lit(level >= depth // 2))
        ask_price = decimal_text(best_bid + 1 + level, 1)
        bid_price = decimal_text(best_bid - level, 1)
        cells += [
            pl.when(visible).then(ask_price).alias(level_column("asks", level, "price")),
            pl.when(visible)
            .then(decimal_text(1 + _mix(i + level, 33, 9_000), 3))
            .alias(level_column("asks", level, "amount")),
            bid_price.alias(level_column("bids", level, "price")),
            decimal_text(1 + _mix(i + level, 34, 9_000), 3).alias(
                level_column("bids", level, "amount")
            ),
        ]
    return frame.select(*COMMON_COLUMNS, *cells)


def derivative_ticker(n: int, exchange: str, symbols: Sequence[str], mid: int) -> pl.DataFrame:
    frame = _base(n, exchange, symbols, 60_000_000 // max(n, 1), 41)
    i = pl.col("_i")
    rate = pl.when(i % 5 == 0).then(pl.lit("1e-7")).otherwise(decimal_text(_mix(i, 42, 400), 8))
    return frame.select(
        *COMMON_COLUMNS,
        pl.lit(str(NEXT_FUNDING_US)).alias("funding_timestamp"),
        rate.alias("funding_rate"),
        pl.lit(None, pl.String).alias("predicted_funding_rate"),
        decimal_text(82_311_402 + _mix(i, 43, 10_000), 3).alias("open_interest"),
        pl.when(i % 4 == 0)
        .then(pl.lit(None, pl.String))
        .otherwise(decimal_text(mid + _mix(i, 44, 20), 1))
        .alias("last_price"),
        decimal_text(mid * 10 + _mix(i, 45, 200), 2).alias("index_price"),
        decimal_text(mid * 10 + _mix(i, 46, 200), 2).alias("mark_price"),
    )


OPTION_SYMBOLS = (
    "BTC-29MAR24-60000-C",
    "BTC-29MAR24-60000-P",
    "BTC-29MAR24-65000-C",
    "BTC-29MAR24-65000-P",
)


def options_chain(n: int, exchange: str = "deribit") -> pl.DataFrame:
    """A grouped ``OPTIONS`` file: rows of several options interleaved."""
    frame = _base(n, exchange, OPTION_SYMBOLS, 400_000_000 // max(n, 1), 51)
    i = pl.col("_i")
    parts = pl.col("symbol").str.split("-")
    option_type = pl.when(parts.list.get(3) == "C").then(pl.lit("call")).otherwise(pl.lit("put"))
    price = 300 + _mix(i, 52, 100)  # in 0.0001 BTC
    return frame.select(
        *COMMON_COLUMNS,
        option_type.alias("type"),
        parts.list.get(2).alias("strike_price"),
        pl.lit(str(EXPIRY_US)).alias("expiration"),
        decimal_text(18_503 + _mix(i, 53, 500), 1).alias("open_interest"),
        pl.when(i % 3 == 0)
        .then(pl.lit(None, pl.String))
        .otherwise(decimal_text(price, 4))
        .alias("last_price"),
        decimal_text(price - 5, 4).alias("bid_price"),
        decimal_text(10 + _mix(i, 54, 200), 1).alias("bid_amount"),
        decimal_text(5_700 + _mix(i, 55, 100), 2).alias("bid_iv"),
        decimal_text(price + 5, 4).alias("ask_price"),
        decimal_text(10 + _mix(i, 56, 200), 1).alias("ask_amount"),
        decimal_text(5_900 + _mix(i, 57, 100), 2).alias("ask_iv"),
        decimal_text(price, 4).alias("mark_price"),
        decimal_text(5_800 + _mix(i, 58, 100), 2).alias("mark_iv"),
        pl.lit("BTC-29MAR24").alias("underlying_index"),
        decimal_text(614_205 + _mix(i, 59, 100), 1).alias("underlying_price"),
        decimal_text(38_215 + _mix(i, 60, 1000), 5).alias("delta"),
        pl.lit("0.00003").alias("gamma"),
        decimal_text(87_215 + _mix(i, 61, 1000), 3).alias("vega"),
        pl.concat_str(pl.lit("-"), decimal_text(62_118 + _mix(i, 62, 1000), 3)).alias("theta"),
        decimal_text(13_307 + _mix(i, 63, 1000), 3).alias("rho"),
    )


def csv_bytes(frame: pl.DataFrame, data_type: str) -> bytes:
    """CSV text of ``frame`` with the data type's header, as Tardis writes it."""
    frame = frame.select(expected_columns(data_type))
    return frame.write_csv(include_header=True, line_terminator="\n").encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no file name, mtime 0)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _files() -> list[tuple[str, str, pl.DataFrame | None]]:
    """(path under tardis/, data type, rows or None for an empty gzip)."""

    def client(exchange: str, data_type: str, symbol: str) -> str:
        return f"{exchange}_{data_type}_{DAY}_{symbol}.csv.gz"

    y, m, d = DAY.split("-")
    return [
        (
            client("binance-futures", "trades", "BTCUSDT"),
            "trades",
            trades(240, "binance-futures", ["BTCUSDT"], 611_680, False),
        ),
        (
            f"binance-futures/trades/{y}/{m}/{d}/ETHUSDT.csv.gz",
            "trades",
            trades(120, "binance-futures", ["ETHUSDT"], 33_984, False),
        ),
        (
            client("binance-futures", "book_ticker", "BTCUSDT"),
            "book_ticker",
            quotes(150, "binance-futures", ["BTCUSDT"], 611_680),
        ),
        (
            client("binance-futures", "book_snapshot_5", "BTCUSDT"),
            "book_snapshot_5",
            book_snapshot(60, 5, "binance-futures", "BTCUSDT", 611_680),
        ),
        (
            client("binance-futures", "derivative_ticker", "PERPETUALS"),
            "derivative_ticker",
            derivative_ticker(80, "binance-futures", ["BTCUSDT", "ETHUSDT"], 611_710),
        ),
        (
            client("binance-futures", "liquidations", "PERPETUALS"),
            "liquidations",
            liquidations(24, "binance-futures", ["BTCUSDT", "ETHUSDT"], 611_700),
        ),
        (
            client("deribit", "incremental_book_L2", "BTC-PERPETUAL"),
            "incremental_book_L2",
            incremental_book_l2(400),
        ),
        (
            client("deribit", "book_snapshot_25", "BTC-PERPETUAL"),
            "book_snapshot_25",
            book_snapshot(30, 25, "deribit", "BTC-PERPETUAL", 611_750, thin_every=3),
        ),
        (
            client("deribit", "options_chain", "OPTIONS"),
            "options_chain",
            options_chain(120),
        ),
        (
            client("deribit", "trades", "BTC-PERPETUAL"),
            "trades",
            trades(100, "deribit", ["BTC-PERPETUAL"], 611_755, False),
        ),
        (
            client("bitmex", "trades", "XBTUSD"),
            "trades",
            trades(100, "bitmex", ["XBTUSD"], 611_700, True),
        ),
        (
            client("bitmex", "quotes", "XBTUSD"),
            "quotes",
            quotes(100, "bitmex", ["XBTUSD"], 611_700),
        ),
        (client("bitmex", "liquidations", "XBTUSD"), "liquidations", None),
    ]


def instruments() -> list[dict[str, object]]:
    """Instrument metadata matching every symbol of the sample day (tardis API shape)."""

    def perp(
        exchange: str, symbol: str, base: str, quote: str, tick: float, lot: float, mult: float
    ) -> dict[str, object]:
        return {
            "id": symbol,
            "exchange": exchange,
            "baseCurrency": base,
            "quoteCurrency": quote,
            "type": "perpetual",
            "active": True,
            "availableSince": "2019-11-17T00:00:00.000Z",
            "priceIncrement": tick,
            "amountIncrement": lot,
            "contractMultiplier": mult,
        }

    btcusdt = perp("binance-futures", "BTCUSDT", "BTC", "USDT", 0.1, 0.001, 1)
    btcusdt["changes"] = [{"until": "2020-06-01T00:00:00.000Z", "priceIncrement": 0.01}]
    result = [
        btcusdt,
        perp("binance-futures", "ETHUSDT", "ETH", "USDT", 0.01, 0.001, 1),
        perp("deribit", "BTC-PERPETUAL", "BTC", "USD", 0.5, 10, 10),
        perp("bitmex", "XBTUSD", "BTC", "USD", 0.5, 1, 1),
    ]
    for symbol in OPTION_SYMBOLS:
        _, _, strike, kind = symbol.split("-")
        result.append(
            {
                "id": symbol,
                "exchange": "deribit",
                "baseCurrency": "BTC",
                "quoteCurrency": "BTC",
                "type": "option",
                "active": True,
                "availableSince": "2024-01-26T08:00:00.000Z",
                "availableTo": "2024-03-29T08:00:00.000Z",
                "expiry": "2024-03-29T08:00:00.000Z",
                "priceIncrement": 0.0001,
                "amountIncrement": 0.1,
                "contractMultiplier": 1,
                "strikePrice": int(strike),
                "optionType": "call" if kind == "C" else "put",
            }
        )
    return result


def write_sample(out_dir: Path) -> list[Path]:
    """Write the sample day under ``out_dir``; return the written paths (sorted)."""
    out_dir = Path(out_dir)
    written: list[Path] = []
    for rel, data_type, frame in _files():
        path = out_dir / "tardis" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = b"" if frame is None else csv_bytes(frame, data_type)
        path.write_bytes(gzip_bytes(payload))
        written.append(path)
    instruments_path = out_dir / "tardis_instruments.json"
    text = json.dumps(instruments(), indent=1, sort_keys=True) + "\n"
    instruments_path.write_text(text, encoding="utf-8")
    written.append(instruments_path)
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pointline_tardis.sample",
        description="Write a deterministic synthetic Tardis day (Bronze layout + instruments).",
    )
    parser.add_argument(
        "out_dir", type=Path, help="writes OUT_DIR/tardis/... and OUT_DIR/tardis_instruments.json"
    )
    args = parser.parse_args(argv)
    paths = write_sample(args.out_dir)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
