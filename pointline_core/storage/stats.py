"""How big the lake is and where it needs care: per table and zone, from the Delta logs.

Everything here is read from what the lake already records, never from the rows: live files
and their sizes and row counts (the add actions), the commit history (last compaction and
vacuum), the files on disk that the current version no longer references (what a vacuum
would reclaim, plus files crashed writers left) and the ingest manifest (Bronze bytes per
vendor). Cost grows with files and commits, not with rows.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs
import polars as pl
from deltalake import DeltaTable

from pointline_core.query.discovery import table_dirs, table_row
from pointline_core.storage.delta import add_actions, open_table
from pointline_core.storage.lake import Lake
from pointline_core.storage.maintenance import COMPACT_COMMIT_INFO
from pointline_core.storage.manifest import ManifestStore

#: A live data file smaller than this counts as small (Parquet readers want >= 32 MiB files;
#: the default keeps a freshly ingested day of a thin symbol from counting as small).
DEFAULT_SMALL_FILE_BYTES = 16 << 20
#: Days of growth reported by default.
DEFAULT_GROWTH_DAYS = 14
#: delta-rs' own compaction; ours is an overwrite marked with COMPACT_COMMIT_INFO.
COMPACTION_OPERATIONS = ("OPTIMIZE",)
VACUUM_OPERATIONS = ("VACUUM END",)


@attrs.frozen(slots=True)
class TableStats:
    """One Delta table. ``orphan_*`` counts data files on disk the current version does not
    reference (removed by later commits but kept for time travel, or never committed);
    ``vacuum`` reclaims them once past the retention. Times are ISO-8601 UTC."""

    table: str
    zone: str
    rows: int
    files: int
    bytes: int
    partitions: int
    mean_file_bytes: int
    small_files: int
    small_file_share: float
    version: int
    last_compaction: str | None
    last_vacuum: str | None
    orphan_files: int
    orphan_bytes: int


@attrs.frozen(slots=True)
class VendorBytes:
    """Bronze bytes the lake ingested from one vendor (manifest entries that landed)."""

    vendor: str
    files: int
    bronze_bytes: int


@attrs.frozen(slots=True)
class DayGrowth:
    """One UTC day: bytes of live data files written that day (a compaction moves its
    partitions' bytes to its own day) and Bronze bytes first recorded that day."""

    date: dt.date
    lake_bytes: int
    lake_files: int
    bronze_bytes: int


@attrs.frozen(slots=True)
class LakeStats:
    lake_root: str
    small_file_bytes: int
    tables: list[TableStats]
    lake_bytes: int
    orphan_bytes: int
    bronze: list[VendorBytes]
    bronze_bytes: int
    #: live lake bytes per ingested Bronze byte (None before anything was ingested)
    lake_to_bronze: float | None
    growth_days: int
    growth: list[DayGrowth]


def lake_stats(
    lake_root: str | Path,
    *,
    small_file_bytes: int = DEFAULT_SMALL_FILE_BYTES,
    growth_days: int = DEFAULT_GROWTH_DAYS,
    now: dt.datetime | None = None,
) -> LakeStats:
    """Statistics of every Delta table under the lake's zones (read only, no lock)."""
    lake = Lake(Path(lake_root).resolve())
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    tables: list[TableStats] = []
    files: list[pl.DataFrame] = []
    # Rows, files, bytes and version per table as `pointline tables` counts them.
    for name, zone, path in table_dirs(lake):
        delta = DeltaTable(str(path))
        live = add_actions(delta)  # read once: for the counts and for the stats
        found = table_row(name, zone, path, delta, live)
        tables.append(table_stats(found, delta, live, small_file_bytes))
        files.append(live.select("size_bytes", "modification_time"))
    bronze = _bronze_by_vendor(lake)
    lake_bytes = sum(t.bytes for t in tables)
    bronze_bytes = sum(v.bronze_bytes for v in bronze)
    return LakeStats(
        lake_root=str(lake.root),
        small_file_bytes=small_file_bytes,
        tables=tables,
        lake_bytes=lake_bytes,
        orphan_bytes=sum(t.orphan_bytes for t in tables),
        bronze=bronze,
        bronze_bytes=bronze_bytes,
        lake_to_bronze=round(lake_bytes / bronze_bytes, 4) if bronze_bytes else None,
        growth_days=growth_days,
        growth=_growth(lake, files, today, growth_days),
    )


def table_paths(lake: Lake) -> list[tuple[str, Path]]:
    """(zone, path) of every Delta table in the lake, in ``pointline tables`` order, without
    opening them (maintenance opens each one itself)."""
    return [(zone, path) for _name, zone, path in table_dirs(lake)]


def table_stats(
    found: dict[str, Any], delta: DeltaTable, live: pl.DataFrame, small_file_bytes: int
) -> TableStats:
    """One table; ``found`` is its row of :func:`pointline_core.query.discovery.tables`."""
    parts = [c for c in live.columns if c.startswith("partition.")]
    files = int(found["files"])
    size = int(found["size_bytes"])
    small = int((live["size_bytes"] < small_file_bytes).sum()) if files else 0
    path = Path(found["path"])
    # The log may percent-encode paths (partition values); the disk holds them decoded.
    orphans = _orphans(path, {unquote(p) for p in live["path"]} if files else set())
    compacted, vacuumed = _last_maintenance(delta)
    return TableStats(
        table=found["table"],
        zone=found["zone"],
        rows=int(found["rows"]),
        files=files,
        bytes=size,
        partitions=live.select(parts).n_unique() if parts and files else int(files > 0),
        mean_file_bytes=size // files if files else 0,
        small_files=small,
        small_file_share=round(small / files, 4) if files else 0.0,
        version=int(found["version"]),
        last_compaction=compacted,
        last_vacuum=vacuumed,
        orphan_files=len(orphans),
        orphan_bytes=sum(orphans.values()),
    )


def _orphans(path: Path, live: set[str]) -> dict[str, int]:
    """Data files under the table folder (not its log) that no live add action names."""
    found: dict[str, int] = {}
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        for name in names:
            if not name.endswith(".parquet"):
                continue
            full = Path(folder) / name
            rel = full.relative_to(path).as_posix()
            if rel not in live:
                found[rel] = full.stat().st_size
    return found


def _last_maintenance(delta: DeltaTable) -> tuple[str | None, str | None]:
    """ISO times of the newest compaction and vacuum commits in the log that is still kept."""
    compacted = vacuumed = None
    for commit in delta.history():  # newest first
        op = commit.get("operation")
        if compacted is None and (
            op in COMPACTION_OPERATIONS
            or all(commit.get(k) == v for k, v in COMPACT_COMMIT_INFO.items())
        ):
            compacted = _iso(commit["timestamp"])
        if vacuumed is None and op in VACUUM_OPERATIONS:
            vacuumed = _iso(commit["timestamp"])
        if compacted and vacuumed:
            break
    return compacted, vacuumed


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="seconds")


def _bronze_by_vendor(lake: Lake) -> list[VendorBytes]:
    store = ManifestStore(lake)
    if open_table(store.path) is None:
        return []
    landed = (
        store.frame()
        .filter(pl.col("status").is_in(["success", "quarantined"]))
        .group_by("vendor")
        .agg(files=pl.len(), bronze_bytes=pl.col("size_bytes").fill_null(0).sum())
        .sort("vendor")
    )
    return [VendorBytes(**row) for row in landed.iter_rows(named=True)]


def _growth(lake: Lake, files: list[pl.DataFrame], today: dt.date, days: int) -> list[DayGrowth]:
    """Per UTC day of the last ``days`` (today included), oldest first; empty days are 0."""
    first = today - dt.timedelta(days=days - 1)
    calendar = pl.DataFrame({"date": pl.date_range(first, today, eager=True)})
    live = pl.concat(files) if files else pl.DataFrame(schema={"size_bytes": pl.Int64})
    written = (
        live.with_columns(date=pl.from_epoch("modification_time", time_unit="ms").dt.date())
        .group_by("date")
        .agg(lake_bytes=pl.col("size_bytes").sum(), lake_files=pl.len())
        if live.height
        else pl.DataFrame(schema={"date": pl.Date, "lake_bytes": pl.Int64, "lake_files": pl.UInt32})
    )
    store = ManifestStore(lake)
    bronze = (
        store.frame()
        .filter(pl.col("status").is_in(["success", "quarantined"]))
        .with_columns(date=pl.from_epoch("created_at_us", time_unit="us").dt.date())
        .group_by("date")
        .agg(bronze_bytes=pl.col("size_bytes").fill_null(0).sum())
        if open_table(store.path) is not None
        else pl.DataFrame(schema={"date": pl.Date, "bronze_bytes": pl.Int64})
    )
    table = (
        calendar.join(written, on="date", how="left")
        .join(bronze, on="date", how="left")
        .fill_null(0)
        .sort("date")
    )
    return [DayGrowth(**row) for row in table.iter_rows(named=True)]
