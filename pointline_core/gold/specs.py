"""Gold table specs: ``bars_<interval>`` (OHLCV bars of trades), partitioned like Silver.

Column names match the vendor-neutral Silver ``bars`` table (open, high, low, close, volume,
interval) so research code reads both alike. Price and quantity columns take their dtype and
scale from the source table's ``price`` and ``qty`` columns (exact ``Decimal(38,18)``), so
Gold follows Silver's numeric representation.
"""

from __future__ import annotations

import re

import attrs

from pointline_core.schemas.spec import ColumnSpec, TableSpec
from pointline_core.schemas.tables import EVENT_PARTITION, TRADES

#: Bar intervals: name -> length in µs (None: the exchange's trading day).
INTERVALS: dict[str, int | None] = {
    "1s": 1_000_000,
    "1m": 60_000_000,
    "1h": 3_600_000_000,
    "1d": None,
}
_NAME = re.compile(r"^bars_(\w+)$")


def _like(column: ColumnSpec, name: str, description: str) -> ColumnSpec:
    """A column with ``column``'s dtype and scale under another name (nullable)."""
    return attrs.evolve(
        column,
        name=name,
        nullable=True,
        positive=False,
        signed_classes=(),
        allowed=None,
        added_later=False,
        legacy_int64_scale=None,  # Gold was never written as Int64 fixed point
        description=description,
    )


def bars_spec(interval: str) -> TableSpec:
    """The spec of ``bars_<interval>``."""
    price, qty = TRADES.column("price"), TRADES.column("qty")
    columns = (
        ColumnSpec("exchange", "String", False),
        ColumnSpec("trading_date", "Date", False, description="exchange-local day"),
        ColumnSpec("symbol", "String", False),
        ColumnSpec("symbol_id", "Int64", False, description="dim_symbol window of the trades"),
        ColumnSpec(
            "ts_event_us",
            "Int64",
            False,
            description="bar start (µs UTC); daily bars: the day's first trade",
        ),
        ColumnSpec("interval", "String", False, description="1s, 1m, 1h or 1d"),
        _like(price, "open", "first trade price in replay order"),
        _like(price, "high", "highest trade price"),
        _like(price, "low", "lowest trade price"),
        _like(price, "close", "last trade price in replay order"),
        _like(qty, "volume", "sum of trade quantities"),
        _like(price, "vwap", "sum(price * qty) / sum(qty), rounded to the price scale"),
        ColumnSpec("trade_count", "Int64", False),
        ColumnSpec("first_ts_event_us", "Int64", False),
        ColumnSpec("last_ts_event_us", "Int64", False),
        ColumnSpec("source_table", "String", False, description="trades or l3_trades"),
        ColumnSpec(
            "source_version",
            "Int64",
            True,
            description="Delta version of the Silver table the partition was built from "
            "(null for bars computed on the fly by query.bars)",
        ),
    )
    return TableSpec(
        f"bars_{interval}",
        "event",
        columns,
        EVENT_PARTITION,
        ("ts_event_us", "symbol", "symbol_id"),
        f"OHLCV bars of {interval} built from trades (Gold).",
    )


GOLD_TABLES: dict[str, TableSpec] = {f"bars_{i}": bars_spec(i) for i in INTERVALS}
