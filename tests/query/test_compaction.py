"""The same query returns identical frames before and after compacting the partition.

Three ingest runs write three files into one partition whose rows interleave in time, with
ties on (ts_local_us, ts_event_us) across files and a null ts_local_us, so the physical order
of the rows changes with compaction (checked) while the replay order must not.
"""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from pointline_core import query
from pointline_core.storage.maintenance import compact_partitions
from tests.query import vendor
from tests.query.conftest import T0, ingest, listed

PARTITION = {"exchange": "utcx", "trading_date": "2024-03-01"}


def _physical(lake) -> pl.DataFrame:
    """Rows in the order the files hold them (no sort)."""
    return pl.scan_delta(str(lake.table_path("trades", "silver"))).collect()


def test_replay_is_identical_before_and_after_compaction(bronze, lake):
    listed(lake, ("utcx", "AAA"), ("utcx", "BBB"))
    # run 1: late timestamps first; run 2: earlier ones and exact ties with run 1
    vendor.write(
        bronze,
        "utcx",
        "AAA",
        "1",
        [(T0 + 50, T0 + 55, "10.1", "1", "b", "x1"), (T0 + 10, T0 + 15, "10.2", "2", "s", "x2")],
    )
    ingest(bronze, lake)
    vendor.write(
        bronze,
        "utcx",
        "AAA",
        "2",
        [
            (T0 + 50, T0 + 55, "10.3", "3", "b", "y1"),  # same ts pair as x1: file_id decides
            (T0 + 5, None, "10.4", "4", "s", "y2"),  # null ts_local_us
            (T0 + 30, T0 + 35, "10.5", "5", "b", "y3"),
        ],
    )
    vendor.write(bronze, "utcx", "BBB", "2", [(T0 + 20, T0 + 25, "7", "1", "b", "z1")])
    ingest(bronze, lake)
    vendor.write(bronze, "utcx", "AAA", "3", [(T0 + 1, T0 + 55, "10.6", "6", "s", "w1")])
    ingest(bronze, lake)

    def replay() -> pl.DataFrame:
        return query.load(
            lake,
            "trades",
            exchange="utcx",
            symbol="AAA",
            start="2024-03-01",
            end="2024-03-02",
            decoded=True,
        ).collect()

    before = replay()
    physical_before = _physical(lake)
    report = compact_partitions(lake, "trades", [PARTITION])
    assert (report.partitions[0].files_before, report.partitions[0].files_after) == (3, 1)
    after = replay()
    assert_frame_equal(before, after)
    # the files' own row order did change, so the equality above is not a tautology
    assert physical_before["trade_id"].to_list() != _physical(lake)["trade_id"].to_list()
    # replay order: ts_local_us (null first, as compaction writes it), ts_event_us, file_id,
    # file_seq
    assert before["trade_id"].to_list() == ["y2", "x2", "y3", "w1", "x1", "y1"]
    assert before["price"].to_list() == [10.4, 10.2, 10.5, 10.6, 10.1, 10.3]
    # and a compacted file is already in replay order
    assert (
        _physical(lake).filter(pl.col("symbol") == "AAA")["trade_id"].to_list()
        == before["trade_id"].to_list()
    )


def test_time_travel_reads_the_version_before_compaction(bronze, lake):
    listed(lake, ("utcx", "AAA"))
    for tag in ("1", "2"):
        vendor.write(bronze, "utcx", "AAA", tag, [(T0 + int(tag), T0, "1", "1", "b", tag)])
        ingest(bronze, lake)
    version = query.tables(lake).filter(pl.col("table") == "trades")["version"].item()
    compact_partitions(lake, "trades", [PARTITION])
    old = query.load(lake, "trades", version=version).collect()
    assert_frame_equal(old, query.load(lake, "trades").collect())
    assert query.files(lake, "trades", version=version)[1] == 2
    assert query.files(lake, "trades")[1] == 1
