"""Lazy scans of lake tables with partition pruning and ``ts_event_us`` predicate pushdown.

``pl.scan_delta`` lists the table's live files from the Delta log and hands them to polars'
Parquet scan with the partition columns as hive columns and the log's per-file min/max
statistics. Filters on ``exchange`` and ``trading_date`` therefore drop whole partitions
before any file is opened, and a ``ts_event_us`` range drops files whose statistics cannot
match. The filters below are written as plain comparisons of those columns with literals of
the columns' own dtypes (``Date`` for ``trading_date``), the form polars can prune on;
``tests/query/test_pruning.py`` measures the files actually opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from deltalake import DeltaTable

from pointline_core.errors import ExchangeNotInTableError, QueryError
from pointline_core.query.pit import suggest_names
from pointline_core.query.specs import table_zone
from pointline_core.query.time import TimeWindow
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.delta import (
    add_actions,
    check_table_schema,
    open_table,
    with_missing_columns,
)
from pointline_core.storage.lake import Lake


def open_delta(lake: Lake, spec: TableSpec, version: int | None = None) -> DeltaTable | None:
    """The table's Delta snapshot (``version``: time travel), or None if not written yet.

    Raises :class:`QueryError` when the lake root itself does not exist (a typo in the
    path must not look like an empty table), or when ``version`` does not exist.
    """
    if not lake.root.is_dir():
        raise QueryError(
            f"lake root {lake.root} does not exist or is not a directory; pass the directory "
            "that holds silver/ (the LAKE argument of `pointline ingest`)"
        )
    from pointline_core.storage.environment import table_io

    path = lake.table_path(spec.name, table_zone(spec))
    with table_io(path, lake.root):
        table = open_table(path)
    if table is None:
        return None
    check_table_schema(table, spec, path, allow_missing_nullable=True)
    if version is not None:
        try:
            table.load_as_version(version)
        except Exception as exc:  # delta-rs raises a generic error for a missing version
            raise QueryError(
                f"table {spec.name!r} at {path} has no version {version} (latest is "
                f"{DeltaTable(str(path)).version()}): {exc}"
            ) from exc
    return table


def scan(lake: Lake, spec: TableSpec, version: int | None = None) -> pl.LazyFrame:
    """All rows of the table as a LazyFrame in the spec's dtypes (empty if not written yet)."""
    return scan_table(open_delta(lake, spec, version), spec)


def scan_table(table: DeltaTable | None, spec: TableSpec) -> pl.LazyFrame:
    """:func:`scan` of a table already opened with :func:`open_delta` (None: not written)."""
    if table is None:
        return spec.empty_frame().lazy()
    lazy = with_missing_columns(pl.scan_delta(table), spec)
    schema = lazy.collect_schema()
    wanted = spec.polars_schema()
    casts = {n: d for n, d in wanted.items() if schema.get(n) != d}
    return lazy.cast(casts) if casts else lazy


def _one_or_many(column: str, values: Sequence[object], dtype: pl.DataType) -> pl.Expr:
    if len(values) == 1:
        return pl.col(column) == pl.lit(values[0], dtype)
    return pl.col(column).is_in(list(values))


def partition_filters(
    spec: TableSpec,
    exchanges: Sequence[str] | None,
    window: TimeWindow,
) -> list[pl.Expr]:
    """Filters on the partition columns: the exchanges and the widened trading_date range.

    Only for event tables (partitioned by exchange, trading_date); the trading_date range is
    :meth:`TimeWindow.trading_date_bounds`, a superset of the days the window can touch.
    """
    if spec.kind != "event":
        return []
    filters: list[pl.Expr] = []
    if exchanges is not None:
        filters.append(_one_or_many("exchange", list(exchanges), pl.String()))
    first, last = window.trading_date_bounds()
    if first is not None:
        filters.append(pl.col("trading_date") >= pl.lit(first, pl.Date()))
    if last is not None:
        filters.append(pl.col("trading_date") <= pl.lit(last, pl.Date()))
    return filters


def time_filters(window: TimeWindow, column: str = "ts_event_us") -> list[pl.Expr]:
    """The exact half-open cut ``start <= ts < end`` (pushed down to file statistics)."""
    filters = []
    if window.start_us is not None:
        filters.append(pl.col(column) >= pl.lit(window.start_us, pl.Int64()))
    if window.end_us is not None:
        filters.append(pl.col(column) < pl.lit(window.end_us, pl.Int64()))
    return filters


def sort_keys(spec: TableSpec) -> list[str]:
    """The replay order: the spec's tie-break keys (unique per row for event tables)."""
    return list(spec.tie_break)


def candidate_files(
    lake: Lake,
    spec: TableSpec,
    *,
    exchanges: Sequence[str] | None = None,
    window: TimeWindow | None = None,
    version: int | None = None,
    table: DeltaTable | None = None,
) -> list[str]:
    """The live files a read of ``exchanges`` x ``window`` may need, as the Delta log sees
    them (partition values exactly, ``ts_event_us`` by min/max statistics).

    A diagnostic for "how much will this read touch?" (``pointline read --explain``);
    :func:`scan` does the same pruning inside polars. ``table``: the snapshot if the caller
    already opened it.
    """
    table = table if table is not None else open_delta(lake, spec, version)
    if table is None:
        return []
    window = window or TimeWindow()
    terms: list[str] = []
    if spec.kind == "event":
        if exchanges is not None:
            names = ", ".join("'" + e.replace("'", "''") + "'" for e in exchanges)
            terms.append(f"exchange IN ({names})")
        first, last = window.trading_date_bounds()
        if first is not None and first > dt.date.min:
            terms.append(f"trading_date >= '{first.isoformat()}'")
        if last is not None and last < dt.date.max:
            terms.append(f"trading_date <= '{last.isoformat()}'")
        if window.start_us is not None:
            terms.append(f"ts_event_us >= {window.start_us}")
        if window.end_us is not None:
            terms.append(f"ts_event_us < {window.end_us}")
    if not terms:
        return sorted(table.file_uris())
    return sorted(table.file_uris(file_pruning_predicate=" AND ".join(terms)))


def exchanges_held(lake: Lake, spec: TableSpec, exchanges: Sequence[str]) -> list[str]:
    """The asked ``exchanges`` that have rows in the table (in the asked order): a query that
    tolerates an exchange one table lacks (trades but no quotes) narrows to these."""
    table = open_delta(lake, spec)
    held = set(table_exchanges(table, spec)) if table is not None else set()
    return [e for e in exchanges if e in held]


def table_exchanges(table: DeltaTable, spec: TableSpec) -> list[str]:
    """The exchanges that have rows in ``table`` (sorted). Event tables answer from the
    Delta log's partition values, reading no data file; others scan their exchange column."""
    if "exchange" in spec.partition_by:
        actions = add_actions(table)
        column = "partition.exchange"
        if actions.height == 0 or column not in actions.columns:
            return []
        live = actions.filter(pl.col("num_records").fill_null(1) > 0)
        return live[column].drop_nulls().unique().sort().to_list()
    if "exchange" not in spec.column_names:
        return []
    names = pl.scan_delta(table).select("exchange").unique().collect()["exchange"]
    return names.drop_nulls().sort().to_list()


def check_exchanges(
    table: DeltaTable | None,
    spec: TableSpec,
    exchanges: Sequence[str] | None,
    version: int | None = None,
) -> None:
    """Raise :class:`ExchangeNotInTableError` for each asked exchange without rows in
    ``table`` (opened with :func:`open_delta`), listing the exchanges it holds and the
    closest names. A table never written (None: an empty frame by contract) passes."""
    if not exchanges or table is None:
        return
    known = table_exchanges(table, spec)
    missing = [e for e in exchanges if e not in known]
    if not missing:
        return
    others = [k for k in known if k not in exchanges]
    close = list(dict.fromkeys(c for name in missing for c in suggest_names(name, others)))
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    held = (
        f"exchanges in {spec.name}: {', '.join(known)}"
        if known
        else f"table {spec.name!r} has no rows yet"
    )
    where = "" if version is None else f" at version {version}"
    raise ExchangeNotInTableError(
        f"exchange {', '.join(map(repr, missing))} has no rows in table {spec.name!r}{where}"
        f"{hint}; {held}. Check the spelling, or list what the lake holds with "
        "`pointline coverage LAKE`"
    )
