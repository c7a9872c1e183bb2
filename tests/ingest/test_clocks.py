"""Nanosecond clocks must floor to the microsecond clocks the lake sorts, partitions and joins
by: a plugin whose ``ts_*_ns`` disagree with its ``ts_*_us`` fails that file (a plugin bug,
named as such), the other files land, and the lake holds nothing of it."""

from __future__ import annotations

import types

import polars as pl
import pytest

from pointline_core import hookimpl, ingest
from pointline_core.ingest.canonicalize import check_canonical
from pointline_core.ingest.failure import FileFailed
from pointline_core.plugins import Plugins
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import ManifestStore
from tests.ingest import fake_vendor
from tests.ingest.conftest import open_symbols, trades
from tests.ingest.many_files import silver


def _with_ns(column: str) -> Plugins:
    """The fake vendor with ``column`` (``ts_event_ns`` or ``ts_local_ns``) filled from its
    µs clock plus 7 ns; in a file named ``*.skew.csv`` it is one µs late."""
    module = types.ModuleType("fake_vendor_ns")
    module.__dict__.update({k: v for k, v in vars(fake_vendor).items() if not k.startswith("__")})
    us = column.replace("_ns", "_us")

    @hookimpl
    def pointline_canonicalize(file, table, frame):
        out = fake_vendor.pointline_canonicalize(file, table, frame)
        late = 1_000 if ".skew." in file.path.name else 0
        return out.with_columns((pl.col(us) * 1_000 + 7 + late).alias(column))

    module.pointline_canonicalize = pointline_canonicalize
    plugins = Plugins()
    plugins.register(module, name=fake_vendor.VENDOR)
    return plugins


@pytest.mark.parametrize("column", ["ts_event_ns", "ts_local_ns"])
def test_a_file_whose_ns_clock_disagrees_fails_alone_and_writes_nothing(bronze, lake_root, column):
    fake_vendor.write_trades(bronze, "utcx", "AAA", trades(3))
    fake_vendor.write_trades(bronze, "utcx", "BBB", trades(4), suffix=".skew")
    open_symbols(lake_root, ("utcx", "AAA"), ("utcx", "BBB"))
    report = ingest(bronze, lake_root, plugins=_with_ns(column), progress=False)

    status = {f.rel_path: f for f in report.files}
    good, skewed = status["fakevendor/utcx/AAA.csv"], status["fakevendor/utcx/BBB.skew.csv"]
    assert good.status == "success" and good.rows_written == 3
    us = column.replace("_ns", "_us")
    assert skewed.status == "failed"
    assert skewed.reason is not None and skewed.reason.startswith(
        f"clock_mismatch: plugin 'fakevendor' canonicalize for table 'trades': 4 rows have "
        f"{us} != {column} // 1000 (first: row 0,"
    )
    rows = silver(lake_root, "trades")
    assert rows["symbol"].unique().to_list() == ["AAA"]
    assert (rows[column] == rows[us] * 1_000 + 7).all()  # the good file's ns clock is kept
    manifest = ManifestStore(Lake(lake_root)).frame()
    failed = manifest.filter(pl.col("bronze_path") == skewed.rel_path)
    assert failed["status"].to_list() == ["failed"]
    assert failed["status_reason"].item().startswith("clock_mismatch:")


def test_ns_clocks_that_floor_to_the_us_clocks_pass_and_negative_times_floor():
    """Floor, not truncation: -1 ns is in the µs before the epoch (-1), not in µs 0."""
    schema = TRADES.polars_schema()
    names = [*TRADES.vendor_columns(), "ts_event_ns"]
    vendor = pl.DataFrame({n: pl.Series([None] * 3, dtype=schema[n]) for n in names}).with_columns(
        ts_event_us=pl.Series([-1, 0, 1_700_000_000_000_000]),
        ts_event_ns=pl.Series([-1, 999, 1_700_000_000_000_000_999]),
    )
    assert check_canonical(vendor, TRADES, 3, "v") is vendor
    # a plugin that truncates (-1 ns -> µs 0) instead of flooring is caught
    wrong = vendor.with_columns(ts_event_us=pl.Series([0, 0, 1_700_000_000_000_000]))
    with pytest.raises(FileFailed, match=r"clock_mismatch: .* 1 rows have ts_event_us != "):
        check_canonical(wrong, TRADES, 3, "v")
