"""Every benchmark under bench/ still runs (at toy sizes): a bench that rots is a figure in
docs/architecture.md nobody can reproduce. Two had rotted unnoticed (extract_bench registered
a plugin built for API 1.0; manifest_bench built a trades frame without the columns the table
gained since). Timings here mean nothing; only that each script runs to its last line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

TOY = {
    "extract_bench.py": ["--symbols", "4", "--rows", "20", "--sample", "2", "--repeat", "1"],
    "ingest_bench.py": [
        "--only",
        "curve,small,day",
        "--curve-rows",
        "10",
        "--small-files",
        "3",
        "--day-files",
        "2",
        "--repeat",
        "1",
    ],  # fmt: skip
    "parallel_bench.py": ["--only", "small", "--small-files", "4", "--no-ray", "--repeat", "1"],
    "databento_bench.py": ["--records", "2000"],
    "manifest_bench.py": ["--files", "50"],
    "numeric_bench.py": ["--rows", "1000", "--repeat", "1"],
    "replay_bench.py": ["--rows", "2000"],
}


def test_every_bench_is_covered():
    benches = {p.name for p in BENCH.glob("*_bench.py")}
    assert benches == set(TOY), "add the new bench to TOY with its smallest sizes"


@pytest.mark.parametrize("script", sorted(TOY))
def test_bench_runs_at_toy_sizes(script):
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *TOY[script]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert proc.stdout.strip(), "a bench prints its numbers"
