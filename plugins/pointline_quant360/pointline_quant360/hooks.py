"""Hook implementations of the Quant360 vendor plugin (entry point ``quant360``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pointline_core import hookimpl
from pointline_core.models import (
    ArchiveInfo,
    BronzeFile,
    ExchangeInfo,
    MemberTarget,
    Unrecognised,
    VendorInfo,
)
from pointline_core.validation_rules import Rule
from pointline_quant360 import __version__, canonical, discover, naming, parse, rules, symbols

VENDOR = naming.VENDOR
#: The plugin API version this plugin was written and tested against. A literal on purpose:
#: reading ``pointline_core.PLUGIN_API_VERSION`` here would always echo the installed core's
#: version, so the core's major-version check could never refuse this plugin.
BUILT_FOR_API_VERSION = "2.4"
TABLE_MAPPING = dict(canonical.TABLE_OF_STREAM)


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(
        name=VENDOR,
        version=__version__,
        description="Quant360 China A-share SSE/SZSE Level-2/3 data (.7z archives)",
        data_types=tuple(TABLE_MAPPING),
        api_version=BUILT_FOR_API_VERSION,
    )


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return dict(TABLE_MAPPING)


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [
        # Both trade on the mainland-China calendar, which exchange-calendars calls XSHG.
        ExchangeInfo("sse", "Asia/Shanghai", "equity", "Shanghai Stock Exchange", "XSHG"),
        ExchangeInfo("szse", "Asia/Shanghai", "equity", "Shenzhen Stock Exchange", "XSHG"),
    ]


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    return discover.discover(vendor_root, bronze_root)


@hookimpl
def pointline_parse(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    return parse.read_batches(file, batch_rows)


@hookimpl
def pointline_canonicalize(file: BronzeFile, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    return canonical.canonicalize(file, table, frame)


@hookimpl
def pointline_canonicalize_files(
    files: list[BronzeFile], table: str, frames: list[pl.DataFrame]
) -> pl.DataFrame | None:
    return canonical.canonicalize_files(files, table, frames)


@hookimpl
def pointline_validation_rules(file: BronzeFile, table: str) -> list[Rule]:
    return rules.rules_for(file, table)


@hookimpl
def pointline_recognize_archive(archive: Path) -> ArchiveInfo:
    return naming.recognize_archive(archive)


@hookimpl
def pointline_member_path(archive: ArchiveInfo, member: str) -> MemberTarget | None:
    return naming.member_target(archive, member)


@hookimpl
def pointline_read_symbols(path: Path) -> pl.DataFrame:
    return symbols.read_listing(path)
