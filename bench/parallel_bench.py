"""Parallel ingest: wall time, rows/s and memory for 1 worker, 2 process workers and Ray.

    .venv/bin/python bench/parallel_bench.py [--small-files 2000] [--szse-symbols 300]
        [--szse-rows 5000] [--books 4] [--book-rows 5000000] [--no-ray] [--only szse,...]
        [--repeat 3]

Data sets (generated once, in a child process so its memory is not counted):
  * small: ``--small-files`` Tardis trade files of 200 rows (binance-futures, one symbol each);
  * szse: an extracted Quant360 SZSE day, order_new and tick_new, ``--szse-symbols`` files of
    ``--szse-rows`` rows each (the Bronze layout ``pointline extract`` publishes);
  * books: ``--books`` Tardis incremental_book_L2 files of ``--book-rows`` rows (each streams).
``ray(2)`` starts a local Ray inside the timed call (what ``--executor ray`` without an address
does); ``ray(2) up`` connects to a Ray cluster started just before (``ray start --head``), as a
user of a cluster would. ``1 cpu`` is ``workers=1`` in a process pinned to one CPU (affinity):
workers=2 against it is the speed-up per added core, printed below each data set. Each (data
set, configuration) runs in a fresh process after a 3 GiB memory warm-up (this VM charges ~0.7
s per GiB a process touches first), into a fresh lake with its symbols imported beforehand
(not timed); every configuration runs ``--repeat`` times, interleaved, and the median run is
printed. Printed: wall time of ``ingest``, rows/s,
the cores it kept busy (CPU seconds of the driver and its process workers / wall; one
process already uses more than one through polars' thread pool, which bounds what a second
worker can add on a 2-core machine: at most 2 / cores of ``workers=1``),
the speed-up against one worker, the driver's own CPU per file (``drv us/f``: with workers or
Ray, what planning and committing cost the driver; with one worker, the whole run), the
driver's peak RSS and every worker's peak RSS (from the
run report).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from installed import installed_env

HERE = Path(__file__).resolve().parent
T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
CONFIGS = {
    "workers=1": (1, "serial"),
    "1 cpu": (1, "serial"),
    "workers=2": (2, "process"),
    "ray(2)": (2, "ray"),
    "ray(2) up": (2, "ray"),
}
#: Configurations that run against a Ray cluster started before the timed process (as a
#: user of a cluster would): the cluster's start-up is not part of the ingest.
RUNNING_CLUSTER = {"ray(2) up"}
#: Configurations whose process may use one CPU only (affinity, inherited by its threads and
#: children): what one worker does with one core, polars' threads included. workers=2 on two
#: CPUs against this is the speed-up per added core, the figure that scales to a larger host;
#: workers=2 against workers=1 is bounded on two CPUs by the cores one process keeps busy.
ONE_CPU = {"1 cpu"}


def _gz(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(frame.write_csv().encode(), compresslevel=1, mtime=0))


def make_small(root: Path, files: int) -> None:
    i = pl.int_range(0, 200, dtype=pl.Int64, eager=True)
    symbols = []
    for n in range(files):
        sym = f"S{n:05d}USDT"
        symbols.append(sym)
        ts = T0 + i * 1_000_000 + n
        frame = pl.DataFrame(
            {
                "exchange": "binance-futures",
                "symbol": sym,
                "timestamp": ts,
                "local_timestamp": ts + 500,
                "id": (i + n * 1000).cast(pl.String),
                "side": pl.Series(["buy", "sell"] * 100),
                "price": (100 + (i * 7 + n) % 50 / 10).round(1),
                "amount": ((i * 13 + n) % 90 + 1) / 1000,
            }
        )
        _gz(root / "bronze" / "tardis" / f"binance-futures_trades_2024-03-01_{sym}.csv.gz", frame)
    pl.DataFrame(
        {"exchange": "binance-futures", "exchange_symbol": symbols, "valid_from": "2024-01-01"}
    ).write_csv(root / "symbols.csv")


def tick_csv(i: int, rows: int) -> bytes:
    """A deterministic SZSE tick_new-shaped CSV (not real data): trades and a few cancels."""
    sys.path.insert(0, str(HERE))
    from extract_bench import stamps

    n, ts = stamps(rows, 6_151, i * 17)
    cancel = pl.col("n") % 50 == 7
    price = (pl.lit(9.41) + ((pl.col("n") * 13 + i) % 40 - 20) / 100).round(2)
    qty = (pl.col("n") * 37 + i) % 20 * 100 + 100
    frame = pl.DataFrame({"n": n}).select(
        (pl.col("n") * 11 + i + 1).alias("ApplSeqNum"),
        pl.when(cancel).then(0).otherwise(pl.col("n") * 11 + i).alias("BidApplSeqNum"),
        ts.alias("SendingTime"),
        pl.when(cancel).then(0.0).otherwise(price).alias("Price"),
        pl.lit(2011).alias("ChannelNo"),
        qty.alias("Qty"),
        (pl.col("n") * 7 + i).alias("OfferApplSeqNum"),
        pl.when(cancel).then(0.0).otherwise(price * qty).round(3).alias("Amt"),
        pl.when(cancel).then(pl.lit("4")).otherwise(pl.lit("F")).alias("ExecType"),
        ts.alias("TransactTime"),
    )
    return frame.write_csv(float_precision=3).encode()


def make_szse(root: Path, symbols: int, rows: int, streams: str = "order_new,tick_new") -> None:
    """An extracted SZSE day: ``symbols`` files of ``rows`` rows per stream."""
    sys.path.insert(0, str(HERE))
    from extract_bench import member_csv  # an order_new-shaped SZSE member

    render = {"order_new": member_csv, "tick_new": tick_csv}
    codes = [f"{n + 1:06d}" for n in range(symbols)]
    for stream in streams.split(","):
        for n, code in enumerate(codes):
            rel = (
                f"quant360/exchange=szse/type={stream}/date=2024-01-02/symbol={code}/{code}.csv.gz"
            )
            path = root / "bronze" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(render[stream](n, rows), compresslevel=1, mtime=0))
    pl.DataFrame(
        {"exchange": "szse", "exchange_symbol": codes, "valid_from": "2020-01-01"}
    ).write_csv(root / "symbols.csv")


def make_books(root: Path, books: int, rows: int) -> None:
    sys.path.insert(0, str(HERE))
    from ingest_bench import l2_frame

    symbols = []
    for n in range(books):
        sym = f"BOOK{n}USDT"
        symbols.append(sym)
        name = f"binance-futures_incremental_book_L2_2024-03-01_{sym}.csv.gz"
        _gz(root / "bronze" / "tardis" / name, l2_frame(rows, sym))
    pl.DataFrame(
        {"exchange": "binance-futures", "exchange_symbol": symbols, "valid_from": "2024-01-01"}
    ).write_csv(root / "symbols.csv")


def _lake(root: Path, config: str) -> Path:
    return root / f"lake-{''.join(ch for ch in config if ch.isalnum())}"


def child(root: Path, config: str) -> None:
    """One timed run in this fresh process; prints one JSON line."""
    from pointline_core import import_symbols, ingest

    workers, executor = CONFIGS[config]
    lake = _lake(root, config)
    import_symbols(root / "symbols.csv", lake, progress=False)
    cpu0, own0 = _cpu_seconds(), _own_cpu_seconds()
    t0 = time.perf_counter()
    report = ingest(root / "bronze", lake, progress=False, workers=workers, executor=executor)
    wall = time.perf_counter() - t0
    # the driver and its reaped process workers; Ray's workers are not its children
    cores = None if executor == "ray" else (_cpu_seconds() - cpu0) / wall
    driver_us = (_own_cpu_seconds() - own0) / len(report.files) * 1e6
    rows = sum(f.rows_total for f in report.files)
    assert report.ok, [f.reason for f in report.files if f.reason][:3]
    driver = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            driver = int(line.split()[1]) / 1024
    peaks = [w.peak_rss_mb for w in report.worker_peak_rss_mb]
    print(
        json.dumps(
            {
                "wall": wall,
                "rows": rows,
                "driver_mb": driver,
                "workers_mb": peaks,
                "cores": cores,
                "driver_us": driver_us,
            }
        )
    )


def _own_cpu_seconds() -> float:
    """User + system CPU of this process alone (the driver; its workers are other processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have exited."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (its memory and cores are printed with it)."""
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def warm_up() -> None:
    subprocess.run([sys.executable, "-c", "b = b'\\x01' * (3 << 30)"], check=True)


def _one_cpu() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run_child(root: Path, config: str) -> dict:
    shutil.rmtree(_lake(root, config), ignore_errors=True)  # every run ingests into a new lake
    env = installed_env()
    ray = Path(sys.executable).with_name("ray")
    if config in RUNNING_CLUSTER:
        start = [str(ray), "start", "--head", "--num-cpus=2", "--include-dashboard=false"]
        # one polars thread per one-CPU task, as docs/scaling.md advises for cluster nodes
        node_env = {**installed_env(), "POLARS_MAX_THREADS": "1"}
        subprocess.run(start, check=True, capture_output=True, env=node_env)
        env["RAY_ADDRESS"] = "auto"
    try:
        warm_up()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(root), config],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=_one_cpu if config in ONE_CPU else None,
        )
    finally:
        if config in RUNNING_CLUSTER:
            subprocess.run([str(ray), "stop", "--force"], check=False, capture_output=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--szse-symbols", type=int, default=300)
    parser.add_argument("--szse-rows", type=int, default=5000)
    parser.add_argument("--books", type=int, default=4)
    parser.add_argument("--book-rows", type=int, default=5_000_000)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per configuration; the median is printed"
    )
    parser.add_argument("--only", help="comma-separated data sets (small, szse, books)")
    parser.add_argument("--child", nargs=2, metavar=("ROOT", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return 0
    configs = [c for c in CONFIGS if not (args.no_ray and c.startswith("ray"))]
    with tempfile.TemporaryDirectory(prefix="pointline-parallel-bench-") as tmp:
        sets = {
            "small": (make_small, (args.small_files,)),
            "szse": (make_szse, (args.szse_symbols, args.szse_rows)),
            "books": (make_books, (args.books, args.book_rows)),
        }
        print(
            f"{'data set':8} {'config':10} {'wall s':>7} {'rows/s':>10} {'speed-up':>8} "
            f"{'cores':>5} {'drv us/f':>8} {'driver MB':>9}  worker peak MB"
        )
        for name, (make, params) in sets.items():
            if args.only and name not in args.only.split(","):
                continue
            root = Path(tmp) / name
            code = (
                f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                f"from parallel_bench import {make.__name__} as make; "
                f"from pathlib import Path; make(Path({str(root)!r}), *{params!r})"
            )
            subprocess.run([sys.executable, "-c", code], check=True)
            base = None
            walls: dict[str, float] = {}
            runs: dict[str, list[dict]] = {c: [] for c in configs}
            for _ in range(args.repeat):  # interleaved: a slow spell hits every config
                for config in configs:
                    runs[config].append(run_child(root, config))
            for config in configs:
                r = _median_run(runs[config])
                base = base or r["wall"]
                walls[config] = r["wall"]
                workers = ", ".join(f"{m:.0f}" for m in r["workers_mb"])
                cores = "-" if r["cores"] is None else f"{r['cores']:.2f}"
                print(
                    f"{name:8} {config:10} {r['wall']:7.2f} {r['rows'] / r['wall']:10,.0f} "
                    f"{base / r['wall']:7.2f}x {cores:>5} {r['driver_us']:8.0f} "
                    f"{r['driver_mb']:9.0f}  {workers}",
                    flush=True,
                )
            if "1 cpu" in walls and "workers=2" in walls:
                print(
                    f"{name:8} per added core: workers=2 on 2 CPUs is "
                    f"{walls['1 cpu'] / walls['workers=2']:.2f}x workers=1 on 1 CPU",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
