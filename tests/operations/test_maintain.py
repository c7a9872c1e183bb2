"""`pointline maintain`: the lake's policy applied, idempotent, next to a running ingest."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core import ingest
from pointline_core.cli import main
from pointline_core.errors import MaintenanceError
from pointline_core.storage.lake import Lake
from pointline_core.storage.maintain import maintain
from pointline_core.storage.manifest import ManifestStore
from pointline_core.storage.policy import MaintenancePolicy, load_policy, policy_path
from tests.ingest.conftest import T0, open_symbols, silver, trades
from tests.ingest.fake_vendor import write_trades

REPO = Path(__file__).resolve().parents[2]
AGGRESSIVE = """
[compact]
older_than_days = 0
max_files = 1
[vacuum]
retention_hours = 0
enforce_retention = false
"""


def _write_policy(lake_root, text: str) -> None:
    path = policy_path(Lake(lake_root))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _files_in(lake_root, exchange: str) -> int:
    live = pl.DataFrame(
        DeltaTable(str(lake_root / "silver" / "trades")).get_add_actions(flatten=True)
    )
    return live.filter(pl.col("partition.exchange") == exchange).height


def _versions(lake_root) -> dict[str, int]:
    return {
        f"{zone}/{p.name}": DeltaTable(str(p)).version()
        for zone in ("silver", "quarantine", "control")
        for p in sorted((lake_root / zone).glob("*"))
        if (p / "_delta_log").is_dir()
    }


@pytest.fixture
def piled(bronze, lake_root, plugins):
    """utcx 2024-01-01 in five files (five ingests), cnx in one."""
    open_symbols(lake_root, *[("utcx", f"S{i}") for i in range(5)], ("cnx", "C"))
    write_trades(bronze, "cnx", "C", trades(10, start=T0 + 3600_000_000))
    for i in range(5):
        write_trades(bronze, "utcx", f"S{i}", trades(10 + i, start=T0 + i))
        assert ingest(bronze, lake_root, plugins=plugins, progress=False).ok
    return lake_root


def test_policy_defaults_and_strict_parsing(lake_root):
    lake = Lake(lake_root)
    assert load_policy(lake) == MaintenancePolicy()
    _write_policy(lake_root, "[compact]\nmax_files = 9\n")
    assert load_policy(lake).compact.max_files == 9
    assert load_policy(lake).vacuum.retention_hours == 168
    _write_policy(lake_root, "[compact]\nmax_file = 9\n")
    with pytest.raises(MaintenanceError, match="policy.toml is invalid: .*max_file"):
        load_policy(lake)
    _write_policy(lake_root, "[vacuum]\nretention_hours = -1\n")
    with pytest.raises(MaintenanceError, match="retention_hours"):
        load_policy(lake)


def test_maintain_compacts_checkpoints_vacuums_and_is_idempotent(piled, plugins):
    lake_root = piled
    _write_policy(lake_root, AGGRESSIVE)
    rows = silver(lake_root).sort("file_id", "file_seq")
    assert _files_in(lake_root, "utcx") == 5

    before = _versions(lake_root)
    dry = maintain(lake_root, dry_run=True, plugins=plugins)
    trades_ = next(t for t in dry.tables if (t.zone, t.table) == ("silver", "trades"))
    assert (trades_.partitions_compacted, trades_.files_before) == (1, 5)
    assert trades_.checkpoint == "would_write"
    assert _versions(lake_root) == before and _files_in(lake_root, "utcx") == 5

    done = maintain(lake_root, plugins=plugins)
    trades_ = next(t for t in done.tables if (t.zone, t.table) == ("silver", "trades"))
    assert (trades_.partitions_compacted, trades_.files_before, trades_.files_after) == (1, 5, 1)
    assert trades_.checkpoint == "written"
    assert trades_.files_vacuumed == 5, "the five replaced files are past a 0 h retention"
    assert _files_in(lake_root, "utcx") == 1 and _files_in(lake_root, "cnx") == 1
    assert silver(lake_root).sort("file_id", "file_seq").equals(rows)

    settled = _versions(lake_root)
    again = maintain(lake_root, plugins=plugins)
    assert all(t.partitions_compacted == 0 and t.files_vacuumed == 0 for t in again.tables)
    assert {t.checkpoint for t in again.tables} == {"current"}
    assert _versions(lake_root) == settled, "a second run commits nothing"


def test_maintain_cli(piled, capsys):
    _write_policy(piled, AGGRESSIVE)
    assert main(["maintain", str(piled), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] and report["policy"]["compact"]["max_files"] == 1
    assert main(["maintain", str(piled)]) == 0
    out = capsys.readouterr().out
    assert "silver/trades" in out and "5 -> 1" in out
    _write_policy(piled, "[compact]\nmax_files = 'many'\n")
    assert main(["maintain", str(piled)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pointline: error: maintenance policy ") and len(err.splitlines()) == 1
    assert "'many' @ $.compact.max_files" in err
    assert "fix it (keys and defaults: docs/operations.md) or delete it to use the defaults" in err


def test_maintain_next_to_a_running_ingest_keeps_every_row_exactly_once(piled, bronze, plugins):
    lake_root = piled
    _write_policy(lake_root, AGGRESSIVE)
    # Slow files on the same day and exchange: each commits while maintain compacts,
    # checkpoints and vacuums that very partition.
    for i in range(3):
        write_trades(bronze, "utcx", f"L{i}", trades(30, start=T0 + 100 + i), suffix=".slow")
    open_symbols(lake_root, *[("utcx", f"L{i}") for i in range(3)])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.operations.maintain_child", str(bronze), str(lake_root)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    runs = compacted_while_running = 0
    while child.poll() is None or runs == 0:
        done = maintain(lake_root, plugins=plugins, today=dt.date(2030, 1, 1))
        compacted_while_running += sum(t.partitions_compacted for t in done.tables)
        runs += 1
        time.sleep(0.05)  # a shared machine: leave the child some CPU
    out, err = child.communicate(timeout=300)
    print(f"maintain ran {runs} times next to the ingest, {compacted_while_running} compactions")
    # The first run compacts the piled partition; later ones compact what ingest added.
    assert runs >= 2 and compacted_while_running >= 2
    assert child.returncode == 0, err
    report = json.loads(out)
    assert (
        sorted(f["status"] for f in report["files"] if f["status"] != "skipped") == ["success"] * 3
    )
    maintain(lake_root, plugins=plugins)

    expected = 10 + 11 + 12 + 13 + 14 + 10 + 3 * 30
    rows = silver(lake_root)
    assert rows.height == expected
    assert rows.select(pl.struct("file_id", "file_seq").n_unique()).item() == expected
    entries = ManifestStore(Lake(lake_root)).entries()
    assert len(entries) == 9 and {e.status for e in entries} == {"success"}
    assert sum(e.rows_written for e in entries) == expected
    assert _files_in(lake_root, "utcx") == 1, "the last maintain compacted what ingest added"


def test_maintain_covers_gold_tables(piled, plugins):
    """Gold tables have core specs of their own: maintain treats them like Silver ones (it
    once reported them as 'no spec: plugin not installed' and left them alone)."""
    from pointline_core.gold.derive import derive_bars

    derive_bars(piled, "1m")
    done = maintain(piled, plugins=plugins)
    (gold,) = [t for t in done.tables if t.zone == "gold"]
    assert gold.table == "bars_1m" and gold.skipped is None
    assert gold.checkpoint == "written"
