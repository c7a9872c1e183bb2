"""Keep stored rows consistent with dim_symbol: every row carries the id of the window its
``ts_event_us`` falls in, or is in quarantine as ``symbol_not_covered``.

A symbols import can move or end windows whose ids are already stamped on rows. Restamping
finds such rows without reading them all: per event table one aggregation
``(exchange, symbol, symbol_id) -> min/max ts_event_us`` tells which stored ids no longer
cover their rows (windows are intervals, so min and max inside the window means every row
is). Only those groups are touched:

1. rows no window covers are appended to the quarantine table (reason
   ``symbol_not_covered``), skipping rows a previous attempt already put there (one commit);
2. the partitions holding rows that change are rewritten in ONE Silver commit (a
   partition-scoped overwrite, as compaction does): uncovered rows left out, the others with
   the covering window's id; a reader sees the table before or after, never in between;
3. the manifest's rows_written / rows_quarantined of the files concerned are recounted.

Every step is idempotent, so an interrupted restamp is finished by running it again (the
journal in :mod:`pointline_core.symbols` records which symbols still need it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import polars as pl

from pointline_core.errors import StorageError
from pointline_core.schemas.spec import TableSpec
from pointline_core.schemas.tables import CORE_TABLES
from pointline_core.storage.delta import open_table, partition_predicate, write_stream
from pointline_core.storage.dim_symbol import PartitionRef, TableRestamp, resolve_symbol_ids
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore, StatusUpdate, manifest_entries
from pointline_core.storage.quarantine import QuarantineStore

SYMBOL_NOT_COVERED = "symbol_not_covered"
_GROUP = ["exchange", "symbol", "symbol_id"]
_DIMENSIONS = frozenset(s.name for s in CORE_TABLES if s.kind == "dimension")


def event_tables(lake: Lake) -> list[str]:
    """Names of the Silver tables in the lake that hold events (every table but the core's
    dimensions: dim_symbol, dim_trading_calendar)."""
    silver = lake.root / "silver"
    if not silver.is_dir():
        return []
    return sorted(
        p.name
        for p in silver.iterdir()
        if p.name not in _DIMENSIONS and (p / "_delta_log").is_dir()
    )


def stale_groups(
    table_path: Path,
    dim: pl.DataFrame,
    keys: pl.DataFrame | None,
    where: pl.Expr | None = None,
) -> pl.DataFrame:
    """The (exchange, symbol, symbol_id) groups of a table whose stored id's window does not
    cover all their rows, with ``lo``/``hi`` = their ts_event_us range (``keys`` limits the
    symbols looked at: exchange, exchange_symbol; ``where`` filters the rows, e.g. on
    exchange or symbol)."""
    table = open_table(table_path)
    if table is None:
        return pl.DataFrame(schema={**dict.fromkeys(_GROUP), "lo": pl.Int64, "hi": pl.Int64})
    scan = _scan_keys(pl.scan_delta(table), keys, where)
    groups = (
        scan.group_by(_GROUP)
        .agg(lo=pl.col("ts_event_us").min(), hi=pl.col("ts_event_us").max())
        .collect()
    )
    windows = dim.select(
        pl.col("exchange"),
        pl.col("exchange_symbol").alias("symbol"),
        pl.col("symbol_id"),
        pl.col("valid_from_ts_us").alias("_from"),
        pl.col("valid_until_ts_us").alias("_until"),
    )
    joined = groups.join(windows, on=_GROUP, how="left")
    ok = (
        pl.col("_from").is_not_null()
        & (pl.col("_from") <= pl.col("lo"))
        & (pl.col("hi") < pl.col("_until"))
    )
    return joined.filter(~ok).select(*_GROUP, "lo", "hi").sort(_GROUP)


def _scan_keys(
    scan: pl.LazyFrame, keys: pl.DataFrame | None, where: pl.Expr | None = None
) -> pl.LazyFrame:
    if where is not None:
        scan = scan.filter(where)
    if keys is None:
        return scan
    keys = keys.select(pl.col("exchange"), pl.col("exchange_symbol").alias("symbol"))
    # Plain is_in filters first: they prune partitions and row groups.
    return scan.filter(
        pl.col("exchange").is_in(keys["exchange"].unique().to_list())
        & pl.col("symbol").is_in(keys["symbol"].unique().to_list())
    ).join(keys.lazy(), on=["exchange", "symbol"], how="semi")


@attrs.frozen(slots=True)
class _Affected:
    """The rows of stale groups: lineage, new id (null = uncovered)."""

    rows: pl.DataFrame

    @property
    def restamped(self) -> int:
        new = pl.col("new_id")
        return self.rows.select((new.is_not_null() & (new != pl.col("symbol_id"))).sum()).item()

    @property
    def uncovered(self) -> pl.DataFrame:
        return self.rows.filter(pl.col("new_id").is_null())

    @property
    def partitions(self) -> tuple[PartitionRef, ...]:
        """The partitions of the rows that change (restamped or quarantined), sorted."""
        new = pl.col("new_id")
        parts = (
            self.rows.filter(new.is_null() | (new != pl.col("symbol_id")))
            .select("exchange", "trading_date")
            .unique()
            .sort("exchange", "trading_date")
        )
        return tuple(PartitionRef(*row) for row in parts.iter_rows())


def _affected(table_path: Path, stale: pl.DataFrame, dim: pl.DataFrame) -> _Affected:
    table = open_table(table_path)
    assert table is not None
    rows = (
        pl.scan_delta(table)
        .filter(
            pl.col("exchange").is_in(stale["exchange"].unique().to_list())
            & pl.col("symbol").is_in(stale["symbol"].unique().to_list())
        )
        .join(stale.lazy().select(_GROUP), on=_GROUP, how="semi")
        .select(*_GROUP, "ts_event_us", "trading_date", "file_id", "file_seq")
        .collect()
    )
    rows = rows.with_columns(new_id=resolve_symbol_ids(rows, dim))
    return _Affected(rows)


def _quarantine_rows(store: EventStore, uncovered: pl.DataFrame, qspec: TableSpec) -> pl.DataFrame:
    """Full rows of ``uncovered`` (lineage) in the quarantine table's shape."""
    table = store.table()
    assert table is not None
    lineage = uncovered.select("file_id", "file_seq")
    full = (
        pl.scan_delta(table)
        .filter(pl.col("file_id").is_in(lineage["file_id"].unique().to_list()))
        .join(lineage.lazy(), on=["file_id", "file_seq"], how="semi")
        .collect()
    )
    detail = pl.format(
        "no dim_symbol window for {}:{} at ts_event_us={} (moved by a symbols import; it "
        "carried symbol_id {})",
        pl.col("exchange"),
        pl.col("symbol"),
        pl.col("ts_event_us"),
        pl.col("symbol_id"),
    )
    full = full.with_columns(reason=pl.lit(SYMBOL_NOT_COVERED), detail=detail).with_columns(
        symbol_id=pl.lit(None, pl.Int64)
    )
    return full.select(qspec.column_names).cast(dict(qspec.polars_schema()))


def _move_to_quarantine(lake: Lake, spec: TableSpec, affected: _Affected) -> None:
    """Append the uncovered rows to quarantine (skipping any an earlier attempt put there)."""
    uncovered = affected.uncovered
    if not uncovered.height:
        return
    quarantine = QuarantineStore(lake, spec)
    rows = _quarantine_rows(EventStore(lake, spec), uncovered, quarantine.spec)
    qtable = quarantine.table()
    if qtable is not None:
        # a previous attempt may have appended these rows before it was interrupted
        there = (
            pl.scan_delta(qtable)
            .filter(pl.col("file_id").is_in(rows["file_id"].unique().to_list()))
            .select("file_id", "file_seq")
            .collect()
        )
        rows = rows.join(there, on=["file_id", "file_seq"], how="anti")
    if rows.height:
        quarantine.append([rows], rows["file_id"].unique().sort().to_list())


def _rewrite_partitions(lake: Lake, spec: TableSpec, affected: _Affected) -> None:
    """Rewrite the partitions whose rows change in one commit: rows of stale groups get
    their new id, or are left out when no window covers them (they are in quarantine now).
    Memory is bounded by the largest such partition, as for compaction."""
    parts = affected.partitions
    if not parts:
        return
    events = EventStore(lake, spec)
    new_ids = affected.rows.select("file_id", "file_seq", "new_id", _hit=pl.lit(True))
    with events.lock():
        table = events.table()
        assert table is not None

        def frames() -> Iterator[pl.DataFrame]:
            for part in parts:
                frame = (
                    pl.scan_delta(table)
                    .filter(
                        (pl.col("exchange") == part.exchange)
                        & (pl.col("trading_date") == part.trading_date)
                    )
                    .join(new_ids.lazy(), on=["file_id", "file_seq"], how="left")
                    .filter(~(pl.col("_hit").fill_null(False) & pl.col("new_id").is_null()))
                    .with_columns(
                        symbol_id=pl.when(pl.col("_hit")).then("new_id").otherwise("symbol_id")
                    )
                    .collect()
                )
                yield frame.select(spec.column_names).cast(dict(spec.polars_schema()))

        keys = [{"exchange": p.exchange, "trading_date": p.trading_date.isoformat()} for p in parts]
        predicate = " OR ".join(f"({partition_predicate(k)})" for k in keys)
        write_stream(events.path, spec, frames(), mode="overwrite", predicate=predicate)


def _now_covered(
    lake: Lake,
    spec: TableSpec,
    dim: pl.DataFrame,
    keys: pl.DataFrame | None,
    where: pl.Expr | None,
) -> int:
    table = open_table(QuarantineStore(lake, spec).path)
    if table is None:
        return 0
    rows = (
        _scan_keys(pl.scan_delta(table), keys, where)
        .filter(pl.col("reason") == SYMBOL_NOT_COVERED)
        .select("exchange", "symbol", "ts_event_us")
        .collect()
    )
    if not rows.height:
        return 0
    return int(resolve_symbol_ids(rows, dim).is_not_null().sum())


def _rows_per_file(store: EventStore, file_ids: Sequence[int]) -> dict[int, int]:
    """Rows of each of ``file_ids`` in ``store``'s table (one scan)."""
    table = open_table(store.path)
    if table is None:
        return {}
    counts = (
        pl.scan_delta(table)
        .filter(pl.col("file_id").is_in(list(file_ids)))
        .group_by("file_id")
        .len()
        .collect()
    )
    return dict(counts.iter_rows())


def _recount_manifest(
    lake: Lake, specs: Mapping[str, TableSpec], moved: Mapping[str, Sequence[int]]
) -> None:
    """rows_written / rows_quarantined of the files whose rows moved, counted from the
    tables (one scan per table and zone; idempotent: counts, not deltas); a ``success``
    file that now has quarantined rows becomes ``quarantined``."""
    ids = sorted({i for table_ids in moved.values() for i in table_ids})
    if not ids:
        return
    written: dict[int, int] = {}
    quarantined: dict[int, int] = {}
    for table, table_ids in moved.items():
        written |= _rows_per_file(EventStore(lake, specs[table]), table_ids)
        quarantined |= _rows_per_file(QuarantineStore(lake, specs[table]), table_ids)
    manifest = ManifestStore(lake)
    entries = manifest_entries(manifest.frame().filter(pl.col("file_id").is_in(ids)))
    updates = []
    for e in entries:
        q = quarantined.get(e.file_id, 0)
        updates.append(
            StatusUpdate(
                file_id=e.file_id,
                status="quarantined" if e.status == "success" and q else e.status,
                table_name=e.table_name,
                rows_total=e.rows_total,
                rows_written=written.get(e.file_id, 0),
                rows_quarantined=q,
                trading_date_min=e.trading_date_min,
                trading_date_max=e.trading_date_max,
                status_reason=e.status_reason,
            )
        )
    manifest.update(updates)


def restamp(
    lake: Lake,
    specs: Mapping[str, TableSpec],
    dim: pl.DataFrame,
    *,
    keys: pl.DataFrame | None = None,
    dry_run: bool = False,
    tables: Sequence[str] | None = None,
    where: pl.Expr | None = None,
) -> tuple[TableRestamp, ...]:
    """Make every stored row of ``keys`` (all symbols when None) carry the id ``dim`` gives
    its ``ts_event_us``, or move it to quarantine. ``dry_run`` counts without writing.
    ``tables`` limits the event tables looked at, ``where`` the rows (a filter on their
    exchange and symbol columns); only partitions holding rows that change are rewritten.

    ``specs`` maps every event table of the lake to its spec (tables a plugin contributed
    need that plugin installed). The caller holds the lake's ingest lock.
    """
    results = []
    moved_files: dict[str, list[int]] = {}
    for name in event_tables(lake):
        if tables is not None and name not in tables:
            continue
        spec = specs.get(name)
        if spec is None:
            raise StorageError(
                f"table {name!r} in {lake.root / 'silver'} has no known spec, so its rows "
                "cannot be checked against dim_symbol; install the plugin that contributes "
                f"{name!r} and rerun (`pointline restamp {lake.root}` finishes the job)"
            )
        path = lake.table_path(name, "silver")
        stale = stale_groups(path, dim, keys, where)
        covered_now = _now_covered(lake, spec, dim, keys, where)
        if not stale.height:
            if covered_now:
                results.append(TableRestamp(name, quarantined_now_covered=covered_now))
            continue
        affected = _affected(path, stale, dim)
        results.append(
            TableRestamp(
                name,
                rows_restamped=affected.restamped,
                rows_quarantined=affected.uncovered.height,
                quarantined_now_covered=covered_now,
                partitions=affected.partitions,
            )
        )
        if dry_run:
            continue
        _move_to_quarantine(lake, spec, affected)
        _rewrite_partitions(lake, spec, affected)
        moved_files[name] = affected.uncovered["file_id"].unique().sort().to_list()
    if not dry_run:
        _recount_manifest(lake, specs, moved_files)
    return tuple(results)
