from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core.errors import MaintenanceError, StorageError, UnknownTableError
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore
from pointline_core.storage.maintenance import compact_partitions, vacuum_table
from pointline_core.storage.manifest import FileIdentity, ManifestStore
from pointline_core.storage.quarantine import QuarantineStore, quarantine_spec

DAY = dt.date(2024, 1, 2)
PART_A = {"exchange": "exa", "trading_date": "2024-01-02"}
PART_B = {"exchange": "exb", "trading_date": "2024-01-02"}


def _fill(store: EventStore, trades, commits: int = 4) -> None:
    """Several small commits per partition, rows deliberately out of tie-break order."""
    for c in range(commits):
        fid = 10 - c  # later commits carry lower file ids and earlier local times
        batches = [
            trades(fid, 5, exchange=ex, ts0=1_704_153_600_000_000 + (commits - c) * 1000).reverse()
            for ex in ("exa", "exb")
        ]
        store.append(batches, [fid])


def _files(table: DeltaTable, part: dict[str, str]) -> set[str]:
    prefix = f"exchange={part['exchange']}/trading_date={part['trading_date']}/"
    return {
        f for f in pl.DataFrame(table.get_add_actions(flatten=True))["path"] if f.startswith(prefix)
    }


def _sorted_rows(store: EventStore) -> pl.DataFrame:
    return store.frame().sort("file_id", "file_seq", "exchange")


def test_compaction_touches_only_the_named_partition_and_sorts_rows(lake, trades):
    store = EventStore(lake, TRADES)
    _fill(store, trades)
    before_rows = _sorted_rows(store)
    table = DeltaTable(str(store.path))
    files_a, files_b = _files(table, PART_A), _files(table, PART_B)
    assert len(files_a) == 4 and len(files_b) == 4
    version = table.version()

    report = compact_partitions(lake, "trades", [PART_A])

    table = DeltaTable(str(store.path))
    assert table.version() == version + 1 == report.version_after
    assert len(_files(table, PART_A)) == 1
    assert _files(table, PART_B) == files_b  # the other partition is byte-for-byte untouched
    assert _sorted_rows(store).equals(before_rows)
    (part,) = report.partitions
    assert (part.action, part.files_before, part.files_after, part.rows) == (
        "compacted",
        4,
        1,
        20,
    )
    assert part.partition == PART_A and report.tie_break == TRADES.tie_break
    # the compacted file itself is in tie-break order
    (path,) = _files(table, PART_A)
    physical = pl.read_parquet(store.path / path, hive_partitioning=False)
    keys = list(TRADES.tie_break)
    assert physical.select(keys).equals(physical.select(keys).sort(keys))
    # exactly-once markers survive the rewrite
    assert store.committed_file_ids([7, 8, 9, 10]) == {7, 8, 9, 10}


def test_dry_run_creates_no_version_and_reports_the_plan(lake, trades):
    store = EventStore(lake, TRADES)
    _fill(store, trades)
    version = DeltaTable(str(store.path)).version()
    report = compact_partitions(
        lake, "trades", [PART_A, {"exchange": "exz", "trading_date": DAY}], dry_run=True
    )
    assert DeltaTable(str(store.path)).version() == version
    assert report.version_after is None and report.dry_run
    assert [p.action for p in report.partitions] == ["would_compact", "missing"]
    assert report.partitions[0].files_after == 4


def test_partitions_below_the_small_file_threshold_are_skipped(lake, trades):
    store = EventStore(lake, TRADES)
    _fill(store, trades, commits=2)
    version = DeltaTable(str(store.path)).version()
    report = compact_partitions(lake, "trades", [PART_A], min_files=3)
    assert report.partitions[0].action == "skipped"
    assert report.version_after is None
    assert DeltaTable(str(store.path)).version() == version


def test_partition_keys_are_checked_against_the_spec(lake, trades):
    _fill(EventStore(lake, TRADES), trades, commits=1)
    with pytest.raises(MaintenanceError, match=r"partition columns \['exchange', 'trading_date'\]"):
        compact_partitions(lake, "trades", [{"exchange": "exa"}])
    with pytest.raises(MaintenanceError, match="partition columns"):
        compact_partitions(lake, "trades", [{**PART_A, "symbol": "x"}])
    with pytest.raises(MaintenanceError, match="'2024-13-02' is not a valid Date"):
        compact_partitions(lake, "trades", [{**PART_A, "trading_date": "2024-13-02"}])
    with pytest.raises(MaintenanceError, match="name at least one partition"):
        compact_partitions(lake, "trades", [])
    with pytest.raises(UnknownTableError, match="spec="):
        compact_partitions(lake, "no_such_table", [PART_A])
    with pytest.raises(StorageError, match="no Delta table 'quotes'"):
        compact_partitions(lake, "quotes", [PART_A])


def test_quarantine_partitions_with_null_values_compact(lake, trades):
    store = QuarantineStore(lake, TRADES)
    qschema = dict(quarantine_spec(TRADES).polars_schema())
    for fid in (1, 2, 3):
        frame = trades(fid, 3).with_columns(
            exchange=pl.lit(None, pl.String),
            trading_date=pl.lit(None, pl.Date),
            reason=pl.lit("null:exchange"),
            detail=pl.lit(None, pl.String),
        )
        store.append([frame.cast(qschema)], [fid])
    report = compact_partitions(
        lake, "trades", [{"exchange": None, "trading_date": None}], zone="quarantine"
    )
    assert (report.partitions[0].files_before, report.partitions[0].files_after) == (3, 1)
    assert store.count_rows() == 9


def test_unpartitioned_control_table_compacts_as_a_whole(lake):
    manifest = ManifestStore(lake)
    ids = [manifest.allocate([FileIdentity("v", "t", f"p{i}", "0" * 64)], [None]) for i in range(5)]
    report = compact_partitions(lake, "ingest_manifest", [{}], zone="control")
    assert report.partitions[0].files_after == 1
    assert [e.file_id for e in manifest.entries()] == [i for d in ids for i in d.values()]


def test_vacuum_dry_run_deletes_nothing_and_real_vacuum_removes_replaced_files(lake, trades):
    store = EventStore(lake, TRADES)
    _fill(store, trades)
    compact_partitions(lake, "trades", [PART_A])
    on_disk = set(Path(store.path).rglob("*.parquet"))
    # default: dry run, 7-day retention -> nothing is old enough
    default = vacuum_table(lake, "trades")
    assert default.dry_run and default.files == []
    dry = vacuum_table(lake, "trades", retention_hours=0, enforce_retention=False)
    assert dry.dry_run and dry.file_count == 4
    assert all(f.startswith("exchange=exa/trading_date=2024-01-02/") for f in dry.files)
    assert set(Path(store.path).rglob("*.parquet")) == on_disk
    real = vacuum_table(lake, "trades", dry_run=False, retention_hours=0, enforce_retention=False)
    assert real.files == dry.files
    assert len(set(Path(store.path).rglob("*.parquet"))) == len(on_disk) - 4
    assert store.count_rows() == 40
    # delta-rs keeps listing the tombstones; files already deleted are not reported again
    for dry_run in (True, False):
        again = vacuum_table(
            lake, "trades", dry_run=dry_run, retention_hours=0, enforce_retention=False
        )
        assert again.files == [] and again.file_count == 0


def test_vacuum_enforces_retention_by_default(lake, trades):
    _fill(EventStore(lake, TRADES), trades, commits=1)
    with pytest.raises(MaintenanceError, match="no-enforce-retention"):
        vacuum_table(lake, "trades", retention_hours=0)


def test_vacuum_removes_orphans_of_crashed_writers_only_when_asked(lake, trades):
    store = EventStore(lake, TRADES)
    _fill(store, trades, commits=1)
    orphan = store.path / "exchange=exa" / "trading_date=2024-01-02" / "part-crashed.parquet"
    trades(99, 2).write_parquet(orphan)
    kwargs = dict(retention_hours=0, enforce_retention=False)
    assert vacuum_table(lake, "trades", **kwargs).files == []
    found = vacuum_table(lake, "trades", remove_orphans=True, **kwargs)
    assert found.files == ["exchange=exa/trading_date=2024-01-02/part-crashed.parquet"]
    assert orphan.exists()
    removed = vacuum_table(lake, "trades", remove_orphans=True, dry_run=False, **kwargs)
    assert removed.files == found.files
    assert not orphan.exists()
    assert vacuum_table(lake, "trades", remove_orphans=True, dry_run=False, **kwargs).files == []
    assert store.count_rows() == 10


def test_maintenance_takes_the_lock_each_tables_writer_takes(lake, tmp_path):
    """Compaction and vacuum must exclude the table's writers: same lock file."""
    from pointline_core.storage.dim_symbol import LOCK_NAME as DIM_LOCK
    from pointline_core.storage.maintenance import table_lock_name
    from pointline_core.storage.manifest import LOCK_NAME as MANIFEST_LOCK
    from pointline_core.storage.validation_log import LOCK_NAME as VALIDATION_LOCK
    from pointline_core.upstream.ledger import open_ledger

    def lock_file(name: str) -> str:
        return lake.lock(name).lock_file

    assert table_lock_name("trades", "silver") == EventStore(lake, TRADES).lock_name
    assert table_lock_name("trades", "quarantine") == QuarantineStore(lake, TRADES).lock_name
    assert table_lock_name("ingest_manifest", "control") == MANIFEST_LOCK
    assert table_lock_name("dim_symbol", "silver") == DIM_LOCK
    assert table_lock_name("validation_log", "control") == VALIDATION_LOCK
    ledger = open_ledger(tmp_path / "bronze", lake.root)
    assert lock_file(table_lock_name("upstream_ledger", "control")) == str(ledger.lock_path)
