"""Hook implementations of the Quant360 vendor plugin (entry point ``quant360``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pointline_core import PLUGIN_API_VERSION, hookimpl
from pointline_core.models import BronzeFile, ExchangeInfo, Unrecognised, VendorInfo
from pointline_quant360 import __version__

VENDOR = "quant360"
TABLE_MAPPING = {
    "order_new": "l3_orders",
    "tick_new": "l3_trades",
    "L2_new": "l2_snapshots",
}


@hookimpl
def pointline_vendor_info() -> VendorInfo:
    return VendorInfo(
        name=VENDOR,
        version=__version__,
        description="Quant360 China A-share SSE/SZSE Level-2/3 data (.7z archives)",
        data_types=tuple(TABLE_MAPPING),
        api_version=PLUGIN_API_VERSION,
    )


@hookimpl
def pointline_table_mapping() -> dict[str, str]:
    return dict(TABLE_MAPPING)


@hookimpl
def pointline_exchanges() -> list[ExchangeInfo]:
    return [
        ExchangeInfo("sse", "Asia/Shanghai", "equity", "Shanghai Stock Exchange"),
        ExchangeInfo("szse", "Asia/Shanghai", "equity", "Shenzhen Stock Exchange"),
    ]


@hookimpl
def pointline_discover(vendor_root: Path, bronze_root: Path) -> Iterator[BronzeFile | Unrecognised]:
    return iter(())
