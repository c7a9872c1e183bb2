"""Ingest throughput and memory against a plain-polars baseline, in one process.

    .venv/bin/python bench/ingest_bench.py [--rows 5000000] [--small-files 2000]

Generates an incremental_book_L2-shaped CSV (Tardis layout) and many small trade files,
then for each data set runs
  * baseline: ``pl.read_csv`` -> cast -> ``write_delta`` partitioned by (exchange, date);
  * pointline: ``ingest`` (discover, hash, parse, canonicalize, validate, PIT, write, manifest)
and prints rows/s for both, the ratio, and the peak RSS of each phase (Linux VmHWM, reset
between phases through /proc/self/clear_refs). Each data set runs in its own process; within
it, pointline runs first so the baseline's whole-file read cannot inflate its peak.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from pointline_core.ingest.runner import ingest
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake

T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
EXCHANGE = "binance-futures"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def l2_frame(rows: int, symbol: str = "BTCUSDT") -> pl.DataFrame:
    i = pl.int_range(0, rows, dtype=pl.Int64)
    ts = T0 + (i // 4) * 937
    return pl.select(
        exchange=pl.lit(EXCHANGE),
        symbol=pl.lit(symbol),
        timestamp=ts,
        local_timestamp=ts + 1234,
        is_snapshot=pl.when(i < 1000).then(pl.lit("true")).otherwise(pl.lit("false")),
        side=pl.when(i % 2 == 0).then(pl.lit("bid")).otherwise(pl.lit("ask")),
        price=(61000 + (i * 7919 % 20000) / 10).round(1),
        amount=((i * 104729) % 100000) / 1000,
    )


def write_inputs(root: Path, rows: int, small_files: int, small_rows: int) -> tuple[Path, Path]:
    big = root / "big" / "tardis"
    big.mkdir(parents=True)
    l2_frame(rows).write_csv(big / f"{EXCHANGE}_incremental_book_L2_2024-03-01_BTCUSDT.csv")
    small = root / "small" / "tardis"
    small.mkdir(parents=True)
    for n in range(small_files):
        l2_frame(small_rows, f"S{n:05d}").write_csv(
            small / f"{EXCHANGE}_incremental_book_L2_2024-03-01_S{n:05d}.csv"
        )
    return big.parent, small.parent


def baseline(bronze: Path, out: Path) -> int:
    rows = 0
    frames = []
    for path in sorted((bronze / "tardis").glob("*.csv")):
        df = pl.read_csv(path)
        frames.append(
            df.with_columns(
                pl.col("is_snapshot") == "true",
                (pl.col("price") * 1e9).round().cast(pl.Int64),
                (pl.col("amount") * 1e8).round().cast(pl.Int64),
                trading_date=pl.from_epoch("timestamp", time_unit="us").dt.date(),
            )
        )
        rows += df.height
    pl.concat(frames).write_delta(
        str(out), delta_write_options={"partition_by": ["exchange", "trading_date"]}
    )
    return rows


def symbols(lake: Path, names: list[str]) -> None:
    DimSymbolStore(Lake(lake)).apply(
        pl.DataFrame(
            {
                "exchange": [EXCHANGE] * len(names),
                "exchange_symbol": names,
                "valid_from_ts_us": [T0 - 86_400_000_000] * len(names),
                "valid_until_ts_us": [None] * len(names),
            },
            schema_overrides={"valid_until_ts_us": pl.Int64},
        )
    )


def measure(label: str, bronze: Path, work: Path, names: list[str]) -> None:
    reset_peak()
    lake = work / f"lake-{label.replace(' ', '-')}"
    symbols(lake, names)
    t = time.perf_counter()
    report = ingest(bronze, lake, vendors=["tardis"], progress=False)
    ingest_s = time.perf_counter() - t
    ingest_rss = peak_rss_mb()
    rows = sum(f.rows_written for f in report.files)
    assert report.ok and rows == sum(f.rows_total for f in report.files), report.message
    commits = sum(t.commits for t in report.tables)

    reset_peak()
    t = time.perf_counter()
    base_rows = baseline(bronze, work / f"baseline-{label.replace(' ', '-')}")
    base_s = time.perf_counter() - t
    base_rss = peak_rss_mb()
    assert base_rows == rows

    print(f"\n== {label}: {len(report.files)} file(s), {rows:,} rows")
    print(
        f"baseline (read_csv, cast, write_delta): {base_s:7.2f}s {rows / base_s:12,.0f} rows/s"
        f"  peak RSS {base_rss:7.0f} MB"
    )
    print(
        f"pointline ingest (full pipeline):       {ingest_s:7.2f}s {rows / ingest_s:12,.0f} rows/s"
        f"  peak RSS {ingest_rss:7.0f} MB  ({commits} table commits)"
    )
    print(f"ratio pointline/baseline throughput: {base_s / ingest_s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--small-files", type=int, default=2_000)
    parser.add_argument("--small-rows", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", choices=["big", "small"], default=None)
    parser.add_argument("--generate-into", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_into is not None:
        small_files = args.small_files if args.only == "small" else 0
        rows = args.rows if args.only == "big" else 10
        write_inputs(args.generate_into, rows, small_files, args.small_rows)
        return
    if args.only is None:
        # Each data set runs in a fresh process: RSS a previous phase left behind (allocator
        # arenas are not returned to the OS) would otherwise inflate the next peak.
        for only in ("big", "small"):
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--only", only], check=True)
        return
    work = Path(tempfile.mkdtemp(prefix="pointline-bench-", dir=args.workdir))
    try:
        t = time.perf_counter()
        # Inputs are generated in a child process: building a 10M-row frame here would leave
        # gigabytes in this process's RSS (returned to the OS only slowly), and that memory
        # would be counted in the peak of whatever ran next, growing with the file size.
        subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--generate-into", str(work)], check=True
        )
        big, small = work / "big", work / "small"
        print(f"generated inputs in {time.perf_counter() - t:.1f}s under {work}")
        if args.only == "big":
            measure("large file", big, work, ["BTCUSDT"])
        else:
            names = [f"S{n:05d}" for n in range(args.small_files)]
            measure("small files", small, work, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
