"""A symbols import SIGKILLed at any point of its restamp leaves no row orphaned or doubled:
the next restamp (or import, or ingest) finishes it, exactly once per row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pointline_core.symbols import apply_symbols, restamp_lake
from tests.symbols.conftest import assert_consistent, land, rows, symbols, us, write_trades

REPO = Path(__file__).resolve().parents[2]
BEFORE = symbols(("utcx", "SSS", "2024-01-10", None, "0.1"))
#: Starts earlier (rows of 10 Jan get a new id) and ends on 11 Jan (rows of 12 Jan uncovered).
CHANGE = symbols(
    ("utcx", "SSS", "2024-01-07", None, "0.1"),
    ("utcx", "SSS", "2024-01-08", "2024-01-11", "0.1"),
    ("utcx", "SSS", "2024-01-14", None, "0.1"),
)


@pytest.mark.parametrize("point", ["before_restamp", "after_quarantine_append", "during_rewrite"])
def test_sigkill_during_a_restamp_then_restamp_is_exactly_once(bronze, lake_root, plugins, point):
    apply_symbols(BEFORE, lake_root, progress=False)
    write_trades(bronze, "SSS", [us(10, 12), us(10, 13), us(12, 12), us(12, 13)])
    assert land(bronze, lake_root, plugins).ok
    child = subprocess.run(
        [sys.executable, "-m", "tests.symbols.restamp_child", point, str(lake_root)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert list((lake_root / "_journal").glob("symbols-*.json")), "the journal survives"

    restamp_lake(lake_root, plugins=plugins, progress=False)
    assert not list((lake_root / "_journal").glob("symbols-*.json"))
    assert_consistent(lake_root, expected_rows=4)
    assert rows(lake_root).height == 2 and rows(lake_root, "quarantine").height == 2
    assert restamp_lake(lake_root, plugins=plugins, progress=False) == (), "idempotent"
