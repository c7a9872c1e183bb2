"""parse streams: its peak memory does not grow with the file (6x the records, same peak).

Each parse runs in a fresh process (peak RSS = Linux VmHWM) over a generated zstd mbo file.
The 10M-record figures are in bench/databento_bench.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pointline_databento.encode import synthetic_mbo

CHILD = """
import json, sys
from pathlib import Path
from pointline_core.models import BronzeFile
from pointline_databento.parse import read_batches
path = Path(sys.argv[1])
rows = 0
for data_type in ("mbo_orders", "mbo_trades"):
    file = BronzeFile("databento", data_type, path, path.name, ())
    rows += sum(frame.height for frame in read_batches(file, 100_000))
hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if "VmHWM" in line]
print(json.dumps({"rows": rows, "peak_mib": int(hwm[0].split()[1]) / 1024}))
"""


def _parse_peak(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def test_parse_peak_memory_does_not_grow_with_the_file(tmp_path: Path):
    small = _parse_peak(synthetic_mbo(tmp_path / "glbx-mdp3-20201228.mbo.dbn.zst", 500_000))
    large = _parse_peak(
        synthetic_mbo(tmp_path / "big" / "glbx-mdp3-20201228.mbo.dbn.zst", 3_000_000)
    )
    assert (small["rows"], large["rows"]) == (500_000, 3_000_000)
    # 3M records are 160 MiB decoded; the parse holds one 100k-record batch at a time
    assert large["peak_mib"] < small["peak_mib"] + 40, (small, large)
    assert large["peak_mib"] < 500
