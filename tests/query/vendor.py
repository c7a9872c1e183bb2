"""A vendor the query tests own: CSV trades at <bronze>/qvendor/<exchange>/<symbol>.<tag>.csv.

Columns: ts, local (µs UTC; empty = null), price, qty, side (b/s), tid. Three exchanges in
different timezones, so trading_date (exchange-local day) and the UTC day of an event differ:
``utcx`` (UTC), ``eastx`` (UTC+9) and ``westx`` (UTC-10).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.fixedpoint import encode
from pointline_core.models import BronzeFile, ExchangeInfo, VendorInfo
from pointline_core.plugins import Plugins
from pointline_core.schemas.tables import PRICE_SCALE, QTY_SCALE

VENDOR = "qvendor"
HEADER = ["ts", "local", "price", "qty", "side", "tid"]
TIMEZONES = {"utcx": "UTC", "eastx": "Asia/Tokyo", "westx": "Pacific/Honolulu"}


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(VENDOR, "0.0", "query test vendor", ("trades",), PLUGIN_API_VERSION)


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return {"trades": "trades"}


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [ExchangeInfo(name, tz, "crypto") for name, tz in TIMEZONES.items()]


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path):
    if not vendor_root.is_dir():
        return
    for path in sorted(vendor_root.glob("*/*.csv")):
        rel = path.relative_to(bronze_root).as_posix()
        yield BronzeFile(VENDOR, "trades", path, rel, (("exchange", path.parent.name),))


@hookimpl
def pointline_parse(file: BronzeFile, batch_rows: int):
    yield from pl.scan_csv(file.path, infer_schema=False).collect_batches(chunk_size=batch_rows)


@hookimpl
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        exchange=pl.lit(file.meta_dict()["exchange"]),
        symbol=pl.lit(file.path.name.split(".")[0]),
        ts_event_us=pl.col("ts").cast(pl.Int64),
        ts_local_us=pl.col("local").cast(pl.Int64, strict=False),
        trade_id=pl.col("tid"),
        side=pl.col("side").replace_strict({"b": "buy", "s": "sell"}),
        price=encode("price", PRICE_SCALE),
        qty=encode("qty", QTY_SCALE),
    )


def plugins() -> Plugins:
    registry = Plugins()
    registry.register(sys.modules[__name__])
    return registry


def write(bronze: Path, exchange: str, symbol: str, tag: str, rows: list[tuple]) -> Path:
    """One Bronze file; ``rows`` are (ts, local|None, price, qty, side, tid)."""
    path = bronze / VENDOR / exchange / f"{symbol}.{tag}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADER)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
