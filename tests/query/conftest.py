"""Fixtures of the query tests: real Delta lakes in tmp_path, written by the ingest engine
(through the test-owned vendor in vendor.py) or by EventStore.append; no storage mocks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pointline_core import ingest as run_ingest
from pointline_core.ingest.report import IngestReport
from pointline_core.schemas.tables import BOOK_SNAPSHOTS
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake
from tests.query import vendor

DAY = 86_400_000_000
HOUR = 3_600_000_000
T0 = 1_709_251_200_000_000  # 2024-03-01T00:00:00Z
LONG_AGO = T0 - 365 * DAY


def us(*args: int) -> int:
    """Microseconds of a UTC datetime given as (y, m, d, h=0, min=0, s=0)."""
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp()) * 1_000_000


@pytest.fixture
def bronze(tmp_path: Path) -> Path:
    root = tmp_path / "bronze"
    root.mkdir()
    return root


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


def ingest(bronze: Path, lake: Lake) -> IngestReport:
    report = run_ingest(bronze, lake.root, plugins=vendor.plugins(), progress=False)
    bad = [
        (f.rel_path, f.status, f.reason)
        for f in report.files
        if f.status not in ("success", "skipped")
    ]
    assert not bad, bad
    return report


def windows(lake: Lake, rows: list[tuple]) -> None:
    """dim_symbol rows: (exchange, symbol, valid_from_ts_us, valid_until_ts_us|None, tick)."""
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
    DimSymbolStore(lake).apply(frame)


def listed(lake: Lake, *pairs: tuple[str, str]) -> None:
    """Open windows since long ago for (exchange, symbol) pairs."""
    windows(lake, [(ex, sym, LONG_AGO, None, "0.01") for ex, sym in pairs])


def book_rows() -> pl.DataFrame:
    """One book_snapshots row with two levels per side, one of them empty."""
    return pl.DataFrame(
        {
            "exchange": ["exa"],
            "trading_date": [dt.date(2024, 3, 1)],
            "symbol": ["AAA"],
            "symbol_id": [1],
            "ts_event_us": [T0],
            "ts_local_us": [T0],
            "file_id": [1],
            "file_seq": [0],
            "depth": [2],
            "bid_prices": [[Decimal("61000.5"), None]],  # an empty level
            "bid_qtys": [[Decimal("0.1"), None]],
            "ask_prices": [[Decimal("61001"), Decimal("61001.1")]],
            "ask_qtys": [[Decimal("1E-8"), Decimal("1.23456789")]],
            # no nanosecond clock in this source
            "ts_event_ns": [None] * 1,
            "ts_local_ns": [None] * 1,
        },
        schema=BOOK_SNAPSHOTS.polars_schema(),
    )
