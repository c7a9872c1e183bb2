"""Databento DBN: decode rate, and ingest of a large mbo file against a plain-polars floor.

    .venv/bin/python bench/databento_bench.py [--records 10000000]

Generates a zstd DBN mbo file of ``--records`` records
(:func:`pointline_databento.encode.synthetic_mbo`: a record encoded by ``databento-dbn`` is
the template, numpy varies the fields; the first records are checked against the vendor
decoder), then runs each phase in its own fresh process and
prints records/s and peak RSS (Linux VmHWM):

* ``decode``:   pointline_databento's columnar parse -> polars frames (all batches);
* ``floor``:    plain polars over the same records: numpy view -> polars -> cast to the
  l3 columns (exact Decimal(38,18) price and size, like the lake) -> ``write_delta``
  partitioned like the lake, one batch at a time;
* ``ingest``:   ``pointline_core.ingest`` (discover with header check, hash, parse twice:
  order events and executions, canonicalize, validate, PIT symbol ids, write, manifest),
  serial executor.

The ingest/floor ratio is the price of everything the lake adds over "decode, cast, write".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import databento_dbn as dbn
import numpy as np
import polars as pl
import zstandard
from pointline_databento.dbnfile import read_header, record_batches
from pointline_databento.encode import synthetic_mbo
from pointline_databento.parse import frame_of, read_batches

from pointline_core.models import BronzeFile

NAME = "glbx-mdp3-20201228.mbo.dbn.zst"
DEC = pl.Decimal(38, 18)
NANO = pl.lit(Decimal("1e-9"), pl.Decimal(38, 9))


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(path: Path, records: int) -> None:
    synthetic_mbo(path, records)
    # the generated records are what the vendor's decoder reads
    with path.open("rb") as raw:
        head = zstandard.ZstdDecompressor().stream_reader(raw).read(65_536)
    decoder = dbn.DBNDecoder()
    decoder.write(head)
    decoded = [r for r in decoder.decode() if isinstance(r, dbn.MBOMsg)]
    _header, first_batch = next(iter(record_batches(path, len(decoded))))  # the first batch only
    first = frame_of(first_batch)
    assert [r.order_id for r in decoded] == first["order_id"].to_list()
    assert [r.price for r in decoded] == first["price"].to_list()


def phase_decode(path: Path, batch_rows: int) -> dict:
    t0 = time.perf_counter()
    columnar = sum(frame_of(arr).height for _h, arr in record_batches(path, batch_rows))
    t1 = time.perf_counter()
    file = BronzeFile("databento", "mbo_orders", path, NAME, ())
    parsed = sum(f.height for f in read_batches(file, batch_rows))
    t2 = time.perf_counter()
    return {"records": columnar, "decode_s": t1 - t0, "parse_orders_rows": parsed,
            "parse_s": t2 - t1}  # fmt: skip


def phase_floor(path: Path, batch_rows: int, out: Path) -> dict:
    t0 = time.perf_counter()
    rows = 0
    for _h, arr in record_batches(path, batch_rows):
        frame = pl.DataFrame({
            "exchange": pl.Series(["glbx"]).new_from_index(0, len(arr)),
            "ts_event_us": pl.Series(arr["ts_event"]).cast(pl.Int64) // 1000,
            "ts_event_ns": pl.Series(arr["ts_event"]).cast(pl.Int64),
            "order_ref": pl.Series(arr["order_id"]).cast(pl.Int64),
            "price": pl.Series(arr["price"]),
            "qty": pl.Series(arr["size"]),
            "channel_seq": pl.Series(arr["sequence"]).cast(pl.Int64),
            "action": pl.Series(arr["action"].view(np.uint8)),
        }).with_columns(
            trading_date=pl.from_epoch("ts_event_us", time_unit="us").dt.date(),
            # the lake's dtypes: exact Decimal(38,18) price and size
            price=(pl.col("price").cast(pl.Decimal(38, 0)) * NANO).cast(DEC),
            qty=pl.col("qty").cast(DEC),
        )  # fmt: skip
        frame.write_delta(
            str(out), mode="append",
            delta_write_options={"partition_by": ["exchange", "trading_date"]},
        )  # fmt: skip
        rows += frame.height
    return {"rows": rows, "seconds": time.perf_counter() - t0}


def phase_ingest(bronze: Path, lake: Path, batch_rows: int) -> dict:
    from pointline_core import ingest
    from pointline_core.ingest.runner import IngestOptions
    from pointline_core.storage.dim_symbol import DimSymbolStore
    from pointline_core.storage.lake import Lake

    DimSymbolStore(Lake(lake)).apply(
        pl.DataFrame(
            {"exchange": ["glbx"], "exchange_symbol": ["ESH1"], "valid_from": ["2020-01-01"]}
        )  # fmt: skip
    )
    t0 = time.perf_counter()
    report = ingest(bronze, lake, vendors=["databento"], progress=False, executor="serial",
                    options=IngestOptions(batch_rows=batch_rows))  # fmt: skip
    seconds = time.perf_counter() - t0
    assert report.ok, report
    rows = sum(f.rows_written for f in report.files)
    return {"rows": rows, "seconds": seconds,
            "quarantined": sum(f.rows_quarantined for f in report.files)}  # fmt: skip


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--batch-rows", type=int, default=100_000)  # the ingest default
    parser.add_argument("--phase", choices=["decode", "floor", "ingest"])
    parser.add_argument("--path", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "decode":
            result = phase_decode(args.path, args.batch_rows)
        elif args.phase == "floor":
            result = phase_floor(args.path, args.batch_rows, args.out)
        else:
            result = phase_ingest(args.path, args.out, args.batch_rows)
        print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))
        return
    with tempfile.TemporaryDirectory(prefix="dbn-bench-") as tmp:
        root = Path(tmp)
        bronze = root / "bronze"
        path = bronze / "databento" / NAME
        t0 = time.perf_counter()
        generate(path, args.records)
        size = path.stat().st_size
        print(f"generated {args.records:,} mbo records ({size / 2**20:.0f} MiB zstd, "
              f"{args.records * 56 / 2**20:.0f} MiB decoded) in {time.perf_counter() - t0:.1f}s; "
              f"header: {read_header(path).schema}")  # fmt: skip
        br = ["--batch-rows", str(args.batch_rows)]
        dec = _child(["--phase", "decode", "--path", str(path), *br])
        n = dec["records"]
        print(f"decode -> polars (columnar):       {n / dec['decode_s'] / 1e6:6.2f} M records/s "
              f"({dec['decode_s']:.2f}s)")  # fmt: skip
        print(f"parse (+symbols, mbo_orders):      {n / dec['parse_s'] / 1e6:6.2f} M records/s "
              f"({dec['parse_s']:.2f}s; {dec['parse_orders_rows']:,} order events); "
              f"peak RSS {dec['peak_rss_mb']:.0f} MiB")  # fmt: skip
        floor = _child(["--phase", "floor", "--path", str(path), "--out", str(root / "floor"), *br])
        ing = _child(["--phase", "ingest", "--path", str(bronze), "--out", str(root / "lake"), *br])
        f_rate, i_rate = floor["rows"] / floor["seconds"], ing["rows"] / ing["seconds"]
        print(f"floor: decode->cast->write_delta: {f_rate / 1e6:6.2f} M rows/s "
              f"({floor['seconds']:.1f}s), peak RSS {floor['peak_rss_mb']:.0f} MiB")  # fmt: skip
        print(f"pointline ingest (l3_orders+l3_trades): {i_rate / 1e6:6.2f} M rows/s "
              f"({ing['seconds']:.1f}s, {ing['rows']:,} rows, {ing['quarantined']} quarantined), "
              f"peak RSS {ing['peak_rss_mb']:.0f} MiB")  # fmt: skip
        print(f"ratio ingest/floor: {i_rate / f_rate:.2f}")


if __name__ == "__main__":
    main()
