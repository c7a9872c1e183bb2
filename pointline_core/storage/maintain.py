"""``pointline maintain``: apply the lake's maintenance policy to every table.

Per table, in order: compact the partitions the policy names (closed trading days holding
too many files), vacuum files past the retention, write a checkpoint at the final version.

Safe next to a running ingest. Lock order: ingest holds the lake's writer lock
(``_locks/ingest.lock``) for its whole run and takes a table's lock (``<zone>-<table>``)
around each commit; maintain never takes the writer lock and holds at most one table lock at
a time, around each compaction, checkpoint and vacuum. No cycle, so no deadlock; each
commit of either sees the other's finished commits. Files an ingest worker has written but
not yet committed are not referenced by any version: a plain vacuum (not ``full``) never
deletes those, and compaction rewrites only the files of the version it read.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import polars as pl
from deltalake import DeltaTable

from pointline_core.errors import SchemaMismatchError, UnknownTableError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.query.specs import table_spec
from pointline_core.schemas.spec import TableSpec
from pointline_core.storage.delta import add_actions
from pointline_core.storage.lake import Lake, Zone
from pointline_core.storage.maintenance import (
    compact_partitions,
    table_lock_name,
    vacuum_table,
)
from pointline_core.storage.policy import MaintenancePolicy, load_policy
from pointline_core.storage.stats import table_paths


@attrs.frozen(slots=True)
class TableMaintenance:
    """What maintain did (or, in a dry run, would do) to one table.

    ``checkpoint``: ``written``, ``would_write``, ``current`` (one exists at this version)
    or ``disabled``."""

    table: str
    zone: str
    partitions_compacted: int
    files_before: int
    files_after: int
    checkpoint: str
    files_vacuumed: int
    skipped: str | None = None


@attrs.frozen(slots=True)
class MaintainReport:
    lake_root: str
    dry_run: bool
    policy: MaintenancePolicy
    today: dt.date
    tables: list[TableMaintenance]


def maintain(
    lake_root: str | Path,
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    plugins: Plugins | None = None,
) -> MaintainReport:
    """Apply ``control/policy.toml`` (or the defaults) to every Delta table of the lake.

    Idempotent: a second run finds nothing left to compact, its checkpoints current and
    nothing past the retention. ``today`` (UTC by default) dates the ``older_than_days``
    rule.
    """
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    policy = load_policy(lake)
    today = today or dt.datetime.now(dt.UTC).date()
    results = []
    for zone, path in table_paths(lake):
        try:
            spec = table_spec(path.name, plugins=plugins)  # core, Gold, then plugin tables
        except UnknownTableError:
            why = "no spec: the plugin that defines this table is not installed"
            results.append(TableMaintenance(path.name, zone, 0, 0, 0, "disabled", 0, why))
            continue
        results.append(_one(lake, spec, zone, policy, today, dry_run))  # type: ignore[arg-type]
    return MaintainReport(str(lake.root), dry_run, policy, today, results)


def _one(
    lake: Lake, spec: TableSpec, zone: Zone, policy: MaintenancePolicy, today: dt.date, dry: bool
) -> TableMaintenance:
    path = lake.table_path(spec.name, zone)
    before = after = compacted = 0
    due = _due_partitions(DeltaTable(str(path)), spec, zone, policy, today)
    if due:
        try:
            report = compact_partitions(
                lake,
                spec.name,
                due,
                dry_run=dry,
                min_files=policy.compact.max_files + 1,
                spec=spec,
                zone=zone,
            )
        except SchemaMismatchError as exc:
            # A table written before its spec gained columns: compaction needs the exact
            # schema (the message says to run `pointline migrate`). The rest of the lake is
            # still maintained.
            why = f"not maintained: {exc}"
            return TableMaintenance(spec.name, zone, 0, 0, 0, "disabled", 0, why)
        done = [p for p in report.partitions if p.action in ("compacted", "would_compact")]
        compacted = len(done)
        before = sum(p.files_before for p in done)
        after = sum(p.files_after for p in done)
    vacuumed = 0
    if policy.vacuum.enabled:
        vacuumed = vacuum_table(
            lake,
            spec.name,
            dry_run=dry,
            retention_hours=policy.vacuum.retention_hours,
            enforce_retention=policy.vacuum.enforce_retention,
            zone=zone,
        ).file_count
    # Last: vacuum commits too, and the checkpoint should cover the final version.
    checkpoint = _checkpoint(lake, spec.name, zone, policy, dry)
    return TableMaintenance(spec.name, zone, compacted, before, after, checkpoint, vacuumed)


def _due_partitions(
    delta: DeltaTable, spec: TableSpec, zone: str, policy: MaintenancePolicy, today: dt.date
) -> list[dict[str, str | None]]:
    """Partitions of closed trading days (older than the policy's age) with too many files."""
    if "trading_date" not in spec.partition_by or zone == "control":
        return []
    live = add_actions(delta)
    if not live.height:
        return []
    keys = [f"partition.{k}" for k in spec.partition_by]
    cutoff = today - dt.timedelta(days=policy.compact.older_than_days)
    # Null (Delta's default partition) and unparsable dates are never due.
    day = pl.col("partition.trading_date").cast(pl.String).str.to_date("%Y-%m-%d", strict=False)
    due = (
        live.group_by(keys)
        .agg(files=pl.len())
        .filter(
            pl.col("files") > policy.compact.max_files,
            day <= cutoff,
        )
        .sort(keys)
    )
    return [
        {k.removeprefix("partition."): (None if v is None else str(v)) for k, v in row.items()}
        for row in due.select(keys).iter_rows(named=True)
    ]


def _checkpoint(lake: Lake, table: str, zone: Zone, policy: MaintenancePolicy, dry: bool) -> str:
    if not policy.checkpoint.enabled:
        return "disabled"
    path = lake.table_path(table, zone)
    with lake.lock(table_lock_name(table, zone)):
        delta = DeltaTable(str(path))
        if _last_checkpoint(path) == delta.version():
            return "current"
        if dry:
            return "would_write"
        delta.create_checkpoint()
    return "written"


def _last_checkpoint(path: Path) -> int | None:
    """The version of the table's newest checkpoint (``_delta_log/_last_checkpoint``)."""
    marker = path / "_delta_log" / "_last_checkpoint"
    if not marker.exists():
        return None
    return int(json.loads(marker.read_text())["version"])
