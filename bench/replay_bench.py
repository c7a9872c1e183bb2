"""Peak memory of ``query.replay`` over a generated day, against plain polars collect-and-sort.

Writes one trading day of one symbol into a fresh lake: ``--rows`` orderbook_updates and a
tenth as many trades (real Delta tables via EventStore.append, in 1M-row batches, rows in
roughly arrival order as a recorder writes them). Then, each in its own subprocess so peak RSS
is its own:

* ``replay``: ``query.replay(lake, ["orderbook_updates", "trades"], ...).sink_parquet(out)``;
* ``plain``: the baseline a user would write: ``pl.scan_delta`` both tables, concat, sort by
  (clock, table, file_id, file_seq), ``sink_parquet(out)``.

Prints rows, seconds and peak RSS of each and the ratio. Usage::

    python bench/replay_bench.py --rows 20000000            # the issue's 20M-row day
    python bench/replay_bench.py --rows 2000000 --only replay --lake /tmp/l   # one mode
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
DAY_US = 86_400_000_000
BATCH = 1_000_000


def _batch(spec_name: str, start: int, n: int, total: int, file_id: int) -> pl.DataFrame:
    from pointline_core.schemas.tables import ORDERBOOK_UPDATES, TRADES

    spec = ORDERBOOK_UPDATES if spec_name == "orderbook_updates" else TRADES
    i = pl.int_range(start, start + n, dtype=pl.Int64)
    event = T0 + i * (DAY_US // total)
    frame = pl.select(
        exchange=pl.lit("benchx"),
        trading_date=pl.lit(T0).cast(pl.Datetime("us")).dt.date(),
        symbol=pl.lit("AAA"),
        symbol_id=pl.lit(1, pl.Int64),
        ts_event_us=event,
        # receive time: 0..999 µs of jitter, so rows are only roughly in clock order
        ts_local_us=event + (i * 7919) % 1000,
        file_id=pl.lit(file_id, pl.Int64),
        file_seq=i,
        side=pl.when(i % 2 == 0)
        .then(pl.lit("bid" if spec is ORDERBOOK_UPDATES else "buy"))
        .otherwise(pl.lit("ask" if spec is ORDERBOOK_UPDATES else "sell")),
        price=6_000_000_000_000 + (i * 31) % 100_000 * 1_000_000,
        qty=(i * 17) % 1_000_000 + 1,
        is_snapshot=pl.lit(False),
        trade_id=i.cast(pl.String),
    )
    return frame.select(
        pl.col(n).cast(d) if n in frame.columns else pl.lit(None, d).alias(n)
        for n, d in spec.polars_schema().items()
    )


def build(lake_root: Path, rows: int) -> None:
    from pointline_core.schemas.tables import ORDERBOOK_UPDATES, TRADES
    from pointline_core.storage.events import EventStore
    from pointline_core.storage.lake import Lake

    lake = Lake(lake_root)
    for spec, total, file_id in ((ORDERBOOK_UPDATES, rows, 1), (TRADES, rows // 10, 2)):
        batches = (
            _batch(spec.name, s, min(BATCH, total - s), total, file_id)
            for s in range(0, total, BATCH)
        )
        EventStore(lake, spec).append(batches, file_ids=[file_id])


def run(mode: str, lake_root: Path, out: Path) -> None:
    started = time.perf_counter()
    if mode == "replay":
        from pointline_core import query

        lazy = query.replay(
            lake_root,
            ["orderbook_updates", "trades"],
            exchange="benchx",
            start="2024-03-01",
            end="2024-03-02",
        )
    else:
        keys = ["ts_local_us", "_table", "file_id", "file_seq"]
        lazy = pl.concat(
            [
                pl.scan_delta(str(lake_root / "silver" / name)).with_columns(_table=pl.lit(rank))
                for rank, name in enumerate(("orderbook_updates", "trades"))
            ],
            how="diagonal_relaxed",
        ).sort(keys)
    lazy.sink_parquet(out)
    seconds = time.perf_counter() - started
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{mode}: rows={rows} seconds={seconds:.1f} peak_rss_mib={peak:.0f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--lake", type=Path, help="existing bench lake (default: build one)")
    parser.add_argument("--only", choices=("replay", "plain"))
    parser.add_argument("--child", choices=("replay", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Everything (the generated lake, each child's output) lives in one temporary folder,
    # removed at the end: the test suite runs this bench.
    with tempfile.TemporaryDirectory(prefix="replay_bench_") as tmp:
        if args.child:
            run(args.child, args.lake, Path(tmp) / "out.parquet")
            return 0
        return _compare(args, Path(tmp))


def _compare(args: argparse.Namespace, work: Path) -> int:
    lake = args.lake
    if lake is None:
        lake = work / "lake"
        started = time.perf_counter()
        build(lake, args.rows)
        print(
            f"built {args.rows} book rows + {args.rows // 10} trades in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
    modes = [args.only] if args.only else ["replay", "plain"]
    peaks = {}
    for mode in modes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--lake", str(lake)],
            check=True,
            capture_output=True,
            text=True,
        )
        line = done.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        peaks[mode] = float(line.rsplit("=", 1)[1])
    if len(peaks) == 2:
        print(f"peak RSS ratio replay/plain: {peaks['replay'] / peaks['plain']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
