"""Hook implementations of the Tardis.dev vendor plugin (entry point ``tardis``).

Thin glue: each hook delegates to the module that owns the concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from pointline_core import hookimpl
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_tardis import __version__, book, canonical, exchanges, instruments, naming, parse
from pointline_tardis.formats import TABLE_MAPPING

VENDOR = naming.VENDOR
#: The plugin API (``pointline_core.PLUGIN_API_VERSION``) this plugin was built and tested
#: against. A literal on purpose: the core refuses a plugin whose major version differs from
#: its own, which only works if the plugin states its version instead of echoing the core's.
API_VERSION = "2.4"


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(
        name=VENDOR,
        version=__version__,
        description="Tardis.dev crypto tick data (downloadable CSV datasets, all nine types)",
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


def _flagged(file: BronzeFile, batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """A file's batches, with the snapshot flags of an incremental_book_L2 file added."""
    if file.data_type == "incremental_book_L2":
        return book.flag_batches(batches)
    return iter(batches)


@hookimpl
def pointline_parse(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    return _flagged(file, parse.read_batches(file.path, file.data_type, batch_rows))


@hookimpl
def pointline_parse_files(
    files: list[BronzeFile], batch_rows: int
) -> list[list[pl.DataFrame]] | None:
    read = parse.read_files([(file.path, file.data_type) for file in files], batch_rows)
    if read is None:
        return None
    return [list(_flagged(f, batches)) for f, batches in zip(files, read, strict=True)]


@hookimpl
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    return canonical.canonicalize(file, table, frame)


@hookimpl
def pointline_canonicalize_files(
    files: list[BronzeFile], table: str, frames: list[pl.DataFrame]
) -> pl.DataFrame:
    return canonical.canonicalize_files(files, table, frames)


@hookimpl
def pointline_read_symbols(path: Path) -> pl.DataFrame:
    return instruments.read_instruments(path)
