"""Random but seeded event streams written as real Delta tables (EventStore.append), for the
research tests: trades, quotes and book updates of two symbols on one UTC exchange, several
files per table, many timestamp ties within and across tables, some rows without a receive
time, and a dim_symbol window change in the middle so a symbol has two symbol_ids."""

from __future__ import annotations

import random

import polars as pl

from pointline_core.fixedpoint import encode
from pointline_core.schemas.spec import TableSpec
from pointline_core.schemas.tables import ORDERBOOK_UPDATES, QUOTES, TRADES
from pointline_core.storage.dim_symbol import DimSymbolStore, resolve_symbol_ids
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake

T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
EXCHANGE = "randx"
SYMBOLS = ("AAA", "BBB")
#: the second dim_symbol window of AAA starts here (a tick-size change)
SPLIT_US = T0 + 40_000_000


def list_symbols(lake: Lake) -> None:
    DimSymbolStore(lake).apply(
        pl.DataFrame(
            {
                "exchange": [EXCHANGE] * 3,
                "exchange_symbol": ["AAA", "AAA", "BBB"],
                "valid_from_ts_us": [T0 - 86_400_000_000, SPLIT_US, T0 - 86_400_000_000],
                "valid_until_ts_us": [None, None, None],
                "tick_size": ["0.01", "0.001", "0.01"],
            },
            schema_overrides={"valid_until_ts_us": pl.Int64},
        )
    )


def _base(rng: random.Random, n: int, file_id: int, span_us: int) -> pl.DataFrame:
    """Common columns: coarse timestamps (ties are frequent), 10% null receive times."""
    event = sorted(T0 + rng.randrange(span_us // 1000) * 1000 for _ in range(n))
    # 0..2 ms latency, so receive times tie across tables too; 10% have none
    local = [None if rng.random() < 0.1 else e + rng.randrange(3) * 1000 for e in event]
    return pl.DataFrame(
        {
            "exchange": EXCHANGE,
            "symbol": [rng.choice(SYMBOLS) for _ in range(n)],
            "ts_event_us": event,
            "ts_local_us": pl.Series(local, dtype=pl.Int64),
        }
    ).with_columns(
        file_id=pl.lit(file_id, pl.Int64),
        file_seq=pl.int_range(pl.len(), dtype=pl.Int64),
        trading_date=pl.from_epoch("ts_event_us", time_unit="us").dt.date(),
    )


def _prices(rng: random.Random, n: int) -> pl.Series:
    """Decimal text around 1000.00: encoded with the spec's scale whatever the stored type."""
    return pl.Series([_cents(100_000 + rng.randrange(-500, 500)) for _ in range(n)])


def _qtys(rng: random.Random, n: int) -> pl.Series:
    return pl.Series([_cents(rng.randrange(1, 10_000)) for _ in range(n)])


def _cents(value: int) -> str:
    """``12345`` -> ``"123.45"``."""
    return f"{value // 100}.{value % 100:02d}"


def _table_rows(spec: TableSpec, rng: random.Random, n: int, file_id: int, span: int):
    base = _base(rng, n, file_id, span)
    if spec is TRADES:
        extra = {
            "trade_id": pl.Series([f"{file_id}-{i}" for i in range(n)]),
            "side": pl.Series([rng.choice(["buy", "sell"]) for _ in range(n)]),
            "price": _prices(rng, n),
            "qty": _qtys(rng, n),
        }
    elif spec is QUOTES:
        bid = _prices(rng, n)
        extra = {
            "source": "feed",
            "bid_price": bid,
            "bid_qty": _qtys(rng, n),
            "ask_price": pl.Series([_cents(int(b.replace(".", "")) + 1) for b in bid]),
            "ask_qty": _qtys(rng, n),
        }
    else:
        extra = {
            "is_snapshot": False,
            "side": pl.Series([rng.choice(["bid", "ask"]) for _ in range(n)]),
            "price": _prices(rng, n),
            "qty": _qtys(rng, n),
            "book_reset": pl.lit(None, pl.Boolean),
            "before_first_snapshot": pl.lit(None, pl.Boolean),
        }
    frame = base.with_columns(
        **{k: (v if isinstance(v, pl.Expr | pl.Series) else pl.lit(v)) for k, v in extra.items()}
    )
    # prices and quantities: exact decimal text -> the spec's stored representation
    return frame.with_columns(
        encode(pl.col(c.name), c.scale).alias(c.name)
        for c in spec.columns
        if c.scale is not None and c.name in frame.columns
    )


def write_streams(
    lake: Lake, *, seed: int = 7, rows: int = 400, files: int = 3, span_us: int = 90_000_000
) -> None:
    """Write trades, quotes and orderbook_updates (``files`` files each, ``rows`` rows per
    file) over ``span_us`` from T0, after listing the symbols."""
    list_symbols(lake)
    dim = DimSymbolStore(lake).frame()
    rng = random.Random(seed)
    for t, spec in enumerate((TRADES, QUOTES, ORDERBOOK_UPDATES)):
        store = EventStore(lake, spec)
        for f in range(files):
            file_id = 1000 * (t + 1) + f
            frame = _table_rows(spec, rng, rows, file_id, span_us)
            frame = frame.with_columns(
                symbol_id=resolve_symbol_ids(frame, dim),
                # optional nanosecond clocks: these streams have µs clocks only
                **{name: pl.lit(None, pl.Int64) for name in spec.optional_columns()},
            )
            store.append(
                [frame.select(spec.polars_schema().names()).cast(spec.polars_schema())],
                file_ids=[file_id],
            )
