"""Kill a real ingest process at each dangerous point; the next run restores exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pointline_core import ingest
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore
from tests.ingest.conftest import T0, open_symbols, trades
from tests.ingest.fake_vendor import write_trades

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ["AAA", "BBB", "CCC"]


def _child(point, bronze, lake, *extra):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.child_run", point, str(bronze), str(lake), *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _make_bronze(bronze):
    expected = {}
    for i, sym in enumerate(SYMBOLS):
        rows = trades(25 + i, start=T0 + i)
        rows[3] = (rows[3][0], "abc", "1", "b", "bad")  # one quarantined row per file
        write_trades(bronze, "utcx", sym, rows)
        expected[sym] = len(rows)
    return expected


def _assert_exactly_once(lake_root, expected):
    silver = pl.read_delta(str(lake_root / "silver" / "trades"))
    quarantine = pl.read_delta(str(lake_root / "quarantine" / "trades"))
    both = pl.concat(
        [
            silver.select("file_id", "file_seq", "symbol"),
            quarantine.select("file_id", "file_seq", "symbol"),
        ]
    )
    assert both.height == sum(expected.values())
    assert both.select(pl.struct("file_id", "file_seq").n_unique()).item() == both.height
    counts = dict(both.group_by("symbol").len().iter_rows())
    assert counts == expected
    assert quarantine.height == len(SYMBOLS)
    entries = ManifestStore(Lake(lake_root)).entries()
    assert len(entries) == len(SYMBOLS)
    assert {e.status for e in entries} == {"quarantined"}


@pytest.mark.parametrize("stream", [False, True], ids=["batched", "streamed"])
@pytest.mark.parametrize(
    "point", ["during_parse", "after_commit", "after_quarantine_commit", "before_manifest"]
)
def test_kill_at_each_point_then_rerun_is_exactly_once(tmp_path, plugins, point, stream):
    bronze, lake_root = tmp_path / "bronze", tmp_path / "lake"
    expected = _make_bronze(bronze)
    open_symbols(lake_root, *[("utcx", s) for s in SYMBOLS])
    proc = _child(point, bronze, lake_root, *(["stream"] if stream else []))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"child was not killed at {point}: {err}"

    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert report.ok
    _assert_exactly_once(lake_root, expected)
    # And a further rerun changes nothing.
    again = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert {f.status for f in again.files} == {"skipped"}
    _assert_exactly_once(lake_root, expected)


def test_two_runners_at_once_never_double_ingest(tmp_path):
    bronze, lake_root = tmp_path / "bronze", tmp_path / "lake"
    expected = {}
    for i, sym in enumerate(SYMBOLS):
        rows = trades(25 + i, start=T0 + i)
        rows[3] = (rows[3][0], "abc", "1", "b", "bad")
        write_trades(bronze, "utcx", sym, rows, suffix=".slow")
        expected[sym] = len(rows)
    open_symbols(lake_root, *[("utcx", s) for s in SYMBOLS])
    procs = [_child("none", bronze, lake_root) for _ in range(2)]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    statuses = sorted(sorted(f["status"] for f in r["files"]) for r in reports)
    assert statuses == [["quarantined"] * 3, ["skipped"] * 3]
    _assert_exactly_once(lake_root, expected)
