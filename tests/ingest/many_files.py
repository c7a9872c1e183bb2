"""Shared by the tests of the optional many-file hooks (``pointline_parse_files``,
``pointline_canonicalize_files``): a Bronze of small fake-vendor files, the fake vendor with
one more hook whose calls are recorded, and a lake ingested from them."""

from __future__ import annotations

import types
from collections.abc import Callable

import polars as pl

from pointline_core import hookimpl, ingest
from pointline_core.plugins import Plugins
from tests.ingest import fake_vendor
from tests.ingest.conftest import open_symbols, silver, trades

SYMBOLS = [("utcx", f"S{i:02d}") for i in range(12)] + [("cnx", f"C{i:02d}") for i in range(6)]
#: Rows the Bronze of :func:`write_bronze` lands in Silver (one row is quarantined).
SILVER_ROWS = sum(5 + n for n in range(len(SYMBOLS))) - 1


def write_bronze(bronze) -> None:
    """One trades file per symbol, 5.. rows; the fourth file has one unparsable price."""
    for n, (exchange, symbol) in enumerate(SYMBOLS):
        rows = trades(5 + n)
        if n == 3:
            rows[2] = (rows[2][0], "not-a-price", *rows[2][2:])  # one quarantined row
        fake_vendor.write_trades(bronze, exchange, symbol, rows)


def with_hook(name: str, impl: Callable) -> tuple[Plugins, list[list[str]]]:
    """The fake vendor plus ``impl`` as its ``name`` hook (``pointline_parse_files`` or
    ``pointline_canonicalize_files``); the rel_paths of each call's files are recorded."""
    calls: list[list[str]] = []
    module = types.ModuleType(f"fake_vendor_{name}")
    module.__dict__.update({k: v for k, v in vars(fake_vendor).items() if not k.startswith("__")})

    # pluggy passes the arguments an implementation names: each hook keeps its signature
    def parse_files(files, batch_rows):
        calls.append([f.rel_path for f in files])
        return impl(files, batch_rows)

    def canonicalize_files(files, table, frames):
        calls.append([f.rel_path for f in files])
        return impl(files, table, frames)

    hooks = {
        "pointline_parse_files": parse_files,
        "pointline_canonicalize_files": canonicalize_files,
    }
    setattr(module, name, hookimpl(hooks[name]))
    plugins = Plugins()
    plugins.register(module, name=fake_vendor.VENDOR)
    return plugins, calls


def ingest_lake(tmp_path, name: str, plugins: Plugins, **kwargs):
    """(lake, report) of the Bronze under ``tmp_path / "bronze"`` into a new lake ``name``."""
    lake = tmp_path / name
    open_symbols(lake, *SYMBOLS)
    report = ingest(tmp_path / "bronze", lake, plugins=plugins, progress=False, **kwargs)
    return lake, report


def rows(lake, zone: str = "silver") -> pl.DataFrame:
    """The lake's trades rows of ``zone`` in file order."""
    if zone == "silver":
        return silver(lake, "trades").sort("file_id", "file_seq")
    return pl.read_delta(str(lake / "quarantine" / "trades")).sort("file_id", "file_seq")
