"""Hook implementations of the Tardis.dev vendor plugin (entry point ``tardis``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_tardis import __version__

VENDOR = "tardis"
TABLE_MAPPING = {
    "trades": "trades",
    "incremental_book_L2": "orderbook_updates",
    "book_snapshot_25": "book_snapshots",
    "book_snapshot_5": "book_snapshots",
    "quotes": "quotes",
    "book_ticker": "quotes",
    "derivative_ticker": "derivative_ticker",
    "liquidations": "liquidations",
    "options_chain": "options_chain",
}


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(
        name=VENDOR,
        version=__version__,
        description="Tardis.dev crypto tick data (downloadable CSV datasets)",
        data_types=tuple(TABLE_MAPPING),
        api_version=PLUGIN_API_VERSION,
    )


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return dict(TABLE_MAPPING)


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [ExchangeInfo(name, "UTC", "crypto") for name in ("binance-futures", "deribit")]


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    return iter(())
