"""Per-file cost of the ingest manifest at N files (default 20,000).

    .venv/bin/python bench/manifest_bench.py [--files 20000] [--batch 500] [--lake DIR]

Builds a manifest the way an ingest run does (allocate a batch of identities, then one
status update per batch), then measures at full size: lookup of a batch, lookup of a single
file, allocate of a new batch, update of a batch. Prints milliseconds per call and
microseconds per file, and the number of Delta commits the build made. Then simulates a run
of many small files into an event table (``--run-files``) and measures the exactly-once
marker check (``EventStore.committed_file_ids``) against the table's markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from deltalake import DeltaTable

from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import FileIdentity, ManifestStore, StatusUpdate


def identity(i: int) -> FileIdentity:
    path = f"vendor_x/l3_orders/2024-01-{1 + i % 28:02d}/{i:06d}.csv.gz"
    return FileIdentity("vendor_x", "l3_orders", path, hashlib.sha256(path.encode()).hexdigest())


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def success(ids: list[int]) -> list[StatusUpdate]:
    day = dt.date(2024, 1, 2)
    return [StatusUpdate(i, "success", "l3_orders", 100, 99, 1, day, day, None) for i in ids]


def run_commits(root: Path, files: int, batch: int) -> None:
    """Commits of one simulated ingest run of many small files into an event table."""
    import polars as pl

    from pointline_core.schemas.tables import TRADES
    from pointline_core.storage.events import EventStore, app_id

    lake = Lake(root)
    manifest, events = ManifestStore(lake), EventStore(lake, TRADES)
    rows = 20
    day = dt.date(2024, 1, 2)

    def frame(file_id: int) -> pl.DataFrame:
        seq = list(range(rows))
        given = {
            "exchange": ["ex"] * rows,
            "trading_date": [day] * rows,
            "symbol": [f"S{file_id}"] * rows,
            "symbol_id": [file_id] * rows,
            "ts_event_us": seq,
            "ts_local_us": seq,
            "file_id": [file_id] * rows,
            "file_seq": seq,
            "trade_id": None,
            "side": ["buy"] * rows,
            "price": [1] * rows,
            "qty": [1] * rows,
        }
        # columns the table gained since (optional ns clocks, ...) stay null
        rest = {c.name: None for c in TRADES.columns if c.name not in given}
        return pl.DataFrame(
            {**given, **rest},
            schema=TRADES.polars_schema(),
        )

    start = time.perf_counter()
    every: list[int] = []
    for first in range(0, files, batch):
        idents = [identity(i) for i in range(first, min(files, first + batch))]
        ids = list(manifest.allocate(idents, [None] * len(idents)).values())
        # what a work unit asks before writing (exactly-once: delete what a crash left)
        events.committed_file_ids(ids)
        events.append((frame(i) for i in ids), ids)
        manifest.update(success(ids))
        every += ids
    elapsed = time.perf_counter() - start
    table = DeltaTable(str(events.path))
    ev = table.version() + 1
    mf = DeltaTable(str(manifest.path)).version() + 1
    print(
        f"  simulated run: {files:,} files x {rows} rows in batches of {batch}: "
        f"{elapsed / files * 1e3:.2f} ms/file end to end (marker check + manifest + event "
        "writes)"
    )
    print(f"    Delta commits: trades {ev} (incl. create), ingest_manifest {mf} (incl. create)")
    # exactly-once markers: one pass over the log for a whole batch, vs delta-rs per id
    t_batch, marked = timed(events.committed_file_ids, every[-batch:])
    assert len(marked) == min(batch, files)
    t_all, marked = timed(events.committed_file_ids, every)
    assert len(marked) == files
    sample = [app_id(i) for i in every[:100]]
    t_per_id, _ = timed(lambda: [table.transaction_version(a) for a in sample])
    print(f"    committed_file_ids with {files:,} markers in the table:")
    print(f"      {batch} files {t_batch * 1e3:8.1f} ms/call {t_batch / batch * 1e6:8.1f} us/file")
    print(f"      {files:,} files {t_all * 1e3:6.1f} ms/call {t_all / files * 1e6:8.1f} us/file")
    print(
        f"      (DeltaTable.transaction_version, one id per call: "
        f"{t_per_id / len(sample) * 1e6:,.0f} us/file)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lake", type=Path, help="lake dir (default: a temp dir, removed)")
    parser.add_argument(
        "--run-files", type=int, default=2_000, help="small files in the simulated run"
    )
    args = parser.parse_args()
    root = args.lake or Path(tempfile.mkdtemp(prefix="manifest-bench-"))
    store = ManifestStore(Lake(root))
    n, batch = args.files, args.batch
    try:
        build_alloc = build_update = 0.0
        calls = 0
        for start in range(0, n, batch):
            idents = [identity(i) for i in range(start, min(n, start + batch))]
            t, ids = timed(store.allocate, idents, [1000] * len(idents))
            build_alloc += t
            t, _ = timed(store.update, success(list(ids.values())))
            build_update += t
            calls += 1
        table = DeltaTable(str(store.path))
        commits = table.version() + 1
        print(f"manifest at {n:,} files, built in {calls} batches of {batch}")
        print(
            f"  Delta commits while building: {commits} (create + allocate + update per "
            f"batch + occasional compaction); live data files: {len(table.file_uris())}"
        )
        print(
            f"  build: allocate {build_alloc / n * 1e6:,.0f} us/file, "
            f"update {build_update / n * 1e6:,.0f} us/file (averaged over the growth)"
        )

        probe = [identity(i) for i in range(0, n, max(1, n // 1000))][:1000]
        t_lookup, found = timed(store.lookup, probe)
        assert len(found) == len(probe)
        t_one, one = timed(store.lookup, [identity(n // 2)])
        assert len(one) == 1
        t_all, every = timed(store.lookup, [identity(i) for i in range(n)])
        assert len(every) == n
        fresh = [identity(i) for i in range(n, n + batch)]
        t_alloc, new_ids = timed(store.allocate, fresh, [None] * batch)
        t_known, _ = timed(store.allocate, fresh, [None] * batch)
        t_upd, _ = timed(store.update, success(list(new_ids.values())))
        rows = [
            ("lookup 1,000 files", t_lookup, len(probe)),
            ("lookup 1 file", t_one, 1),
            (f"lookup all {n:,} files", t_all, n),
            (f"allocate {batch} new files", t_alloc, batch),
            (f"allocate {batch} known files", t_known, batch),
            (f"update {batch} files", t_upd, batch),
        ]
        print(f"  at {n:,} files:")
        for label, seconds, count in rows:
            print(
                f"    {label:<28}{seconds * 1e3:9.1f} ms/call {seconds / count * 1e6:10.1f} us/file"
            )
        run_commits(root / "run", args.run_files, batch)
    finally:
        if args.lake is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
