"""Helpers shared by the tardis plugin tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import polars as pl
import pytest
from pointline_tardis.formats import TABLE_MAPPING

from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins

REPO = Path(__file__).resolve().parents[3]
#: Real Tardis files (never copied into the repository: their owner forbids redistribution).
REAL_DIR = REPO.parent / "shared" / "data" / "real" / "nautilus_trader"
FORMAT_DOC = REPO.parent / "shared" / "docs" / "vendors" / "tardis.md"


def require_shared(path: Path) -> Path:
    """``path`` if it exists; fail under CI (env CI=true), skip locally when it is missing."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"shared test data missing under CI=true: {path}")
    pytest.skip(f"shared test data not present (set up ../shared): {path}")
    raise AssertionError("unreachable")


def write_csv(path: Path, text: str, gz: bool | None = None) -> Path:
    """Write ``text`` to ``path``, gzip-compressed when the name ends in .gz (or ``gz``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if gz if gz is not None else path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def bronze(path: Path, data_type: str, exchange: str | None = None) -> BronzeFile:
    meta = (("exchange", exchange),) if exchange else ()
    return BronzeFile("tardis", data_type, path, path.name, meta)


def run_file(
    plugins: Plugins, file: BronzeFile, batch_rows: int = 100_000
) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Parse and canonicalize ``file`` through the routed hooks; (raw batches, canonical)."""
    table = TABLE_MAPPING[file.data_type]
    batches = list(plugins.call("tardis", "pointline_parse", file=file, batch_rows=batch_rows))
    canonical = [
        plugins.call("tardis", "pointline_canonicalize", file=file, table=table, frame=batch)
        for batch in batches
    ]
    for raw, out in zip(batches, canonical, strict=True):
        assert out.height == raw.height
    if canonical:
        return batches, pl.concat(canonical)
    return batches, pl.DataFrame()
