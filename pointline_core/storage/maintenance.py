"""Explicit table maintenance: partition compaction in tie-break order, and vacuum.

Nothing here runs implicitly on event tables: compaction rewrites files and vacuum deletes
them, so an operator chooses when. Both take the table's write lock, so they never race an
ingest append into the same table.

Compaction does not use delta-rs ``optimize.compact``: that bin-packs files in no particular
row order, while readers replay in the spec's tie-break order and benefit from files that are
already sorted. Instead the named partitions are read, sorted by the tie-break keys and
written back with a partition-scoped overwrite (``replaceWhere``) in one commit; Delta's
application transactions live in the log, so exactly-once markers survive.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import attrs
import polars as pl
from deltalake import CommitProperties, DeltaTable

from pointline_core.errors import MaintenanceError, StorageError, UnknownTableError
from pointline_core.schemas.spec import TableSpec
from pointline_core.schemas.tables import CORE_TABLES, UPSTREAM_LEDGER
from pointline_core.storage.delta import (
    add_actions,
    check_table_schema,
    open_table,
    partition_predicate,
    write_stream,
)
from pointline_core.storage.environment import table_io
from pointline_core.storage.lake import Lake, Zone
from pointline_core.storage.quarantine import quarantine_spec

#: Default small-file threshold: a partition with fewer live files is left alone.
DEFAULT_MIN_FILES = 2

PartitionValues = dict[str, str | None]
#: Commit info of a compaction (an overwrite commit otherwise looks like any other write).
COMPACT_COMMIT_INFO = {"pointline.operation": "compact"}


@attrs.frozen(slots=True)
class PartitionCompaction:
    """One named partition: what compaction did (or would do) to it.

    ``action``: ``compacted``, ``would_compact`` (dry run), ``skipped`` (fewer than
    ``min_files`` files) or ``missing`` (no live file in that partition).
    """

    partition: PartitionValues
    action: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int
    bytes_after: int


@attrs.frozen(slots=True)
class CompactReport:
    table: str
    zone: str
    path: str
    dry_run: bool
    min_files: int
    tie_break: tuple[str, ...]
    version_before: int
    version_after: int | None
    partitions: list[PartitionCompaction]


@attrs.frozen(slots=True)
class VacuumReport:
    """Files vacuum removed (or, in a dry run, would remove), relative to the table root.

    Only files that were on disk are listed: files an earlier vacuum already deleted are not
    reported again."""

    table: str
    zone: str
    path: str
    dry_run: bool
    retention_hours: int | None
    enforce_retention: bool
    remove_orphans: bool
    file_count: int
    files: list[str]


def table_lock_name(table: str, zone: Zone) -> str:
    """The lock every writer of the table takes, so maintenance never races one.

    ``<zone>-<table>`` (event and quarantine stores, the manifest, dim_symbol, the validation
    log), except the upstream ledger, whose writer (``pointline extract``) locks
    ``_locks/upstream_ledger.lock``.
    """
    if zone == "control" and table == UPSTREAM_LEDGER.name:
        return UPSTREAM_LEDGER.name
    return f"{zone}-{table}"


def core_spec(table: str) -> TableSpec:
    for spec in CORE_TABLES:
        if spec.name == table:
            return spec
    raise UnknownTableError(
        f"unknown table {table!r}; core tables: {', '.join(s.name for s in CORE_TABLES)}. "
        "For a plugin table pass its TableSpec (spec=...), as `pointline compact` does."
    )


def _resolve_spec(table: str, zone: Zone, spec: TableSpec | None) -> TableSpec:
    base = spec if spec is not None else core_spec(table)
    if base.name != table:
        raise MaintenanceError(f"spec {base.name!r} was passed for table {table!r}")
    return quarantine_spec(base) if zone == "quarantine" else base


def _open(lake: Lake, table: str, zone: Zone) -> tuple[DeltaTable, str]:
    path = lake.table_path(table, zone)
    delta = open_table(path)
    if delta is None:
        raise StorageError(
            f"no Delta table {table!r} at {path}; check the lake root and --zone "
            "(silver, quarantine, control or gold)"
        )
    return delta, str(path)


def _normalise_partitions(
    spec: TableSpec, partitions: Sequence[Mapping[str, object]]
) -> list[PartitionValues]:
    keys = set(spec.partition_by)
    out: list[PartitionValues] = []
    for part in partitions:
        if set(part) != keys:
            raise MaintenanceError(
                f"partition {dict(part)} of table {spec.name!r} must name exactly its "
                f"partition columns {list(spec.partition_by)} (got {sorted(part)})"
            )
        values: PartitionValues = {}
        for key in spec.partition_by:
            value = part[key]
            if isinstance(value, date):
                value = value.isoformat()
            values[key] = None if value is None else str(value)
            if value is not None:
                _typed_value(spec, key, str(value))
        if values not in out:
            out.append(values)
    if not out:
        raise MaintenanceError(f"compact {spec.name!r}: name at least one partition")
    return out


def _files_by_partition(delta: DeltaTable, spec: TableSpec) -> pl.DataFrame:
    """Live files with their partition values as strings (what a user types)."""
    actions = add_actions(delta)
    renames = {f"partition.{k}": k for k in spec.partition_by}
    return actions.rename(renames).with_columns(
        pl.col(k).cast(pl.String) for k in spec.partition_by
    )


def _match(values: PartitionValues) -> pl.Expr:
    terms = [pl.col(k).is_null() if v is None else (pl.col(k) == v) for k, v in values.items()]
    return pl.all_horizontal(terms) if terms else pl.lit(True)


def _typed_value(spec: TableSpec, key: str, value: str) -> object:
    """A partition value string as a Python value of the column's dtype (for pruning)."""
    dtype = spec.column(key).polars_dtype()
    try:
        if dtype == pl.Date:
            return date.fromisoformat(value)
        if dtype.is_integer():
            return int(value)
        if dtype == pl.Boolean:
            return {"true": True, "false": False}[value.lower()]
    except (ValueError, KeyError):
        raise MaintenanceError(
            f"partition value {value!r} is not a valid {dtype} for column {key!r} of "
            f"table {spec.name!r}; write it as on disk (dates as YYYY-MM-DD, e.g. "
            f"{key}=2024-05-01)"
        ) from None
    return value


def _typed_match(spec: TableSpec, values: PartitionValues) -> pl.Expr:
    """Row filter for one partition, comparing in the column dtypes so scans can prune."""
    terms = []
    for key, value in values.items():
        if value is None:
            terms.append(pl.col(key).is_null())
        else:
            literal = pl.lit(_typed_value(spec, key, value), spec.column(key).polars_dtype())
            terms.append(pl.col(key) == literal)
    return pl.all_horizontal(terms) if terms else pl.lit(True)


def compact_partitions(
    lake: Lake,
    table: str,
    partitions: Sequence[Mapping[str, object]],
    *,
    dry_run: bool = False,
    min_files: int = DEFAULT_MIN_FILES,
    spec: TableSpec | None = None,
    zone: Zone = "silver",
) -> CompactReport:
    """Rewrite each named partition (keys checked against the spec) into as few files as the
    writer's target size allows, rows sorted by the tie-break keys, in ONE commit.

    Row content is unchanged; partitions with fewer than ``min_files`` files are skipped;
    ``dry_run`` reports the plan and commits nothing. For an unpartitioned table pass
    ``[{}]``.
    """
    spec = _resolve_spec(table, zone, spec)
    wanted = _normalise_partitions(spec, partitions)
    if min_files < 1:
        raise MaintenanceError(f"min_files must be at least 1 (got {min_files})")
    path = lake.table_path(table, zone)
    with lake.lock(table_lock_name(table, zone)), table_io(path, lake.root):
        delta, where = _open(lake, table, zone)
        check_table_schema(delta, spec, path)
        version_before = delta.version()
        files = _files_by_partition(delta, spec)
        plan: list[tuple[PartitionValues, pl.DataFrame]] = [
            (values, files.filter(_match(values))) for values in wanted
        ]
        todo = [(v, f) for v, f in plan if f.height >= min_files]
        version_after: int | None = None
        if todo and not dry_run:
            predicate = " OR ".join(f"({partition_predicate(v)})" for v, _ in todo)
            write_stream(
                path,
                spec,
                _sorted_partitions(delta, spec, todo),
                mode="overwrite",
                predicate=predicate,
                # `pointline stats` finds the last compaction by this mark in the log.
                commit_properties=CommitProperties(custom_metadata=COMPACT_COMMIT_INFO),
            )
            delta = DeltaTable(where)
            version_after = delta.version()
            files = _files_by_partition(delta, spec)
    results = []
    for values, before in plan:
        after = files.filter(_match(values)) if version_after is not None else before
        if before.height == 0:
            action = "missing"
        elif before.height < min_files:
            action = "skipped"
        else:
            action = "would_compact" if dry_run else "compacted"
        results.append(
            PartitionCompaction(
                partition=values,
                action=action,
                files_before=before.height,
                files_after=after.height,
                rows=int(before["num_records"].sum()),
                bytes_before=int(before["size_bytes"].sum()),
                bytes_after=int(after["size_bytes"].sum()),
            )
        )
    return CompactReport(
        table=table,
        zone=zone,
        path=where,
        dry_run=dry_run,
        min_files=min_files,
        tie_break=spec.tie_break,
        version_before=version_before,
        version_after=version_after,
        partitions=results,
    )


def _sorted_partitions(
    delta: DeltaTable, spec: TableSpec, todo: Sequence[tuple[PartitionValues, pl.DataFrame]]
) -> Iterator[pl.DataFrame]:
    """One partition at a time (memory is bounded by the largest partition), sorted."""
    for values, files in todo:
        frame = pl.scan_delta(delta).filter(_typed_match(spec, values)).collect()
        expected = int(files["num_records"].sum())
        if frame.height != expected:
            # Raising inside the stream aborts the overwrite before it commits.
            raise MaintenanceError(
                f"compaction of {spec.name} partition {values} read {frame.height} rows but "
                f"the log lists {expected}; nothing was committed"
            )
        frame = frame.cast(dict(spec.polars_schema()))
        if spec.tie_break:
            frame = frame.sort(list(spec.tie_break), maintain_order=True)
        yield frame


def _vacuum_call(
    delta: DeltaTable,
    where: str,
    retention_hours: int | None,
    dry_run: bool,
    enforce_retention: bool,
    remove_orphans: bool,
) -> list[str]:
    try:
        return list(
            delta.vacuum(
                retention_hours=retention_hours,
                dry_run=dry_run,
                enforce_retention_duration=enforce_retention,
                full=remove_orphans,
            )
        )
    except Exception as exc:  # delta-rs raises a generic DeltaError
        if "retention" in str(exc).lower():
            raise MaintenanceError(
                f"vacuum of {where} refused: {exc}. Use a longer retention, or disable "
                "the check explicitly (enforce_retention=False / --no-enforce-retention) "
                "if no reader needs older versions."
            ) from exc
        raise


def _table_relative(path: str, root: str) -> str:
    """A file path as delta-rs reports it (relative, absolute or a ``file://`` URL) ->
    relative to the table root with ``/`` separators, percent-decoded as on disk."""
    text = unquote(urlparse(path).path) if path.startswith("file:") else unquote(path)
    if not text.startswith("/"):
        return text.lstrip("/")
    for base in {Path(root).as_posix(), Path(root).resolve().as_posix()}:
        prefix = base.rstrip("/") + "/"
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _on_disk(root: str, rel: str) -> bool:
    return (Path(root) / rel).exists()


def vacuum_table(
    lake: Lake,
    table: str,
    *,
    dry_run: bool = True,
    retention_hours: int | None = None,
    enforce_retention: bool = True,
    remove_orphans: bool = False,
    zone: Zone = "silver",
) -> VacuumReport:
    """Delete files the table no longer references and that are older than the retention.

    A dry run (the default) only lists them. ``retention_hours`` below the table's
    ``delta.deletedFileRetentionDuration`` (default 7 days) is refused unless
    ``enforce_retention=False``: time travel to older versions needs those files.
    ``remove_orphans`` also removes files no commit ever referenced (left by crashed
    writers), not only files removed by later commits.

    The report lists files that exist on disk (dry run) or that this call deleted, relative
    to the table root: a second ``--execute`` run reports nothing removed.
    """
    if retention_hours is not None and retention_hours < 0:
        raise MaintenanceError(f"retention_hours must be >= 0 (got {retention_hours})")
    path = lake.table_path(table, zone)
    with lake.lock(table_lock_name(table, zone)), table_io(path, lake.root):
        delta, where = _open(lake, table, zone)
        # delta-rs lists every tombstone past the retention, whether or not an earlier vacuum
        # already deleted its file, and in either relative or absolute form: list first, keep
        # the files still on disk (relative to the table root), and after deleting report only
        # the ones that are gone.
        listed = _vacuum_call(
            delta, where, retention_hours, True, enforce_retention, remove_orphans
        )
        present = sorted({rel for rel in (_table_relative(f, where) for f in listed) if rel})
        present = [rel for rel in present if _on_disk(where, rel)]
        if not dry_run and present:
            _vacuum_call(delta, where, retention_hours, False, enforce_retention, remove_orphans)
            present = [rel for rel in present if not _on_disk(where, rel)]
    relative = present
    return VacuumReport(
        table=table,
        zone=zone,
        path=where,
        dry_run=dry_run,
        retention_hours=retention_hours,
        enforce_retention=enforce_retention,
        remove_orphans=remove_orphans,
        file_count=len(relative),
        files=relative,
    )
