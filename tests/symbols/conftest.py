"""Fixtures of the symbol-history tests: real lakes in tmp_path, events written by the ingest
engine through the ingest tests' own vendor (exchange ``utcx``, UTC)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pointline_core import ingest
from pointline_core.plugins import Plugins
from pointline_core.storage.dim_symbol import resolve_symbol_ids
from pointline_core.storage.lake import Lake
from tests.ingest import fake_vendor

COLUMNS = ["exchange", "exchange_symbol", "valid_from", "valid_until", "tick_size"]


def us(day: int, hour: int = 0) -> int:
    """µs of 2024-01-<day> <hour>:00 UTC."""
    return int(dt.datetime(2024, 1, day, hour, tzinfo=dt.UTC).timestamp()) * 1_000_000


def symbols(*rows: tuple) -> pl.DataFrame:
    """Symbol rows (exchange, symbol, valid_from, valid_until|None, tick_size)."""
    return pl.DataFrame(list(rows), schema=COLUMNS, orient="row")


@pytest.fixture
def plugins() -> Plugins:
    p = Plugins()
    p.register(fake_vendor)
    return p


@pytest.fixture
def bronze(tmp_path: Path) -> Path:
    root = tmp_path / "bronze"
    root.mkdir()
    return root


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def write_trades(bronze: Path, symbol: str, stamps: list[int], name: str | None = None) -> Path:
    rows = [(ts, "100.5", "1", "b", f"t{i}") for i, ts in enumerate(stamps)]
    return fake_vendor.write_trades(bronze, "utcx", name or symbol, rows)


def land(bronze: Path, lake_root: Path, plugins: Plugins, **kw: object):
    return ingest(bronze, lake_root, plugins=plugins, progress=False, **kw)


def rows(lake_root: Path, zone: str = "silver") -> pl.DataFrame:
    path = lake_root / zone / "trades"
    if not (path / "_delta_log").is_dir():
        return pl.DataFrame(schema={"file_id": pl.Int64, "file_seq": pl.Int64})
    return pl.read_delta(str(path))


def assert_consistent(lake_root: Path, expected_rows: int | None = None) -> None:
    """Every Silver row carries the id of the window its ts falls in; no row is in both
    Silver and quarantine or twice anywhere; (optionally) none is lost."""
    silver = rows(lake_root)
    dim = pl.read_delta(str(lake_root / "silver" / "dim_symbol"))
    if silver.height:
        want = resolve_symbol_ids(silver, dim)
        assert want.null_count() == 0, "a Silver row lies in no window"
        assert (silver["symbol_id"] == want).all(), "a Silver row carries a stale symbol_id"
    both = pl.concat(
        [f.select("file_id", "file_seq") for f in (silver, rows(lake_root, "quarantine"))]
    )
    assert both.height == both.unique().height, "a row is stored twice"
    if expected_rows is not None:
        assert both.height == expected_rows, "rows were lost"


def table_versions(lake_root: Path) -> dict[str, int]:
    from deltalake import DeltaTable

    return {
        f"{zone}/{p.name}": DeltaTable(str(p)).version()
        for zone in ("silver", "quarantine", "control")
        for p in sorted((Lake(lake_root).root / zone).glob("*"))
        if (p / "_delta_log").is_dir()
    }
