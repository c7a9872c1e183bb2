"""The synthetic demo day: deterministic bytes, discoverable, clean, covered by its instruments."""

from __future__ import annotations

import gzip
import subprocess
import sys

import polars as pl
from pointline_tardis.instruments import read_instruments
from pointline_tardis.naming import discover
from pointline_tardis.sample import write_sample
from tardis_testkit import run_file

from pointline_core.models import BronzeFile, Unrecognised


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_bytes_every_time(tmp_path):
    first = write_sample(tmp_path / "a")
    cli = subprocess.run(
        [sys.executable, "-m", "pointline_tardis.sample", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(cli.stdout.splitlines()) == len(first)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert "tardis_instruments.json" in a
    assert any(k.startswith("tardis/") and k.endswith(".csv.gz") for k in a)


def test_sample_layout_is_fully_recognised_with_an_empty_gzip(sample_root):
    found = list(discover(sample_root / "tardis", sample_root))
    assert not [f for f in found if isinstance(f, Unrecognised)]
    files = [f for f in found if isinstance(f, BronzeFile)]
    exchanges = {f.meta_dict()["exchange"] for f in files}
    assert exchanges == {"binance-futures", "deribit", "bitmex"}
    assert any("/2024/03/01/" in f.rel_path for f in files)  # datasets-API layout
    empty = [f for f in files if gzip.decompress(f.path.read_bytes()) == b""]
    assert [f.rel_path for f in empty] == ["tardis/bitmex_liquidations_2024-03-01_XBTUSD.csv.gz"]


def test_every_sample_row_is_valid_and_covered_by_an_instrument_window(sample_root, plugins):
    symbols = read_instruments(sample_root / "tardis_instruments.json")
    rows = []
    for file in discover(sample_root / "tardis", sample_root):
        _, out = run_file(plugins, file)
        if out.height:
            assert out["_reject_reason"].null_count() == out.height, file.rel_path
            rows.append(out.select("exchange", "symbol", "ts_event_us"))
    events = pl.concat(rows)
    covered = events.join(
        symbols, left_on=["exchange", "symbol"], right_on=["exchange", "exchange_symbol"]
    ).filter(
        (pl.col("ts_event_us") >= pl.col("valid_from_ts_us"))
        & (
            pl.col("valid_until_ts_us").is_null()
            | (pl.col("ts_event_us") < pl.col("valid_until_ts_us"))
        )
    )
    assert covered.height == events.height  # exactly one window per event
