"""`pointline symbols import [--dry-run] [--replace]` and `pointline restamp` through the real
command line, on a lake whose trades the ingest engine wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.symbols.conftest import assert_consistent, land, rows, symbols, us, write_trades

POINTLINE = str(Path(sys.executable).parent / "pointline")


def pointline(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POINTLINE, *map(str, args)], capture_output=True, text=True, check=False, timeout=300
    )


def test_dry_run_then_import_then_restamp_check(tmp_path, bronze, lake_root, plugins):
    s0, s1 = tmp_path / "s0.csv", tmp_path / "s1.csv"
    symbols(("utcx", "SSS", "2024-01-10", None, "0.1")).write_csv(s0)
    symbols(
        ("utcx", "SSS", "2024-01-07", None, "0.1"),
        ("utcx", "SSS", "2024-01-08", "2024-01-11", "0.1"),
        ("utcx", "SSS", "2024-01-14", None, "0.1"),
    ).write_csv(s1)
    assert pointline("symbols", "import", s0, lake_root).returncode == 0
    write_trades(bronze, "SSS", [us(10, 12), us(12, 12)])
    land(bronze, lake_root, plugins)

    dry = pointline("symbols", "import", s1, lake_root, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout
    assert "stored rows that would be fixed:" in dry.stdout
    # each changed window, before -> after
    assert "removed  utcx:SSS id " in dry.stdout
    assert "[2024-01-10T00:00:00Z, open) -> -" in dry.stdout, dry.stdout
    assert "-> [2024-01-07T00:00:00Z, 2024-01-11T00:00:00Z)" in dry.stdout
    assert "trades  1               1" in dry.stdout, dry.stdout
    assert rows(lake_root, "quarantine").height == 0

    done = pointline("symbols", "import", s1, lake_root, "--json")
    report = json.loads(done.stdout)
    assert report["restamp"] == [
        {
            "table": "trades",
            "rows_restamped": 1,
            "rows_quarantined": 1,
            "quarantined_now_covered": 0,
            # 10 Jan restamped, 12 Jan moved to quarantine
            "partitions": [
                {"exchange": "utcx", "trading_date": "2024-01-10"},
                {"exchange": "utcx", "trading_date": "2024-01-12"},
            ],
        }
    ]
    assert (report["windows_opened"], report["windows_removed"]) == (2, 1)
    assert sorted(c["change"] for c in report["changes"]) == ["opened", "opened", "removed"]
    assert_consistent(lake_root, expected_rows=2)

    again = pointline("symbols", "import", s1, lake_root)
    assert "no change (already applied)" in again.stdout and "0 new fact(s)" in again.stdout

    check = pointline("restamp", lake_root, "--dry-run")
    assert check.returncode == 0
    assert "every row already carries the id of the window covering it" in check.stdout

    fix = tmp_path / "fix.csv"
    symbols(("utcx", "SSS", "2024-01-07", None, "0.1")).write_csv(fix)
    replaced = pointline("symbols", "import", fix, lake_root, "--replace")
    assert "replacing the named symbols' history" in replaced.stdout
    assert "--retry-quarantined" in replaced.stdout  # the quarantined row has a window again


def test_a_contradicting_import_is_one_line_and_changes_nothing(tmp_path, lake_root):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    symbols(("utcx", "SSS", "2024-01-10", None, "0.1")).write_csv(first)
    symbols(("utcx", "SSS", "2024-01-10", None, "0.2")).write_csv(second)
    assert pointline("symbols", "import", first, lake_root).returncode == 0
    before = sorted(p.name for p in (lake_root / "silver" / "dim_symbol" / "_delta_log").iterdir())
    bad = pointline("symbols", "import", second, lake_root)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (
        "contradicts symbol facts already imported: different attributes for the same symbol "
        "and valid_from" in bad.stderr
    )
    assert "utcx:SSS (ts_us=2024-01-10T00:00:00Z)" in bad.stderr and "--replace" in bad.stderr
    after = sorted(p.name for p in (lake_root / "silver" / "dim_symbol" / "_delta_log").iterdir())
    assert before == after
