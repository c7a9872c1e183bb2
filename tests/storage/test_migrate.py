"""A lake written before ``orderbook_updates`` gained its nullable snapshot flags (issue 17)
stays readable, is appended to (ingest adds the columns under the table lock), and is
migrated explicitly for maintenance; a non-additive difference is refused."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import polars as pl
import pytest

from pointline_core import query
from pointline_core.cli import main
from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.tables import ORDERBOOK_UPDATES
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.maintenance import compact_partitions
from pointline_core.storage.migrate import migrate_lake
from pointline_core.storage.quarantine import QuarantineStore

NEW = ("book_reset", "before_first_snapshot")
#: the nanosecond clocks every event table gained later still (optional columns)
NS = ("ts_event_ns", "ts_local_ns")
OLD_SPEC = attrs.evolve(
    ORDERBOOK_UPDATES,
    columns=tuple(c for c in ORDERBOOK_UPDATES.columns if c.name not in (*NEW, *NS)),
)
DAY = dt.date(2024, 3, 1)
T = 1_709_251_200_000_000


def _rows(spec, file_id: int, n: int) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "exchange": ["exa"] * n,
            "trading_date": [DAY] * n,
            "symbol": ["SYM"] * n,
            "symbol_id": [42] * n,
            "ts_event_us": [T + i for i in range(n)],
            "ts_local_us": [T + i + 5 for i in range(n)],
            "file_id": [file_id] * n,
            "file_seq": list(range(n)),
            "is_snapshot": [i == 0 for i in range(n)],
            "side": ["bid"] * n,
            "price": [100 + i for i in range(n)],
            "qty": [1] * n,
        }
    )
    if "book_reset" in spec.column_names:
        frame = frame.with_columns(
            book_reset=pl.Series([i == 0 for i in range(n)]),
            before_first_snapshot=pl.lit(False),
        )
    if "ts_event_ns" in spec.column_names:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias(n) for n in NS)
    return frame.cast(dict(spec.polars_schema())).select(spec.column_names)


@pytest.fixture
def old_lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    EventStore(lake, OLD_SPEC).append([_rows(OLD_SPEC, 1, 3)], [1])
    EventStore(lake, OLD_SPEC).append([_rows(OLD_SPEC, 2, 2)], [2])
    QuarantineStore(lake, OLD_SPEC).append(
        [_rows(OLD_SPEC, 1, 1).with_columns(reason=pl.lit("x"), detail=pl.lit(None, pl.String))],
        [1],
    )
    return lake


def test_old_table_reads_with_null_flags(old_lake):
    rows = query.load(old_lake, "orderbook_updates").collect()
    assert rows.height == 5
    assert rows.select(NEW).null_count().row(0) == (5, 5)
    assert EventStore(old_lake, ORDERBOOK_UPDATES).frame()["book_reset"].null_count() == 5


def test_append_adds_the_columns_and_keeps_old_rows_null(old_lake):
    store = EventStore(old_lake, ORDERBOOK_UPDATES)
    store.append([_rows(ORDERBOOK_UPDATES, 3, 2)], [3])
    rows = store.frame().sort("file_id", "file_seq")
    assert rows["book_reset"].to_list() == [None] * 5 + [True, False]
    assert store.migrate() is False  # already current


def test_maintenance_needs_the_explicit_migration(old_lake, capsys, monkeypatch):
    part = [{"exchange": "exa", "trading_date": "2024-03-01"}]
    with pytest.raises(SchemaMismatchError, match="pointline migrate"):
        compact_partitions(old_lake, "orderbook_updates", part, min_files=1)
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    assert main(["migrate", str(old_lake.root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["migrated"]) == [
        "quarantine/orderbook_updates",
        "silver/orderbook_updates",
    ]
    again = migrate_lake(old_lake.root)
    assert again.migrated == () and len(again.unchanged) == 2
    compact_partitions(old_lake, "orderbook_updates", part, min_files=1)
    assert EventStore(old_lake, ORDERBOOK_UPDATES).frame().height == 5


def test_a_non_additive_difference_is_not_migrated(tmp_path):
    lake = Lake(tmp_path / "lake")
    cols = OLD_SPEC.columns
    swapped = attrs.evolve(OLD_SPEC, columns=(*cols[:-2], cols[-1], cols[-2]))
    EventStore(lake, swapped).append([_rows(OLD_SPEC, 1, 1).select(swapped.column_names)], [1])
    with pytest.raises(SchemaMismatchError, match="cannot be migrated"):
        migrate_lake(lake.root)


def test_a_plugin_built_before_the_flags_still_conforms():
    """canonicalize output without the added_later columns passes the check and gets them as
    nulls; any other missing column is still a schema mismatch."""
    from pointline_core.ingest.canonicalize import check_canonical, completed
    from pointline_core.ingest.failure import FileFailed

    old = _rows(OLD_SPEC, 1, 3).drop("trading_date", "symbol_id", "file_id", "file_seq")
    out = completed(check_canonical(old, ORDERBOOK_UPDATES, 3, "oldvendor"), ORDERBOOK_UPDATES)
    assert set(out.columns) == {*ORDERBOOK_UPDATES.vendor_columns(), *NS}
    assert out.select(*NEW, *NS).null_count().row(0) == (3, 3, 3, 3)
    assert [c.name for c in ORDERBOOK_UPDATES.columns if c.added_later] == [*NEW, *NS]
    with pytest.raises(FileFailed, match=r"missing \['qty'\]"):
        check_canonical(old.drop("qty"), ORDERBOOK_UPDATES, 3, "oldvendor")


def test_maintain_skips_an_unmigrated_table_and_maintains_the_rest(old_lake):
    from pointline_core.plugins import Plugins
    from pointline_core.storage.maintain import maintain
    from pointline_core.storage.policy import policy_path

    policy_path(old_lake).parent.mkdir(parents=True, exist_ok=True)
    policy_path(old_lake).write_text("[compact]\nolder_than_days = 0\nmax_files = 1\n")
    report = maintain(old_lake.root, plugins=Plugins())
    by_zone = {t.zone: t for t in report.tables}
    assert by_zone["silver"].skipped.startswith("not maintained:")
    assert "pointline migrate" in by_zone["silver"].skipped
    assert by_zone["quarantine"].skipped is None, "one file per partition: nothing due"
    assert by_zone["quarantine"].checkpoint == "written"
    migrate_lake(old_lake.root)
    again = maintain(old_lake.root, plugins=Plugins())
    silver = next(t for t in again.tables if t.zone == "silver")
    assert (silver.skipped, silver.partitions_compacted, silver.files_after) == (None, 1, 1)
