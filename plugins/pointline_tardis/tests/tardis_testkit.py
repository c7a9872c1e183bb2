"""Helpers shared by the tardis plugin tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import gzip
import os
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pointline_tardis.canonical import MAPPINGS
from pointline_tardis.formats import SNAPSHOT_DEPTH, TABLE_MAPPING, level_column

from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas import EVENT_TABLES

SPECS = {spec.name: spec for spec in EVENT_TABLES}

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


def _exact(text: str | None, scale: int) -> Decimal | None:
    """The stored Decimal(38, scale) of a vendor's decimal text."""
    if text is None:
        return None
    return Decimal(text).quantize(Decimal(1).scaleb(-scale))


def assert_round_trip(data_type: str, raw: pl.DataFrame, out: pl.DataFrame) -> None:
    """Every canonical value in ``out`` (canonicalize output or lake rows in file order)
    equals the raw CSV cell it came from (exact decimal comparison)."""
    spec = SPECS[TABLE_MAPPING[data_type]]
    for col in MAPPINGS[data_type]:
        if col.source is None or col.kind == "flag":
            continue  # flags are derived across rows (tests in test_book.py)
        got = out[col.target].to_list()
        cells = raw[col.source].to_list()
        if col.kind in ("price", "qty"):
            scale = spec.column(col.target).scale
            assert got == [_exact(c, scale) for c in cells], col.target
        elif col.kind in ("ts", "int"):
            assert got == [None if c is None else int(c) for c in cells], col.target
        elif col.kind == "float":
            assert got == [None if c is None else float(c) for c in cells], col.target
        elif col.kind == "bool":
            assert got == [None if c is None else c == "true" for c in cells], col.target
        else:
            assert got == cells, col.target
    if data_type in SNAPSHOT_DEPTH:
        depth = SNAPSHOT_DEPTH[data_type]
        assert out["depth"].unique().to_list() == [depth]
        for side, prefix in (("asks", "ask"), ("bids", "bid")):
            for field, target, scale in (("price", "prices", 18), ("amount", "qtys", 18)):
                lists = out[f"{prefix}_{target}"].to_list()
                assert all(len(v) == depth for v in lists)
                for level in range(depth):
                    name = level_column(side, level, field)
                    expected = [_exact(c, scale) for c in raw[name].to_list()]
                    assert [v[level] for v in lists] == expected, name
