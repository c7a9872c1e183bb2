"""Streaming benchmark: parse (and canonicalize) a generated N-row incremental_book_L2 .csv.gz.

    .venv/bin/python plugins/pointline_tardis/bench/bench_parse.py [--rows 5000000]
        [--batch-rows 500000] [--dir /tmp/tardis-bench] [--canonicalize] [--flags]

Generates the file once (chunk by chunk, so generation itself stays small in memory), then
measures in a fresh child process: wall time, rows/s, and the child's peak RSS (VmHWM).
The file is kept in --dir for reruns. ``--flags`` adds the snapshot-block flags
(``pointline_tardis.book``), as the ``pointline_parse`` hook does for this data type.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CHUNK = 500_000


def generate(path: Path, rows: int) -> int:
    from pointline_tardis.sample import csv_bytes, incremental_book_l2

    raw_bytes = 0
    tmp = path.with_suffix(".tmp")
    with gzip.GzipFile(tmp, "wb", compresslevel=1, mtime=0) as out:
        for offset in range(0, rows, CHUNK):
            n = min(CHUNK, rows - offset)
            data = csv_bytes(incremental_book_l2(n, offset=offset), "incremental_book_L2")
            if offset:
                data = data[data.index(b"\n") + 1 :]  # header only once
            out.write(data)
            raw_bytes += len(data)
    tmp.rename(path)
    return raw_bytes


def peak_rss_mb() -> float:
    """Peak RSS of this process in MB: VmHWM (Linux; unlike ru_maxrss it is not inherited from
    the parent across fork+exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(path: Path, batch_rows: int, canonicalize: bool, flags: bool) -> dict[str, object]:
    from pointline_tardis.book import flag_batches
    from pointline_tardis.canonical import canonicalize as canon
    from pointline_tardis.parse import read_batches

    from pointline_core.models import BronzeFile

    file = BronzeFile("tardis", "incremental_book_L2", path, path.name, (("exchange", "deribit"),))
    base_rss = peak_rss_mb()
    started = time.perf_counter()
    rows = batches = rejected = 0
    stream = read_batches(path, "incremental_book_L2", batch_rows)
    for batch in flag_batches(stream) if flags else stream:
        rows += batch.height
        batches += 1
        if canonicalize:
            out = canon(file, "orderbook_updates", batch)
            rejected += out.height - out["_reject_reason"].null_count()
    elapsed = time.perf_counter() - started
    return {
        "rows": rows,
        "batches": batches,
        "rejected": rejected,
        "seconds": round(elapsed, 2),
        "rows_per_s": int(rows / elapsed),
        "rss_before_mb": base_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--batch-rows", type=int, default=500_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tardis-bench"))
    parser.add_argument("--canonicalize", action="store_true")
    parser.add_argument("--flags", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.batch_rows, args.canonicalize, args.flags)))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL-{args.rows}.csv.gz"
    if not path.exists():
        started = time.perf_counter()
        raw = generate(path, args.rows)
        print(f"generated {path} ({raw / 1e6:.0f} MB raw) in {time.perf_counter() - started:.1f}s")
    print(f"file: {path.stat().st_size / 1e6:.0f} MB gzip")
    cmd = [sys.executable, __file__, "--child", str(path), "--batch-rows", str(args.batch_rows)]
    if args.canonicalize:
        cmd.append("--canonicalize")
    if args.flags:
        cmd.append("--flags")
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    print(result.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
