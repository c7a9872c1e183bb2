"""What is in a lake: its tables, its symbols, and which days each symbol covers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from deltalake import DeltaTable

from pointline_core.errors import QueryError
from pointline_core.gold.specs import GOLD_TABLES
from pointline_core.query.decode import decode_exprs
from pointline_core.query.loader import LakeLike, as_lake
from pointline_core.query.pit import as_tuple
from pointline_core.query.scan import scan
from pointline_core.query.specs import table_spec
from pointline_core.schemas.spec import COMMON_EVENT_COLUMNS
from pointline_core.schemas.tables import CORE_TABLES, DIM_SYMBOL
from pointline_core.storage.delta import add_actions, open_table
from pointline_core.storage.dim_symbol import OPEN_END_US
from pointline_core.storage.lake import ZONES, Lake

if TYPE_CHECKING:
    from pointline_core.plugins import Plugins

_CORE_KIND = {spec.name: spec.kind for spec in (*CORE_TABLES, *GOLD_TABLES.values())}

TABLES_SCHEMA = pl.Schema(
    {
        "table": pl.String(),
        "zone": pl.String(),
        "kind": pl.String(),
        "version": pl.Int64(),
        "files": pl.Int64(),
        "rows": pl.Int64(),
        "size_bytes": pl.Int64(),
        "path": pl.String(),
    }
)

COVERAGE_SCHEMA = pl.Schema(
    {
        "table": pl.String(),
        "exchange": pl.String(),
        "symbol": pl.String(),
        "first_trading_date": pl.Date(),
        "last_trading_date": pl.Date(),
        "days": pl.Int64(),
        "rows": pl.Int64(),
    }
)


def _check_root(lake: Lake) -> None:
    if not lake.root.is_dir():
        raise QueryError(
            f"lake root {lake.root} does not exist or is not a directory; pass the directory "
            "that holds silver/ (the LAKE argument of `pointline ingest`)"
        )


def _delta_dirs(lake: Lake, zones: Sequence[str]) -> list[tuple[str, str, Path]]:
    found = []
    for zone in zones:
        base = lake.root / zone
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.is_dir() and (path / "_delta_log").is_dir():
                found.append((path.name, zone, path))
    return found


def table_dirs(lake: LakeLike, zones: Sequence[str] = ZONES) -> list[tuple[str, str, Path]]:
    """``(table, zone, path)`` of every Delta table folder in the lake, none opened: for a
    caller that opens the tables itself (:func:`tables` reads each one's log to count).
    Refuses a missing lake root, naming it."""
    lake = as_lake(lake)
    _check_root(lake)
    return _delta_dirs(lake, zones)


def tables(lake: LakeLike, *, zones: Sequence[str] = ZONES) -> pl.DataFrame:
    """The Delta tables in the lake: table, zone, kind, version, files, rows, size_bytes, path.

    Counts come from the Delta log (no data file is read). ``kind`` is the core spec's kind
    (event, dimension, control), ``event`` for any other table with the common event
    columns (a plugin's table), else null.
    """
    rows = []
    for name, zone, path in table_dirs(lake, zones):
        table = DeltaTable(str(path))
        rows.append(table_row(name, zone, path, table, add_actions(table)))
    return (
        pl.DataFrame(rows, schema=TABLES_SCHEMA, orient="row")
        if rows
        else pl.DataFrame(schema=TABLES_SCHEMA)
    )


def table_row(
    name: str, zone: str, path: Path, table: DeltaTable, actions: pl.DataFrame
) -> dict[str, Any]:
    """One row of :func:`tables` from an open table and its add actions (a caller that needs
    both, such as ``pointline stats``, reads the log once)."""
    columns = [f.name for f in table.schema().fields]
    kind = _CORE_KIND.get(name)
    if kind is None and all(c in columns for c in COMMON_EVENT_COLUMNS):
        kind = "event"
    counted = actions.height and actions["num_records"].null_count() == 0
    return {
        "table": name,
        "zone": zone,
        "kind": kind,
        "version": table.version(),
        "files": actions.height,
        "rows": int(actions["num_records"].sum())
        if counted
        else _count_rows(table, actions.height),
        "size_bytes": int(actions["size_bytes"].sum()) if actions.height else 0,
        "path": str(path),
    }


def _count_rows(table: DeltaTable, files: int) -> int:
    if not files:
        return 0
    return int(pl.scan_delta(table).select(pl.len()).collect().item())


def _like(pattern: str) -> pl.Expr:
    """Case-insensitive match of exchange_symbol: ``*``/``%`` any run, ``?``/``_`` one
    character, anchored; text without wildcards matches as a substring."""
    if not any(ch in pattern for ch in "*%?_"):
        return (
            pl.col("exchange_symbol").str.to_lowercase().str.contains(pattern.lower(), literal=True)
        )
    regex = "".join(
        ".*" if ch in "*%" else "." if ch in "?_" else re.escape(ch) for ch in pattern.lower()
    )
    return pl.col("exchange_symbol").str.to_lowercase().str.contains(f"^{regex}$")


def symbols(
    lake: LakeLike,
    exchange: str | Sequence[str] | None = None,
    like: str | None = None,
    *,
    current: bool = False,
    decoded: bool = True,
) -> pl.DataFrame:
    """dim_symbol windows: exchange, symbol, symbol_id, valid_from, valid_until, is_current,
    asset_class, base_asset, quote_asset, tick_size, lot_size, contract_size.

    ``exchange``: one or several names; ``like``: a case-insensitive pattern on the symbol
    (``BTC`` = contains BTC; ``BTC*``/``BTC%`` = starts with BTC; ``?``/``_`` = any one
    character); ``current``: only windows still open. ``valid_from``/``valid_until`` are UTC
    datetimes (``valid_until`` null for an open window); the ``*_ts_us`` integers are kept.
    ``decoded`` turns the fixed-point attributes into floats. Sorted by exchange, symbol,
    valid_from.
    """
    lake = as_lake(lake)
    _check_root(lake)
    exchanges = as_tuple(exchange, "exchange")
    frame = scan(lake, DIM_SYMBOL)
    filters = []
    if exchanges is not None:
        filters.append(pl.col("exchange").is_in(list(exchanges)))
    if like:
        filters.append(_like(like))
    if current:
        filters.append(pl.col("is_current"))
    if filters:
        frame = frame.filter(*filters)
    until = pl.col("valid_until_ts_us")
    frame = frame.sort(list(DIM_SYMBOL.tie_break)).select(
        "exchange",
        pl.col("exchange_symbol").alias("symbol"),
        "symbol_id",
        _utc(pl.col("valid_from_ts_us")).alias("valid_from"),
        pl.when(until != OPEN_END_US).then(_utc(until)).alias("valid_until"),
        "is_current",
        "asset_class",
        "base_asset",
        "quote_asset",
        "tick_size",
        "lot_size",
        "contract_size",
        "valid_from_ts_us",
        "valid_until_ts_us",
    )
    if decoded:
        frame = frame.with_columns(
            decode_exprs(DIM_SYMBOL, "float", ["tick_size", "lot_size", "contract_size"])
        )
    return frame.collect()


def _event_table_names(lake: Lake) -> list[str]:
    return [
        name
        for name, _zone, path in _delta_dirs(lake, ["silver"])
        if _CORE_KIND.get(name, "event") == "event" and _has_event_columns(path)
    ]


def _has_event_columns(path: Path) -> bool:
    table = open_table(path)
    if table is None:
        return False
    names = {f.name for f in table.schema().fields}
    return all(c in names for c in COMMON_EVENT_COLUMNS)


def _utc(us: pl.Expr) -> pl.Expr:
    return pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC")


def _coverage_of(lake: Lake, name: str, filters: list[pl.Expr]) -> pl.LazyFrame:
    path = lake.table_path(name, "silver")
    table = open_table(path)
    if table is None:
        return pl.LazyFrame(schema=COVERAGE_SCHEMA)
    lazy = pl.scan_delta(table).select("exchange", "symbol", "trading_date")
    if filters:
        lazy = lazy.filter(*filters)
    return lazy.group_by("exchange", "symbol").agg(
        table=pl.lit(name, pl.String),
        first_trading_date=pl.col("trading_date").min(),
        last_trading_date=pl.col("trading_date").max(),
        days=pl.col("trading_date").n_unique().cast(pl.Int64),
        rows=pl.len().cast(pl.Int64),
    )


def coverage(
    lake: LakeLike,
    table: str | None = None,
    *,
    exchange: str | Sequence[str] | None = None,
    symbol: str | Sequence[str] | None = None,
    plugins: Plugins | None = None,
) -> pl.DataFrame:
    """Per (table, exchange, symbol): first/last trading_date, days with data and rows.
    Sorted by table, exchange, symbol.

    ``table`` None covers every event table in the lake. Reads only the symbol column from
    the data files (exchange and trading_date are partition values).
    """
    lake = as_lake(lake)
    _check_root(lake)
    if table is not None:
        spec = table_spec(table, plugins=plugins)
        if spec.kind != "event":
            raise QueryError(
                f"coverage is per symbol and day; table {table!r} is a {spec.kind} table. "
                "Use query.tables(lake) for its size."
            )
        names = [table]
    else:
        names = _event_table_names(lake)
    filters = []
    exchanges = as_tuple(exchange, "exchange")
    if exchanges is not None:
        filters.append(pl.col("exchange").is_in(list(exchanges)))
    wanted = as_tuple(symbol, "symbol")
    if wanted is not None:
        filters.append(pl.col("symbol").is_in(list(wanted)))
    parts = [_coverage_of(lake, name, filters) for name in names]
    if not parts:
        return pl.DataFrame(schema=COVERAGE_SCHEMA)
    frames = pl.collect_all([p.select(list(COVERAGE_SCHEMA)) for p in parts])
    out = pl.concat([f.cast(dict(COVERAGE_SCHEMA)) for f in frames], how="vertical")
    return out.sort("table", "exchange", "symbol")
