"""A tiny vendor the ingest tests own: CSV trades under <bronze>/fakevendor/<exch>/<sym>.csv.

Columns: ts (µs UTC), price, qty, side (b/s), tid. A file named ``*.boom.csv`` makes
canonicalize raise; ``*.slow.csv`` sleeps per batch (for concurrency tests); a ts of
``explode`` makes parse raise when it reaches that row's batch. For the parallel tests:
``*.die.csv`` makes parse SIGKILL its own process after the first batch (run it in a worker!)
and ``*.hog.csv`` makes parse hit a 256 MB address-space limit (setrlimit) and raise the
MemoryError.
"""

from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path

import polars as pl

from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.errors import ParseError
from pointline_core.fixedpoint import encode, encode_reason, first_reason
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_core.schemas.tables import PRICE_SCALE, QTY_SCALE
from pointline_core.validation_rules import Rule

VENDOR = "fakevendor"
HEADER = ["ts", "price", "qty", "side", "tid"]


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(VENDOR, "0.0", "test vendor", ("trades",), PLUGIN_API_VERSION)


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return {"trades": "trades"}


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [
        ExchangeInfo("utcx", "UTC", "crypto", calendar="24/7"),
        ExchangeInfo("cnx", "Asia/Shanghai", "equity", calendar="XSHG"),
    ]


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path):
    if not vendor_root.is_dir():
        return
    for path in sorted(vendor_root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(bronze_root).as_posix()
        if path.suffix == ".csv" and path.parent.parent == vendor_root:
            yield BronzeFile(VENDOR, "trades", path, rel, (("exchange", path.parent.name),))
        else:
            yield Unrecognised(VENDOR, rel, "not <exchange>/<symbol>.csv")


@hookimpl
def pointline_parse(file: BronzeFile, batch_rows: int):
    if file.path.stat().st_size == 0:
        return
    lazy = pl.scan_csv(file.path, infer_schema=False)
    if lazy.collect_schema().names() != HEADER:
        raise ParseError(f"bad header {lazy.collect_schema().names()}", path=file.rel_path, line=1)
    if ".hog." in file.path.name:
        _hit_memory_limit()
    for i, batch in enumerate(lazy.collect_batches(chunk_size=batch_rows)):
        if ".die." in file.path.name and i == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        if ".slow." in file.path.name:
            time.sleep(0.3)
        if (batch["ts"] == "explode").any():
            raise ParseError("unreadable row", path=file.rel_path, column="ts")
        yield batch


def _hit_memory_limit() -> None:
    """Allocate past a temporary RLIMIT_AS (restored afterwards so the worker lives on)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    current = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (current + (256 << 20), hard))
    try:
        blob = bytearray(1 << 30)  # 1 GiB: over the limit
        del blob
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@hookimpl
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    if ".boom." in file.path.name:
        raise RuntimeError("canonicalize exploded")
    exchange = file.meta_dict()["exchange"]
    symbol = file.path.stem.split(".")[0]
    return frame.select(
        exchange=pl.lit(exchange),
        symbol=pl.lit(symbol),
        ts_event_us=pl.col("ts").cast(pl.Int64, strict=False),
        ts_local_us=pl.col("ts").cast(pl.Int64, strict=False),
        trade_id=pl.col("tid"),
        side=pl.col("side").replace_strict({"b": "buy", "s": "sell"}, default=pl.col("side")),
        price=encode("price", PRICE_SCALE),
        qty=encode("qty", QTY_SCALE),
        _reject_reason=first_reason(
            encode_reason("price", PRICE_SCALE, "price"), encode_reason("qty", QTY_SCALE, "qty")
        ),
    )


@hookimpl
def pointline_validation_rules(file: BronzeFile, table: str) -> list[Rule]:
    return [
        Rule("price_above_1000", pl.col("price") > 1000, "warn"),
        Rule("test_trade", pl.col("trade_id") == "reject-me", "reject", "test rows"),
    ]


def write_trades(
    bronze: Path, exchange: str, symbol: str, rows: list[tuple], suffix: str = ""
) -> Path:
    """Write one fake Bronze file; ``rows`` are (ts, price, qty, side, tid) tuples."""
    path = bronze / VENDOR / exchange / f"{symbol}{suffix}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
