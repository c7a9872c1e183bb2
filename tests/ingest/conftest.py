"""Fixtures for ingest tests: a Bronze root with the fake vendor, a lake, plugins."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pointline_core.plugins import Plugins
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake
from tests.ingest import fake_vendor

DAY = 86_400_000_000
T0 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z


@pytest.fixture
def plugins() -> Plugins:
    p = Plugins()
    p.register(fake_vendor)
    return p


@pytest.fixture
def bronze(tmp_path):
    root = tmp_path / "bronze"
    root.mkdir()
    return root


@pytest.fixture
def lake_root(tmp_path):
    return tmp_path / "lake"


def add_symbols(lake_root, rows: list[tuple]) -> None:
    """dim_symbol windows: (exchange, symbol, valid_from_ts_us, valid_until_ts_us|None
    [, tick_size])."""
    rows = [r if len(r) == 5 else (*r, "0.01") for r in rows]
    frame = pl.DataFrame(
        rows,
        schema={
            "exchange": pl.String,
            "exchange_symbol": pl.String,
            "valid_from_ts_us": pl.Int64,
            "valid_until_ts_us": pl.Int64,
            "tick_size": pl.String,
        },
        orient="row",
    )
    DimSymbolStore(Lake(lake_root)).apply(frame)


def open_symbols(lake_root, *pairs: tuple[str, str]) -> None:
    add_symbols(lake_root, [(ex, sym, T0 - 365 * DAY, None) for ex, sym in pairs])


def trades(n: int, start: int = T0, step: int = 1_000, price: str = "100.5") -> list[tuple]:
    return [(start + i * step, price, "0.25", "b" if i % 2 else "s", f"t{i}") for i in range(n)]


def silver(lake_root, table: str = "trades") -> pl.DataFrame:
    return pl.read_delta(str(lake_root / "silver" / table))


def date(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)
