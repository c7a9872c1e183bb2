"""Per-batch cost of ``pointline_canonicalize``: many small frames, as when ingesting many
small files, through the routed hook exactly as the ingest runner calls it.

    .venv/bin/python plugins/pointline_tardis/bench/bench_canonicalize.py
        [--frames 1000] [--rows 200] [--types trades,quotes,...] [--profile]

Prints, per data type, the best of three runs in ms per call (and rows/s); ``--profile``
adds the top cProfile entries of one run over all types.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl


def _frames(rows: int) -> dict[str, Callable[[], pl.DataFrame]]:
    from pointline_tardis import sample

    ex, sym, mid = "binance-futures", "BTCUSDT", 611_680
    return {
        "trades": lambda: sample.trades(rows, ex, [sym], mid, False),
        "liquidations": lambda: sample.liquidations(rows, ex, [sym], mid),
        "quotes": lambda: sample.quotes(rows, ex, [sym], mid),
        "book_ticker": lambda: sample.quotes(rows, ex, [sym], mid),
        "incremental_book_L2": lambda: sample.incremental_book_l2(rows, ex, sym),
        "derivative_ticker": lambda: sample.derivative_ticker(rows, ex, [sym], mid),
        "options_chain": lambda: sample.options_chain(rows, ex),
        "book_snapshot_5": lambda: sample.book_snapshot(rows, 5, ex, sym, mid, thin_every=3),
        "book_snapshot_25": lambda: sample.book_snapshot(rows, 25, ex, sym, mid, thin_every=3),
    }


def main() -> int:
    import pointline_tardis.hooks
    from pointline_tardis.formats import TABLE_MAPPING, expected_columns

    from pointline_core.models import BronzeFile
    from pointline_core.plugins import Plugins

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--types", default=",".join(TABLE_MAPPING))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    plugins = Plugins()
    plugins.register(pointline_tardis.hooks, name="tardis")
    makers = _frames(args.rows)
    runs: dict[str, Callable[[], None]] = {}
    for data_type in args.types.split(","):
        frame = makers[data_type]().select(expected_columns(data_type))
        table = TABLE_MAPPING[data_type]
        files = [
            BronzeFile(
                "tardis",
                data_type,
                Path(f"f{i}.csv.gz"),
                f"tardis/binance-futures_{data_type}_2024-03-01_S{i}.csv.gz",
                (("date", "2024-03-01"), ("exchange", "binance-futures"), ("symbol", f"S{i}")),
            )
            for i in range(args.frames)
        ]

        def run(
            files: list[BronzeFile] = files, table: str = table, frame: pl.DataFrame = frame
        ) -> None:
            for file in files:
                plugins.call(
                    "tardis", "pointline_canonicalize", file=file, table=table, frame=frame
                )

        run()  # warm up: builds the cached plan, as the first file of a run does
        best = min(_timed(run) for _ in range(3))
        per_call = best / args.frames
        print(
            f"{data_type:20s} {args.frames} x {args.rows} rows: {per_call * 1e3:6.3f} ms/call "
            f"({args.rows / per_call:,.0f} rows/s)"
        )
        runs[data_type] = run
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for run in runs.values():
            run()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
    return 0


def _timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
