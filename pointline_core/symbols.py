"""Import symbol windows into dim_symbol, from the generic format or a vendor's own file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pointline_core.errors import PluginContractError, SymbolDataError
from pointline_core.plugins import Plugins, load_plugins
from pointline_core.storage.dim_symbol import SYMBOL_ROW_COLUMNS, DimSymbolStore, SymbolApplyReport

__all__ = ["SYMBOL_ROW_COLUMNS", "import_symbols"]
from pointline_core.storage.lake import Lake


def import_symbols(
    path: str | Path,
    lake: str | Path,
    vendor: str | None = None,
    plugins: Plugins | None = None,
) -> SymbolApplyReport:
    """Apply a symbols file to ``<lake>/silver/dim_symbol`` (SCD2; re-importing is a no-op).

    Without ``vendor`` the file is read in the generic format (CSV or Parquet: exchange,
    exchange_symbol, valid_from, optional valid_until and attributes). With it, the vendor
    plugin's ``pointline_read_symbols`` reads the vendor's own instrument file.
    """
    rows = None
    if vendor is not None:
        plugins = plugins if plugins is not None else load_plugins()
        plugins.vendor(vendor)  # UnknownVendorError names the installed vendors
        if not plugins.implements(vendor, "pointline_read_symbols"):
            raise SymbolDataError(
                f"vendor {vendor!r} has no symbols reader (pointline_read_symbols); convert "
                "the file to the generic symbols format and import it without --vendor"
            )
        rows = plugins.call(vendor, "pointline_read_symbols", path=Path(path))
        if not isinstance(rows, pl.DataFrame):
            raise PluginContractError(
                f"plugin {vendor!r}: pointline_read_symbols must return a polars DataFrame, "
                f"got {type(rows).__name__}"
            )
    return DimSymbolStore(Lake(lake)).import_file(Path(path), vendor_rows=rows)
