"""Helpers shared by the databento plugin tests (imported by conftest.py and test modules)."""

from __future__ import annotations

import os
from pathlib import Path

import databento_dbn
import polars as pl
import pytest
import zstandard

from pointline_core import ingest as run_ingest
from pointline_core.storage.lake import Lake

REPO = Path(__file__).resolve().parents[3]
#: Databento's own DBN test files (Apache-2.0), see its README.
REAL_DIR = REPO.parent / "shared" / "data" / "real" / "databento_dbn"


def require_shared(path: Path) -> Path:
    """``path`` if it exists; fail under CI (env CI=true), skip locally when it is missing."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"shared test data missing under CI=true: {path}")
    pytest.skip(f"shared test data not present (set up ../shared): {path}")
    raise AssertionError("unreachable")


def decoded(path: Path) -> tuple[databento_dbn.Metadata, list[object]]:
    """The vendor decoder's view of a file: (metadata, record objects). The test oracle."""
    data = path.read_bytes()
    if path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    decoder = databento_dbn.DBNDecoder()
    decoder.write(data)
    records = decoder.decode()
    return records[0], records[1:]


def ingest(bronze: Path, lake: Path, **kwargs: object):
    return run_ingest(bronze, lake, vendors=["databento"], progress=False, **kwargs)


def silver(lake: Path, table: str, zone: str = "silver") -> pl.DataFrame:
    path = Lake(lake).table_path(table, zone)
    return pl.read_delta(str(path)) if path.exists() else pl.DataFrame()
