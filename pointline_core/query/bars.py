"""``query.bars``: OHLCV bars of trades, computed from Silver (Gold ``bars_<interval>`` stores
the same rows; see :mod:`pointline_core.gold.derive`).

Definitions (docs/research.md, "Bars"):

* A bar holds the trades of one ``symbol_id`` whose ``ts_event_us`` falls in
  ``[bar start, bar start + interval)``, bar starts being multiples of the interval since the
  epoch (UTC), and never spans two trading dates. ``1d`` bars are the exchange's
  ``trading_date`` (the exchange-local day, not the UTC day); they are stamped with the day's
  first trade.
* Bars run on the event clock: they describe the market, not when we heard of it.
* open / close: the first / last trade in replay order (``ts_event_us``, ``ts_local_us``,
  ``file_id``, ``file_seq``); high / low: max / min price; volume: the exact sum of ``qty``;
  vwap: ``sum(price * qty) / sum(qty)`` in Decimal arithmetic, rounded down to the price
  scale; trade_count; first / last ``ts_event_us``. Bars with no trade do not exist.
* ``l3_trades`` count only ``event_kind = 'trade'`` rows (cancels carry no price).

Numbers are exact Decimals in the Gold spec's dtypes (those of the source's ``price`` and
``qty``; ``decoded`` converts like ``query.load``). A volume that does not fit the type
raises instead of wrapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from pointline_core.errors import QueryError
from pointline_core.gold.specs import INTERVALS, bars_spec
from pointline_core.query.decode import Decoded, decode_exprs, decode_mode
from pointline_core.query.loader import LakeLike, as_lake, filtered_scan
from pointline_core.query.specs import table_spec
from pointline_core.query.time import TimeLike, TimeWindow, parse_window
from pointline_core.schemas.spec import ColumnSpec, TableSpec

if TYPE_CHECKING:
    from pointline_core.plugins import Plugins

#: Tables bars can be built from, with the rows that count as trades.
BAR_SOURCES: dict[str, pl.Expr] = {
    "trades": pl.lit(True),
    "l3_trades": pl.col("event_kind") == "trade",
}
_PRECISION = 38
_ORDER = ["ts_event_us", "ts_local_us", "file_id", "file_seq"]
_GROUP = ["exchange", "trading_date", "symbol", "symbol_id"]


def check_interval(interval: str) -> int | None:
    """The interval's length in µs (None for ``1d``); :class:`QueryError` if unknown."""
    if interval not in INTERVALS:
        raise QueryError(f"interval {interval!r}: use one of {', '.join(INTERVALS)}")
    return INTERVALS[interval]


def source_spec(table: str, plugins: Plugins | None = None) -> TableSpec:
    """The spec of a table bars can be built from; :class:`QueryError` for others."""
    if table not in BAR_SOURCES:
        raise QueryError(f"bars are built from {', '.join(BAR_SOURCES)}, not {table!r}")
    return table_spec(table, plugins=plugins)


def _decimal(column: ColumnSpec) -> pl.Decimal:
    """The exact Decimal dtype of a price or quantity column."""
    dtype = column.polars_dtype()
    if not isinstance(dtype, pl.Decimal):
        raise QueryError(f"column {column.name!r} is {dtype}, not an exact Decimal")
    return dtype


def stored(expr: pl.Expr, column: ColumnSpec) -> pl.Expr:
    """``expr`` in ``column``'s Decimal dtype; the cast is strict, so a value that does not
    fit (more integer digits than the type holds) raises instead of wrapping or nulling."""
    return expr.cast(_decimal(column), strict=True).alias(column.name)


def bar_frame(
    trades: pl.LazyFrame, source: TableSpec, interval: str, source_version: int | None = None
) -> pl.LazyFrame:
    """Bars of ``trades`` (rows of ``source`` in stored dtypes), sorted by the Gold spec's
    keys within each (exchange, trading_date)."""
    length = check_interval(interval)
    gold = bars_spec(interval)
    price, qty = source.column("price"), source.column("qty")
    # one scale that holds both inputs' digits; a Decimal product keeps that scale
    scale = max(_decimal(price).scale or 0, _decimal(qty).scale or 0)
    p = pl.col("price").cast(pl.Decimal(_PRECISION, scale))
    q = pl.col("qty").cast(pl.Decimal(_PRECISION, scale))
    rows = trades.filter(BAR_SOURCES[source.name]).with_columns(_p=p, _q=q)
    if length is None:
        start = pl.col("ts_event_us").min()
        keys = _GROUP
    else:
        rows = rows.with_columns(_start=(pl.col("ts_event_us") // length) * length)
        start = pl.col("_start").first()
        keys = [*_GROUP, "_start"]
    ordered = [pl.col(c) for c in _ORDER]
    bars = rows.group_by(keys).agg(
        start.alias("ts_event_us"),
        pl.col("_p").sort_by(ordered).first().alias("open"),
        pl.col("_p").max().alias("high"),
        pl.col("_p").min().alias("low"),
        pl.col("_p").sort_by(ordered).last().alias("close"),
        pl.col("_q").sum().alias("volume"),
        (pl.col("_p") * pl.col("_q")).sum().alias("_notional"),
        pl.len().cast(pl.Int64).alias("trade_count"),
        pl.col("ts_event_us").min().alias("first_ts_event_us"),
        pl.col("ts_event_us").max().alias("last_ts_event_us"),
    )
    vwap = pl.when(pl.col("volume") != 0).then(pl.col("_notional") / pl.col("volume"))
    out = bars.with_columns(vwap=vwap, interval=pl.lit(interval))
    out = out.with_columns(
        *(stored(pl.col(c), gold.column(c)) for c in ("open", "high", "low", "close", "vwap")),
        stored(pl.col("volume"), gold.column("volume")),
        source_table=pl.lit(source.name),
        source_version=pl.lit(source_version, pl.Int64),
    )
    return out.select(gold.column_names).sort(["exchange", "trading_date", *gold.tie_break])


def bars(
    lake: LakeLike,
    *,
    table: str = "trades",
    interval: str = "1m",
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    tz: str | dt.tzinfo | None = None,
    decoded: Decoded = False,
    plugins: Plugins | None = None,
) -> pl.LazyFrame:
    """Bars of ``interval`` from the trades of the selection (``[start, end)`` cuts trades on
    ``ts_event_us``: align it with bar boundaries for whole bars), per symbol_id, in the Gold
    ``bars_<interval>`` columns. See the module docstring for the definitions."""
    check_interval(interval)
    lake = as_lake(lake)
    source = source_spec(table, plugins)
    window: TimeWindow = parse_window(start, end, tz=tz)
    trades = filtered_scan(lake, source, exchange=exchange, symbol=symbol, window=window)
    out = bar_frame(trades, source, interval)
    mode = decode_mode(decoded)
    if mode is not None:
        out = out.with_columns(decode_exprs(bars_spec(interval), mode))
    return out
