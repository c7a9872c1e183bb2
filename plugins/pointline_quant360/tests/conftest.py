"""Fixtures for the Quant360 plugin tests: the plugin registered in-process, archives built
in the test (real solid LZMA2 .7z files), and the archive -> Bronze -> canonical path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pointline_quant360.hooks as hooks
import polars as pl
import pytest
from pointline_quant360 import sample

from pointline_core.plugins import Plugins
from pointline_core.upstream.runner import ExtractReport, extract

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real"
DOLPHIN = REAL / "dolphindb_tutorials_cn"


def require_real(path: Path) -> Path:
    """``path`` if present; fail under CI (env CI=true), skip locally, when it is missing."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real sample data missing under CI: {path}")
    pytest.skip(f"real sample data not present: {path}")
    raise AssertionError("unreachable")


@pytest.fixture
def plugins() -> Plugins:
    p = Plugins()
    p.register(hooks)
    return p


@pytest.fixture
def write_archives() -> Callable[[Path, dict[str, dict[str, bytes]]], Path]:
    """Write {archive name: {member: bytes}} as .7z files under ``<root>/quant360/``."""

    def write(root: Path, archives: dict[str, dict[str, bytes]]) -> Path:
        for name, members in archives.items():
            sample.write_archive(root / "quant360" / name, members, preset=1)
        return root

    return write


def canonical(plugins: Plugins, bronze: Path, batch_rows: int = 64) -> dict[tuple, pl.DataFrame]:
    """Discover, parse (in small batches) and canonicalize every Bronze file, through the
    routed hooks. Key: (exchange, data_type, symbol)."""
    out: dict[tuple, pl.DataFrame] = {}
    found = plugins.call(
        "quant360", "pointline_discover", vendor_root=bronze / "quant360", bronze_root=bronze
    )
    for f in found:
        assert not hasattr(f, "reason"), f
        table = plugins.table_for("quant360", f.data_type)
        frames = [
            plugins.call("quant360", "pointline_canonicalize", file=f, table=table.name, frame=b)
            for b in plugins.call("quant360", "pointline_parse", file=f, batch_rows=batch_rows)
        ]
        meta = f.meta_dict()
        if frames:
            out[(meta["exchange"], f.data_type, meta["symbol"])] = pl.concat(frames)
    return out


@pytest.fixture
def run_extract(plugins) -> Callable[..., ExtractReport]:
    def run(source: Path, bronze: Path, **kw: object) -> ExtractReport:
        return extract(source, bronze, plugins=plugins, **kw)

    return run


@pytest.fixture
def to_canonical(plugins) -> Callable[..., dict[tuple, pl.DataFrame]]:
    return lambda bronze, batch_rows=64: canonical(plugins, bronze, batch_rows)


@pytest.fixture
def real_file() -> Callable[[Path], Path]:
    return require_real
