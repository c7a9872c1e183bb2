from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core.errors import SchemaMismatchError, StorageError
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.events import EventStore, app_id


def _rows(store: EventStore) -> pl.DataFrame:
    return store.frame().sort("file_id", "file_seq")


def test_append_writes_one_partitioned_commit_with_markers(lake, trades):
    store = EventStore(lake, TRADES)
    assert not store.exists()
    batches = [
        trades(1, 4),
        trades(1, 3, start_seq=4, day=dt.date(2024, 1, 3)),
        trades(2, 5, exchange="exb"),
    ]
    result = store.append(iter(batches), [1, 2])
    assert result.table == "trades" and result.rows == 12 and result.file_ids == (1, 2)
    table = DeltaTable(str(store.path))
    # version 0 creates the table with the spec's schema, version 1 is the single data commit
    assert result.version == table.version() == 1
    assert len(table.history()) == 2
    assert table.metadata().partition_columns == ["exchange", "trading_date"]
    assert {tuple(sorted(p.items())) for p in table.partitions()} == {
        (("exchange", "exa"), ("trading_date", "2024-01-02")),
        (("exchange", "exa"), ("trading_date", "2024-01-03")),
        (("exchange", "exb"), ("trading_date", "2024-01-02")),
    }
    assert table.transaction_version(app_id(1)) > 0
    assert store.committed_file_ids([1, 2, 3]) == {1, 2}
    # atomic: the markers are actions of the very commit that adds the rows
    commit = [json.loads(line) for line in (store.path / "_delta_log" / f"{1:020d}.json").open()]
    kinds = {next(iter(action)) for action in commit}
    assert {"add", "txn"} <= kinds
    markers = {a["txn"]["appId"]: a["txn"]["version"] for a in commit if "txn" in a}
    assert set(markers) == {app_id(1), app_id(2)} and min(markers.values()) > 0
    expected = pl.concat(batches).sort("file_id", "file_seq")
    assert _rows(store).equals(expected)


def test_wrong_dtype_batch_is_rejected_and_table_unchanged(lake, trades):
    store = EventStore(lake, TRADES)
    store.append([trades(1, 3)], [1])
    before = DeltaTable(str(store.path)).version()
    bad = trades(2, 3).with_columns(pl.col("qty").cast(pl.Float64))
    # the bad batch comes after a good one: it is already streaming when it fails
    with pytest.raises(SchemaMismatchError, match="qty is Float64"):
        store.append([trades(2, 3, start_seq=10), bad], [2])
    assert DeltaTable(str(store.path)).version() == before
    assert store.committed_file_ids([2]) == set()
    assert _rows(store).equals(trades(1, 3))


def test_extra_column_is_rejected_and_table_unchanged(lake, trades):
    store = EventStore(lake, TRADES)
    store.append([trades(1, 3)], [1])
    before = DeltaTable(str(store.path)).version()
    with pytest.raises(SchemaMismatchError, match=r"unexpected columns \['venue_extra'\]"):
        store.append([trades(2, 3).with_columns(venue_extra=pl.lit("x"))], [2])
    assert DeltaTable(str(store.path)).version() == before
    assert _rows(store).equals(trades(1, 3))


def test_rows_of_unlisted_file_ids_are_rejected(lake, trades):
    store = EventStore(lake, TRADES)
    with pytest.raises(StorageError, match="not among the file_ids"):
        store.append([trades(1, 2), trades(9, 2)], [1])
    assert store.count_rows() == 0


def test_zero_rows_make_no_commit_except_to_create_the_table(lake, trades):
    store = EventStore(lake, TRADES)
    created = store.append([trades(1, 0)], [1])
    assert created.version == 0 and created.rows == 0
    assert store.exists()
    again = store.append([], [2])
    assert again.version is None and again.rows == 0
    assert DeltaTable(str(store.path)).version() == 0
    assert store.committed_file_ids([1, 2]) == set()


def test_empty_batches_between_full_ones_are_fine(lake, trades):
    store = EventStore(lake, TRADES)
    result = store.append([trades(1, 0), trades(1, 2), trades(1, 0)], [1])
    assert result.rows == 2 and result.version == 1


def test_many_files_share_one_commit(lake, trades):
    store = EventStore(lake, TRADES)
    ids = list(range(1, 201))
    result = store.append((trades(i, 3, exchange=f"ex{i % 3}") for i in ids), ids)
    assert result.rows == 600 and result.version == 1
    assert store.committed_file_ids(ids) == set(ids)


def test_delete_and_rewrite_leaves_each_row_exactly_once(lake, trades):
    store = EventStore(lake, TRADES)
    store.append([trades(1, 5), trades(2, 4)], [1, 2])
    # a retry of file 2 after a crash that happened after its commit
    assert store.committed_file_ids([2]) == {2}
    assert store.delete_files([2]) == 4
    assert store.committed_file_ids([1, 2]) == {1}
    # the delete and the marker reset are one commit, too
    log = store.path / "_delta_log" / f"{DeltaTable(str(store.path)).version():020d}.json"
    actions = [json.loads(line) for line in log.open()]
    assert {"txn": {"appId": app_id(2), "version": 0}} in actions
    assert any("remove" in a for a in actions)
    store.append([trades(2, 4)], [2])
    rows = _rows(store)
    assert rows.height == 9
    assert rows.select("file_id", "file_seq").is_duplicated().sum() == 0
    assert rows.equals(pl.concat([trades(1, 5), trades(2, 4)]))
    assert store.committed_file_ids([1, 2]) == {1, 2}


def test_delete_without_matches_makes_no_commit(lake, trades):
    store = EventStore(lake, TRADES)
    assert store.delete_files([1]) == 0  # missing table
    assert not store.exists()
    store.append([trades(1, 2)], [1])
    version = DeltaTable(str(store.path)).version()
    assert store.delete_files([7, 8]) == 0
    assert DeltaTable(str(store.path)).version() == version


def test_delete_resets_a_marker_whose_rows_are_already_gone(lake, trades):
    store = EventStore(lake, TRADES)
    # file 2 was part of the commit but contributed no rows
    store.append([trades(1, 2)], [1, 2])
    assert store.committed_file_ids([2]) == {2}
    assert store.delete_files([2]) == 0
    assert store.committed_file_ids([1, 2]) == {1}
    assert store.count_rows() == 2


def test_table_with_foreign_schema_is_refused(lake, trades):
    from deltalake import write_deltalake

    store = EventStore(lake, TRADES)
    store.path.parent.mkdir(parents=True)
    write_deltalake(str(store.path), pl.DataFrame({"x": [1]}))
    with pytest.raises(SchemaMismatchError, match="does not match spec 'trades'"):
        store.append([trades(1, 1)], [1])


def test_append_streams_batches_without_holding_them(lake, trades):
    """The writer pulls batches one at a time; the store keeps no reference to old ones."""
    import gc
    import weakref

    store = EventStore(lake, TRADES)
    refs: list[weakref.ref] = []

    def batches():
        for k in range(8):
            gc.collect()
            # batches handed over two pulls ago must already be released
            assert all(r() is None for r in refs[:-2]), f"batch retained at pull {k}"
            frame = trades(1, 1000, start_seq=k * 1000)
            refs.append(weakref.ref(frame))
            yield frame

    result = store.append(batches(), [1])
    assert result.rows == 8000 and result.version == 1


def test_table_with_the_spec_names_but_other_types_is_refused(lake, trades):
    """delta-rs would cast Int64 prices into a double column (and polars back): refuse."""
    from deltalake import write_deltalake

    store = EventStore(lake, TRADES)
    store.path.parent.mkdir(parents=True)
    foreign = trades(1, 2).with_columns(pl.col("price").cast(pl.Float64) + 0.5)
    write_deltalake(str(store.path), foreign, partition_by=list(TRADES.partition_by))
    version = DeltaTable(str(store.path)).version()
    with pytest.raises(SchemaMismatchError, match=r"price is double \(expected decimal\(38,18\)\)"):
        store.append([trades(2, 2)], [2])
    with pytest.raises(SchemaMismatchError, match="price is double"):
        store.frame()
    assert DeltaTable(str(store.path)).version() == version


def test_marker_log_reader_agrees_with_delta_rs_across_a_checkpoint(lake, trades, monkeypatch):
    """committed_file_ids reads all markers in one pass over the log (checkpoint + commits);
    it must say exactly what delta-rs's per-id ``transaction_version`` says."""
    from pointline_core.storage import events as events_module
    from pointline_core.storage.delta import app_transaction_versions
    from pointline_core.storage.events import APP_ID_PREFIX

    store = EventStore(lake, TRADES)
    for c in range(55):  # version 49 is checkpointed (delta.checkpointInterval = 50)
        ids = [3 * c + 1, 3 * c + 2, 3 * c + 3]
        store.append([pl.concat([trades(i, 2) for i in ids])], ids)
    log = store.path / "_delta_log"
    assert (log / f"{49:020d}.checkpoint.parquet").exists()
    # deletes before and after the checkpoint; one file deleted and written again
    assert store.delete_files([5, 100, 160]) == 6
    store.append([trades(5, 2)], [5])
    table = DeltaTable(str(store.path))
    fast = app_transaction_versions(table, store.path, APP_ID_PREFIX)
    slow = {app_id(i): table.transaction_version(app_id(i)) for i in range(1, 166)}
    assert fast == slow
    assert fast[app_id(100)] == 0 and fast[app_id(5)] > 0
    expected = set(range(1, 166)) - {100, 160}
    asked = list(range(1, 200))

    def per_id(self, app):
        raise AssertionError("committed_file_ids asked delta-rs once per id")

    with monkeypatch.context() as m:
        m.setattr(DeltaTable, "transaction_version", per_id)
        assert store.committed_file_ids(asked) == expected
    # a log this reader cannot handle: the exact per-id path gives the same answer
    monkeypatch.setattr(events_module, "app_transaction_versions", lambda *a, **k: None)
    assert store.committed_file_ids(asked) == expected
    assert store.delete_files([160]) == 0  # marker already reset, rows gone: no commit
    assert DeltaTable(str(store.path)).version() == table.version()
