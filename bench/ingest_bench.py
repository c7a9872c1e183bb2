"""Per-core ingest throughput and memory against plain-polars floors, side by side.

    .venv/bin/python bench/ingest_bench.py [--only curve,small,day] [--repeat 3]
        [--curve-rows 10,200000,2000000,5000000] [--small-files 2000] [--day-files 300]

Data sets (generated once, in a child process so their memory is counted nowhere):
  * curve: one Tardis incremental_book_L2 ``.csv.gz`` per size in ``--curve-rows`` (the curve
    file size -> time and peak RSS; add 30000000 for the far end);
  * small: ``--small-files`` Tardis trade files of 200 rows each;
  * day: an extracted Quant360 SZSE order_new day, ``--day-files`` files of 5,000 rows.
Sides, each in its OWN fresh process after a 3 GiB memory warm-up in another process (this
VM charges ~0.7 s per GiB a process touches first, so without it the side that touches less
memory wins unfairly):
  * pointline: ``ingest(..., workers=1)`` - the whole pipeline on one process (discover,
    hash, parse, exact decimal parsing, validate, PIT symbol_id, lineage, write, manifest);
  * eager floor: ``pl.read_csv`` -> the same numeric casts -> ``write_delta`` partitioned by
    (exchange, trading_date);
  * streaming floor: ``pl.scan_csv`` -> the same casts -> ``sink_delta``, partitioned alike.
Printed per data set: wall seconds (median of ``--repeat`` interleaved runs: single runs move
by +-10% here), rows/s, peak RSS (the child's highest VmHWM) and pointline's speed as a ratio
of each floor's (>1 = pointline faster).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from installed import installed_env

HERE = Path(__file__).resolve().parent
T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
EXCHANGE = "binance-futures"
SIDES = ("pointline", "eager", "streaming")


def l2_frame(rows: int, symbol: str = "BTCUSDT") -> pl.DataFrame:
    """An incremental_book_L2-shaped frame (Tardis columns), deterministic."""
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


def make_curve(root: Path, sizes: list[int]) -> None:
    sys.path.insert(0, str(HERE))
    from parallel_bench import _gz

    for rows in sizes:
        name = f"{EXCHANGE}_incremental_book_L2_2024-03-01_BTCUSDT.csv.gz"
        _gz(root / f"curve-{rows}" / "bronze" / "tardis" / name, l2_frame(rows))
        _symbols(root / f"curve-{rows}", EXCHANGE, ["BTCUSDT"], "2024-01-01")


def _symbols(root: Path, exchange: str, names: list[str], valid_from: str) -> None:
    pl.DataFrame(
        {"exchange": exchange, "exchange_symbol": names, "valid_from": valid_from}
    ).write_csv(root / "symbols.csv")


# -- the floors: the same parse, numeric casts and partitioned Delta write in plain polars --


def _tardis_cast(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.with_columns(
        # the lake's types: exact Decimal(38, 18) prices and quantities (from the text)
        pl.col("price", "amount").cast(pl.String).cast(pl.Decimal(38, 18)),
        trading_date=pl.from_epoch("timestamp", time_unit="us").dt.date(),
    )


def _szse_cast(lf: pl.LazyFrame) -> pl.LazyFrame:
    ts = pl.col("TransactTime").cast(pl.String).str.to_datetime("%Y%m%d%H%M%S%3f")
    return lf.with_columns(
        pl.col("Price", "OrderQty").cast(pl.String).cast(pl.Decimal(38, 18)),
        exchange=pl.lit("szse"),
        trading_date=ts.dt.date(),
    )


def floor(bronze: Path, out: Path, streaming: bool) -> int:
    tardis = sorted((bronze / "tardis").glob("*.csv.gz")) if (bronze / "tardis").exists() else []
    paths = tardis or sorted(bronze.glob("quant360/**/*.csv.gz"))
    cast = _tardis_cast if tardis else _szse_cast
    options = {"partition_by": ["exchange", "trading_date"]}
    if streaming:
        lf = cast(pl.scan_csv([str(p) for p in paths]))
        lf.sink_delta(str(out), delta_write_options=options)
    else:
        frame = pl.concat([cast(pl.read_csv(p).lazy()).collect() for p in paths])
        frame.write_delta(str(out), delta_write_options=options)
    return pl.scan_delta(str(out)).select(pl.len()).collect().item()


def child(root: Path, side: str) -> None:
    """One timed side in this fresh process; prints one JSON line."""
    out = root / f"out-{side}"
    if side == "pointline":
        from pointline_core import import_symbols, ingest

        import_symbols(root / "symbols.csv", out, progress=False)
        t0 = time.perf_counter()
        vendors = [d.name for d in (root / "bronze").iterdir() if d.is_dir()]
        report = ingest(root / "bronze", out, vendors=vendors, progress=False, workers=1)
        wall = time.perf_counter() - t0
        assert report.ok, [f.reason for f in report.files if f.reason][:3]
        rows = sum(f.rows_written for f in report.files)
    else:
        t0 = time.perf_counter()
        rows = floor(root / "bronze", out, streaming=side == "streaming")
        wall = time.perf_counter() - t0
    peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    print(json.dumps({"wall": wall, "rows": rows, "peak_mb": peak}))


def run_side(root: Path, side: str) -> dict:
    shutil.rmtree(root / f"out-{side}", ignore_errors=True)  # every run writes a fresh lake
    subprocess.run([sys.executable, "-c", "b = b'\\x01' * (3 << 30)"], check=True)  # warm-up
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), side],
        check=True,
        capture_output=True,
        text=True,
        env=installed_env(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, root: Path, repeat: int = 1) -> None:
    """Each side ``repeat`` times, interleaved (so a slow spell of this shared VM hits every
    side alike); printed: the median wall time and the highest peak."""
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    for _ in range(repeat):
        for side in SIDES:
            runs[side].append(run_side(root, side))
    results = {
        side: {
            "wall": statistics.median(r["wall"] for r in rs),
            "rows": rs[0]["rows"],
            "peak_mb": max(r["peak_mb"] for r in rs),
        }
        for side, rs in runs.items()
    }
    rows = {r["rows"] for rs in runs.values() for r in rs}
    assert len(rows) == 1, f"{name}: sides wrote different row counts {results}"
    ours = results["pointline"]["wall"]
    for side, r in results.items():
        ratio = "" if side == "pointline" else f"{r['wall'] / ours:6.2f}x"
        print(
            f"{name:14} {side:10} {r['wall']:7.2f} {r['rows'] / r['wall']:12,.0f} "
            f"{r['peak_mb']:8.0f}  {ratio}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated data sets (curve, small, day)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per side; the median is printed"
    )
    parser.add_argument("--curve-rows", default="10,200000,2000000,5000000")
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--day-files", type=int, default=300)
    parser.add_argument("--child", nargs=2, metavar=("ROOT", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return 0
    sizes = [int(n) for n in args.curve_rows.split(",")]
    wanted = args.only.split(",") if args.only else ["curve", "small", "day"]
    with tempfile.TemporaryDirectory(prefix="pointline-ingest-bench-") as tmp:
        base = Path(tmp)
        makers = {
            "curve": ("make_curve", "ingest_bench", (sizes,)),
            "small": ("make_small", "parallel_bench", (args.small_files,)),
            "day": ("make_szse", "parallel_bench", (args.day_files, 5000, "order_new")),
        }
        header = f"{'data set':14} {'side':10} {'wall s':>7} {'rows/s':>12} {'peak MB':>8}"
        print(f"{header}  floor/ours")
        for name in wanted:
            make, module, params = makers[name]
            root = base / name
            code = (
                f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                f"from {module} import {make} as make; "
                f"from pathlib import Path; make(Path({str(root)!r}), *{params!r})"
            )
            subprocess.run([sys.executable, "-c", code], check=True)
            if name == "curve":
                for rows in sizes:
                    measure(f"book {rows:,}", root / f"curve-{rows}", args.repeat)
            else:
                measure(name, root, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
