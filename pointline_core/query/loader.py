"""``query.load``: one table, filtered, point-in-time, in deterministic replay order."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from pointline_core.errors import QueryError
from pointline_core.query.decode import Decoded, decode_exprs, decode_mode
from pointline_core.query.pit import as_tuple, select
from pointline_core.query.scan import (
    candidate_files,
    check_exchanges,
    open_delta,
    partition_filters,
    scan_table,
    sort_keys,
    time_filters,
)
from pointline_core.query.specs import table_spec
from pointline_core.query.time import TimeLike, TimeWindow, parse_window
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.lake import Lake

if TYPE_CHECKING:
    from pointline_core.plugins import Plugins

LakeLike = Lake | str | os.PathLike[str]


def as_lake(lake: LakeLike) -> Lake:
    """A :class:`Lake` from a Lake or a path."""
    return lake if isinstance(lake, Lake) else Lake(lake)


def _check_columns(spec: TableSpec, columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    unknown = [c for c in columns if c not in spec.column_names]
    if unknown:
        raise QueryError(
            f"table {spec.name!r} has no column {', '.join(map(repr, unknown))}; its columns "
            f"are {', '.join(spec.column_names)}"
        )
    return list(dict.fromkeys(columns))


def load(
    lake: LakeLike,
    table: str,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    symbol_id: int | Sequence[int] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    tz: str | dt.tzinfo | None = None,
    columns: Sequence[str] | None = None,
    decoded: Decoded = False,
    version: int | None = None,
    spec: TableSpec | None = None,
    plugins: Plugins | None = None,
) -> pl.LazyFrame:
    """A lazy scan of ``table`` in the lake, sorted by the table's tie-break keys.

    Event tables:

    * ``exchange`` -- one name or a list; prunes partitions.
    * ``symbol`` -- exchange symbol(s), or ``symbol_id`` -- dim_symbol window id(s); resolved
      point-in-time through dim_symbol (see :mod:`pointline_core.query.pit`). Unknown
      ones raise :class:`~pointline_core.errors.UnknownSymbolError`; an exchange without
      rows in the table raises :class:`~pointline_core.errors.ExchangeNotInTableError`
      (listing the exchanges it holds), so a typo never looks like an empty table.
    * ``start``/``end`` -- the half-open window ``[start, end)`` on ``ts_event_us``: dates,
      datetimes (naive ones and dates are in ``tz``, default UTC), integer microseconds or
      ISO text (see :mod:`pointline_core.query.time`). Only the trading_date partitions the
      window can touch are read.
    * ``decoded`` -- False keeps the stored fixed-point integers; True/``"float"`` gives
      Float64, ``"decimal"`` exact Decimals, using the spec's scales.
    * ``columns`` -- the columns to return (default: all, in the spec's order).
    * ``version`` -- read an older Delta version of the table (time travel).

    Dimension and control tables take only ``exchange`` (if they have that column),
    ``columns``, ``decoded`` and ``version``. A table that was never written gives an empty
    frame with the spec's schema. ``spec``/``plugins`` say where to find the table's spec
    (default: core tables, then the installed plugins).

    Example (the returned frame is lazy; ``.collect()`` runs it)::

        lf = query.load(lake, "trades", exchange="examplex", symbol="AAAUSD",
                        start="2024-03-01", end="2024-03-02", decoded=True)
    """
    lake = as_lake(lake)
    spec = table_spec(table, spec=spec, plugins=plugins)
    wanted = _check_columns(spec, columns)
    mode = decode_mode(decoded)
    lazy = filtered_scan(
        lake,
        spec,
        exchange=exchange,
        symbol=symbol,
        symbol_id=symbol_id,
        window=parse_window(start, end, tz=tz),
        version=version,
    )
    keys = sort_keys(spec)
    if keys:
        lazy = lazy.sort(keys)
    if wanted is not None:
        lazy = lazy.select(wanted)
    if mode is not None:
        exprs = decode_exprs(spec, mode, wanted)
        if exprs:
            lazy = lazy.with_columns(exprs)
    return lazy


def filtered_scan(
    lake: Lake,
    spec: TableSpec,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    symbol_id: int | Sequence[int] | None = None,
    window: TimeWindow | None = None,
    version: int | None = None,
) -> pl.LazyFrame:
    """The rows :func:`load` selects, in stored dtypes and NOT sorted (callers that sort by
    other keys, such as ``query.replay``, sort once instead of twice)."""
    window = window or TimeWindow()
    delta = open_delta(lake, spec, version)
    lazy = scan_table(delta, spec)
    if spec.kind == "event":
        selection = select(
            lake, exchange=exchange, symbol=symbol, symbol_id=symbol_id, window=window
        )
        check_exchanges(delta, spec, as_tuple(exchange, "exchange"), version)
        filters = [
            *partition_filters(spec, selection.exchanges, selection.window),
            *time_filters(selection.window),
            *selection.filters,
        ]
    else:
        filters = _non_event_filters(spec, exchange, symbol, symbol_id, window.bounded)
        check_exchanges(delta, spec, as_tuple(exchange, "exchange"), version)
    if filters:
        lazy = lazy.filter(*filters)
    return lazy


def _non_event_filters(
    spec: TableSpec,
    exchange: str | Sequence[str] | None,
    symbol: object,
    symbol_id: object,
    timed: bool,
) -> list[pl.Expr]:
    refused = [
        name
        for name, given in (("symbol", symbol), ("symbol_id", symbol_id), ("start/end", timed))
        if given is not None and given is not False
    ]
    if refused:
        raise QueryError(
            f"table {spec.name!r} is a {spec.kind} table: {', '.join(refused)} filter event "
            "tables only. For dim_symbol use query.symbols(lake, exchange=..., like=...)."
        )
    exchanges = as_tuple(exchange, "exchange")
    if exchanges is None:
        return []
    if "exchange" not in spec.column_names:
        raise QueryError(
            f"table {spec.name!r} has no exchange column to filter on; drop the exchange "
            "argument (--exchange) for this table"
        )
    return [pl.col("exchange").is_in(list(exchanges))]


def files(
    lake: LakeLike,
    table: str,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    symbol_id: int | Sequence[int] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    tz: str | dt.tzinfo | None = None,
    version: int | None = None,
    spec: TableSpec | None = None,
    plugins: Plugins | None = None,
) -> tuple[list[str], int]:
    """(files a :func:`load` with these filters may read, live files in the table).

    Pruned the way the scan prunes: partitions by exchange and the widened trading_date
    range, then ``ts_event_us`` by the Delta log's per-file min/max statistics. Reads no
    data file; for "how much will this touch?" (``pointline read --explain``).
    """
    lake = as_lake(lake)
    spec = table_spec(table, spec=spec, plugins=plugins)
    window = parse_window(start, end, tz=tz)
    delta = open_delta(lake, spec, version)
    total = 0 if delta is None else len(delta.file_uris())
    exchanges = as_tuple(exchange, "exchange")
    if spec.kind == "event":
        selection = select(
            lake, exchange=exchange, symbol=symbol, symbol_id=symbol_id, window=window
        )
        check_exchanges(delta, spec, exchanges, version)
        window, exchanges = selection.window, selection.exchanges
    else:
        _non_event_filters(spec, exchange, symbol, symbol_id, window.bounded)
    chosen = candidate_files(
        lake, spec, exchanges=exchanges, window=window, version=version, table=delta
    )
    return chosen, total
