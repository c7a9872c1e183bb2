"""Rewrite a lake written with Int64 fixed point (plugin API 1.x) to exact decimals.

Prices and quantities used to be stored as ``Int64`` ``round(value * 10**9)`` /
``round(value * 10**8)`` (amounts ``10**4``); they are now ``Decimal(38, 18)`` /
``Decimal(38, 8)`` (docs/numeric-representation.md). A column changing type is not an
additive migration: each affected table is rewritten, partition by partition (bounded
memory: one partition in memory at a time), into ONE overwrite commit that also replaces the
schema. The conversion is exact integer arithmetic (``n * 10**-legacy_scale`` in Decimal).
Rows, order within a partition, file ids and ingest markers are unchanged; a table already
in decimals is left alone, so running it twice is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import polars as pl
from deltalake import DeltaTable

from pointline_core import fixedpoint
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.schemas.spec import ColumnSpec, TableSpec
from pointline_core.storage.delta import (
    legacy_int64_columns,
    open_table,
    with_missing_columns,
    write_stream,
)
from pointline_core.storage.dim_symbol import LOCK_NAME as DIM_SYMBOL_LOCK
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake, writer_lock
from pointline_core.storage.partitioned_writer import commit_files, discard_files, write_files
from pointline_core.storage.quarantine import QuarantineStore
from pointline_core.storage.symbol_history import ObservationStore


@attrs.frozen(slots=True)
class DecimalRewriteReport:
    """Tables rewritten to decimals (``zone/table``) and those already in decimals."""

    lake_root: str
    rewritten: tuple[str, ...]
    unchanged: tuple[str, ...]


@attrs.frozen(slots=True)
class _Target:
    label: str
    path: Path
    spec: TableSpec
    lock_name: str


def _targets(lake: Lake, plugins: Plugins) -> list[_Target]:
    targets = []
    for name in plugins.tables.names():
        spec = plugins.tables.get(name)
        if spec.kind != "event":
            continue
        for store in (EventStore(lake, spec), QuarantineStore(lake, spec)):
            targets.append(_Target(f"{store.zone}/{name}", store.path, store.spec, store.lock_name))
    dim = DimSymbolStore(lake)
    targets.append(_Target(f"silver/{dim.spec.name}", dim.path, dim.spec, DIM_SYMBOL_LOCK))
    obs = ObservationStore(lake)
    # Observations are only written under the lake writer lock (symbols import).
    targets.append(_Target(f"control/{obs.spec.name}", obs.path, obs.spec, ""))
    return targets


def _converted(col: ColumnSpec) -> pl.Expr:
    """Int64 fixed point at the column's legacy scale -> its decimal dtype, exactly."""
    assert col.legacy_int64_scale is not None and col.scale is not None
    if col.dtype.startswith("List["):
        return (
            pl.col(col.name)
            .list.eval(fixedpoint.from_int64(pl.element(), col.legacy_int64_scale, col.scale))
            .alias(col.name)
        )
    return fixedpoint.from_int64(col.name, col.legacy_int64_scale, col.scale).alias(col.name)


def _partition_frames(
    table: DeltaTable, spec: TableSpec, legacy: list[str]
) -> Iterator[pl.DataFrame]:
    """The table's rows in the spec's dtypes, one partition at a time."""
    keys = list(spec.partition_by)
    lazy = with_missing_columns(pl.scan_delta(table), spec)
    lazy = lazy.with_columns(_converted(spec.column(name)) for name in legacy)
    lazy = lazy.select(spec.column_names)
    if not keys:
        yield lazy.collect().cast(dict(spec.polars_schema()))
        return
    partitions = pl.scan_delta(table).select(keys).unique().sort(keys, nulls_last=True).collect()
    for values in partitions.iter_rows(named=True):
        match = pl.all_horizontal(pl.col(k).eq_missing(v) for k, v in values.items())
        yield lazy.filter(match).collect().cast(dict(spec.polars_schema()))


def rewrite_table(path: Path, spec: TableSpec) -> bool:
    """Rewrite one table's Int64 fixed-point columns as decimals in one commit; False if it
    is missing or already in decimals. The caller holds the lake writer lock."""
    table = open_table(path)
    if table is None:
        return False
    legacy = legacy_int64_columns(table, spec)
    if not legacy:
        return False
    frames = _partition_frames(table, spec, legacy)
    if not spec.partition_by:  # dim_symbol, symbol_observations: small, one frame
        write_stream(path, spec, frames, mode="overwrite", schema_mode="overwrite")
        return True
    # The ingest writer (exact Decimal file statistics), then one overwrite commit that also
    # replaces the schema; the old files stay on disk until vacuum, like any overwrite.
    written = write_files(path, spec, frames)
    try:
        commit_files(table, spec, written.files, mode="overwrite")
    except BaseException:
        discard_files(path, written.files)
        raise
    return True


def rewrite_decimals(
    lake_root: str | Path, plugins: Plugins | None = None, *, progress: bool = True
) -> DecimalRewriteReport:
    """Rewrite every table of the lake that still stores Int64 fixed point; idempotent.

    Holds the lake writer lock (no ingest, symbols import or restamp runs meanwhile) and each
    table's own write lock (no compaction or vacuum of it).
    """
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    rewritten: list[str] = []
    unchanged: list[str] = []
    with writer_lock(lake, "migrate --rewrite-decimals", progress=progress):
        for target in _targets(lake, plugins):
            if open_table(target.path) is None:
                continue
            lock = lake.lock(target.lock_name) if target.lock_name else contextlib.nullcontext()
            with lock:
                changed = rewrite_table(target.path, target.spec)
            (rewritten if changed else unchanged).append(target.label)
    return DecimalRewriteReport(str(lake.root), tuple(rewritten), tuple(unchanged))
