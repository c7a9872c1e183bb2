"""Fixtures of the parallel-ingest tests: a mixed Bronze (many small Tardis files, a
Quant360 SSE+SZSE day extracted from real .7z archives, symbols missing for one instrument so
rows are quarantined) and a lake-content fingerprint that includes every id."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from pointline_core import extract, import_symbols
from pointline_core.storage.lake import Lake
from tests.foundation.fake_plugins import make_plugin

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def mixed_source(tmp_path_factory) -> Path:
    """Bronze + symbols files, built once; tests copy nothing (ingest only reads Bronze)."""
    from pointline_quant360.sample import write_sample as quant360_sample
    from pointline_tardis.sample import write_sample as tardis_sample

    root = tmp_path_factory.mktemp("mixed")
    bronze = root / "bronze"
    tardis_sample(bronze)
    quant360_sample(root / "source")
    extract(root / "source", bronze)
    # one instrument left out of the symbols: its rows are quarantined (symbol_not_covered)
    instruments = json.loads((bronze / "tardis_instruments.json").read_text())
    (root / "instruments.json").write_text(json.dumps(instruments[1:]))
    (bronze / "tardis_instruments.json").unlink()
    shutil.move(root / "source" / "quant360_listing.csv", root / "listing.csv")
    return root


def new_lake(source: Path, path: Path) -> Path:
    import_symbols(source / "instruments.json", path, vendor="tardis", progress=False)
    import_symbols(source / "listing.csv", path, vendor="quant360", progress=False)
    return path


MANIFEST_COLUMNS = [
    "file_id",
    "vendor",
    "data_type",
    "bronze_path",
    "sha256",
    "status",
    "table_name",
    "rows_total",
    "rows_written",
    "rows_quarantined",
    "trading_date_min",
    "trading_date_max",
    "status_reason",
]


def lake_content(lake: Path) -> dict[str, pl.DataFrame]:
    """Every Silver and quarantine table (rows sorted by lineage) and the manifest."""
    out: dict[str, pl.DataFrame] = {}
    for zone in ("silver", "quarantine"):
        for table in sorted((lake / zone).glob("*")):
            if table.name == "dim_symbol" or not (table / "_delta_log").is_dir():
                continue
            frame = pl.read_delta(str(table))
            out[f"{zone}/{table.name}"] = frame.sort("file_id", "file_seq")
    manifest = pl.read_delta(str(Lake(lake).table_path("ingest_manifest", "control")))
    out["manifest"] = manifest.select(MANIFEST_COLUMNS).sort("file_id")
    return out


def assert_same_content(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].equals(b[name]), f"{name} differs"


@pytest.fixture
def fakevendor_installed(tmp_path, monkeypatch) -> Path:
    """The ingest tests' vendor as an installed distribution (entry point), so spawned
    workers load it too."""
    dist = tmp_path / "dist"
    dist.mkdir()
    make_plugin(
        dist,
        "fakevendor-dist",
        "fakevendor",
        "fakevendor_ep",
        body=("from tests.ingest.fake_vendor import *  # noqa: F403\n"),
    )
    monkeypatch.syspath_prepend(str(dist))
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(dist), str(REPO)]))
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "fakevendor")
    return dist


def require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("ray is not installed under CI (the dev setup installs the ray extra)")
        pytest.skip("ray not installed")
