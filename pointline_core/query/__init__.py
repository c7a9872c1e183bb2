"""The read side: load canonical tables point-in-time, decoded, in replay order.

::

    from pointline_core import query

    lf = query.load(lake, "trades", exchange="examplex", symbol="AAAUSD",
                    start="2024-03-01", end="2024-03-02", decoded=True)  # pl.LazyFrame
    query.tables(lake)                      # Delta tables in the lake, with sizes
    query.symbols(lake, like="AAA")         # dim_symbol windows (PIT symbol ids)
    query.coverage(lake)                    # exchange, symbol, first/last trading_date, rows
    query.files(lake, "trades", ...)        # the files a load with those filters may read

One concern per module: :mod:`~pointline_core.query.time` (start/end), :mod:`~.scan`
(pruned lazy scans), :mod:`~.pit` (PIT symbol selection through dim_symbol),
:mod:`~.decode` (fixed point -> numbers), :mod:`~.discovery` (tables, symbols, coverage),
:mod:`~.loader` (``load``, ``files``). See docs/reading.md. Research patterns
(docs/research.md): :mod:`~.replay` (several tables merged into one event stream),
:mod:`~.asof` (the prevailing quote of each trade), :mod:`~.bars` (OHLCV bars),
:mod:`~.sql` (DuckDB over every table; optional extra ``[sql]``).
"""

from __future__ import annotations

from pointline_core.query.asof import asof, trades_with_quotes
from pointline_core.query.bars import bars
from pointline_core.query.decode import decode_frame
from pointline_core.query.discovery import coverage, symbols, tables
from pointline_core.query.loader import files, load
from pointline_core.query.replay import replay
from pointline_core.query.sql import sql
from pointline_core.query.time import TimeWindow, parse_window, to_us

__all__ = [
    "TimeWindow",
    "asof",
    "bars",
    "coverage",
    "decode_frame",
    "files",
    "load",
    "parse_window",
    "replay",
    "sql",
    "symbols",
    "tables",
    "to_us",
    "trades_with_quotes",
]
