"""`pointline stats`: numbers read from the Delta logs of a real lake."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from deltalake import DeltaTable

from pointline_core import ingest
from pointline_core.cli import main
from pointline_core.storage.lake import Lake
from pointline_core.storage.maintenance import compact_partitions, vacuum_table
from pointline_core.storage.manifest import ManifestStore
from pointline_core.storage.stats import lake_stats
from tests.ingest.conftest import T0, open_symbols, trades
from tests.ingest.fake_vendor import write_trades


def _two_appends(bronze, lake_root, plugins):
    """Two ingests of utcx on one day: partition utcx/2024-01-01 holds two files."""
    open_symbols(lake_root, ("utcx", "A"), ("utcx", "B"), ("cnx", "C"))
    write_trades(bronze, "utcx", "A", trades(20))
    write_trades(bronze, "cnx", "C", trades(10, start=T0 + 3600_000_000))
    assert ingest(bronze, lake_root, plugins=plugins, progress=False).ok
    write_trades(bronze, "utcx", "B", trades(15, start=T0 + 60_000_000))
    assert ingest(bronze, lake_root, plugins=plugins, progress=False).ok


def _table(report, zone, name):
    return next(t for t in report.tables if (t.zone, t.table) == (zone, name))


def test_stats_count_files_partitions_maintenance_and_orphans(bronze, lake_root, plugins):
    _two_appends(bronze, lake_root, plugins)
    lake = Lake(lake_root)
    now = dt.datetime.now(dt.UTC)
    report = lake_stats(lake_root, growth_days=3, now=now)
    trades_ = _table(report, "silver", "trades")
    assert (trades_.rows, trades_.files, trades_.partitions) == (45, 3, 2)
    assert trades_.small_files == 3 and trades_.small_file_share == 1.0
    assert trades_.last_compaction is None and trades_.last_vacuum is None
    assert trades_.orphan_files == 0 and trades_.orphan_bytes == 0
    assert trades_.mean_file_bytes == trades_.bytes // 3
    assert trades_.version == DeltaTable(str(lake_root / "silver" / "trades")).version()
    assert {(t.zone, t.table) for t in report.tables} >= {
        ("silver", "trades"),
        ("silver", "dim_symbol"),
        ("control", "ingest_manifest"),
    }
    manifest = ManifestStore(lake).frame()
    assert [(v.vendor, v.files, v.bronze_bytes) for v in report.bronze] == [
        ("fakevendor", 3, int(manifest["size_bytes"].sum()))
    ]
    assert report.lake_bytes == sum(t.bytes for t in report.tables)
    assert report.lake_to_bronze == round(report.lake_bytes / report.bronze_bytes, 4)
    assert [g.date for g in report.growth] == [now.date() - dt.timedelta(days=d) for d in (2, 1, 0)]
    assert report.growth[-1].lake_bytes == report.lake_bytes
    assert report.growth[-1].bronze_bytes == report.bronze_bytes

    compact_partitions(lake, "trades", [{"exchange": "utcx", "trading_date": "2024-01-01"}])
    replaced = _table(lake_stats(lake_root), "silver", "trades")
    assert (replaced.rows, replaced.files) == (45, 2)
    assert replaced.last_compaction is not None and replaced.last_vacuum is None
    # The two compacted files stay on disk for time travel: orphan until vacuumed.
    assert replaced.orphan_files == 2 and replaced.orphan_bytes > 0

    vacuum_table(lake, "trades", dry_run=False, retention_hours=0, enforce_retention=False)
    (lake_root / "silver" / "trades" / "exchange=cnx" / "stray.parquet").write_bytes(b"x" * 100)
    cleaned = _table(lake_stats(lake_root), "silver", "trades")
    assert cleaned.last_vacuum is not None
    assert (cleaned.orphan_files, cleaned.orphan_bytes) == (1, 100)


def test_stats_cli_json_and_table(bronze, lake_root, plugins, capsys):
    _two_appends(bronze, lake_root, plugins)
    assert main(["stats", str(lake_root), "--json", "--days", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    trades_ = next(t for t in report["tables"] if t["table"] == "trades" and t["zone"] == "silver")
    assert trades_["rows"] == pl.read_delta(str(lake_root / "silver" / "trades")).height == 45
    assert len(report["growth"]) == 2
    assert main(["stats", str(lake_root)]) == 0
    out = capsys.readouterr().out
    assert "silver/trades" in out and "fakevendor: 3 files" in out and "growth, last 14" in out
    assert main(["stats", str(lake_root / "nope")]) == 2
    assert "pointline: error: lake root" in capsys.readouterr().err
