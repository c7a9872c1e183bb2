"""Hook implementations of the Databento vendor plugin (entry point ``databento``).

Thin glue: each hook delegates to the module that owns the concern.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pointline_core import hookimpl
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_databento import __version__, canonical, exchanges, naming

# The DBN decoder (databento-dbn, numpy, zstandard) is imported where a file is read, not
# here: every ingest run and worker loads every installed plugin, and importing it costs
# ~0.1 s even when no Databento file is in the run.
from pointline_databento.formats import TABLE_MAPPING

VENDOR = naming.VENDOR
#: The plugin API this plugin was built against: 2.1 (Decimal columns, trading_day_roll).
API_VERSION = "2.4"


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(
        name=VENDOR,
        version=__version__,
        description="Databento DBN files (CME Globex futures, Nasdaq equities): trades, "
        "mbo, mbp-1/10, bbo, cmbp/cbbo, ohlcv",
        data_types=tuple(TABLE_MAPPING),
        api_version=API_VERSION,
    )


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return dict(TABLE_MAPPING)


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return exchanges.exchange_infos()


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    return naming.discover(vendor_root, bronze_root)


@hookimpl
def pointline_parse(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    from pointline_databento import parse

    return parse.read_batches(file, batch_rows)


@hookimpl
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    return canonical.canonicalize(file, table, frame)


@hookimpl
def pointline_read_symbols(path: Path) -> pl.DataFrame:
    from pointline_databento import definitions

    return definitions.read_definitions(path)
