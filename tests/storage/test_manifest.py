from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest
from deltalake import DeltaTable

from pointline_core.errors import ManifestError
from pointline_core.storage.lake import Lake
from pointline_core.storage.manifest import FileIdentity, ManifestStore, StatusUpdate, file_id_for


def ident(i: int | str, vendor: str = "v1") -> FileIdentity:
    return FileIdentity(
        vendor, "trades", f"day/{i}.csv.gz", hashlib.sha256(str(i).encode()).hexdigest()
    )


def test_lookup_on_missing_manifest_is_empty(lake):
    assert ManifestStore(lake).lookup([ident(1)]) == {}
    assert ManifestStore(lake).entries() == []
    assert not (lake.root / "control").exists()


def test_file_id_is_a_pinned_non_negative_hash_of_the_identity():
    # stored in every event row and in exactly-once markers: the hash must never change.
    # Definition: blake2b-64 of "vendor\x1fdata_type\x1fbronze_path\x1fsha256", big-endian,
    # top bit cleared.
    assert file_id_for(ident("a")) == 4934255798277194390
    ids = {file_id_for(ident(i)) for i in range(1000)}
    assert len(ids) == 1000 and all(0 <= i < 2**63 for i in ids)
    assert file_id_for(attrs.evolve(ident(1), vendor="v2")) != file_id_for(ident(1))


def test_allocate_keeps_known_ids_and_gives_new_ones_their_identity_hash(lake):
    store = ManifestStore(lake)
    first = store.allocate([ident("b"), ident("a")], [10, None])
    assert first == {ident("b"): file_id_for(ident("b")), ident("a"): file_id_for(ident("a"))}
    second = store.allocate([ident("c"), ident("a"), ident("d"), ident("c")], [1, 2, 3, 4])
    assert second == {i: file_id_for(i) for i in (ident("c"), ident("a"), ident("d"))}
    entries = {e.bronze_path: e for e in store.entries()}
    assert {e.status for e in entries.values()} == {"pending"}
    assert entries["day/b.csv.gz"].size_bytes == 10 and entries["day/a.csv.gz"].size_bytes is None
    assert entries["day/c.csv.gz"].size_bytes == 1  # first occurrence of a repeated identity
    # the identity includes the sha256: same path with new content is a new file
    changed = FileIdentity("v1", "trades", "day/a.csv.gz", "f" * 64)
    assert store.allocate([changed], [5]) == {changed: file_id_for(changed)}
    # two allocations, one commit each, plus the create
    assert DeltaTable(str(store.path)).version() == 3
    # the same identities in another lake, in another order and grouping: the same ids
    other = ManifestStore(Lake(lake.root.parent / "other"))
    again = other.allocate([changed, ident("d"), ident("c"), ident("b"), ident("a")], [None] * 5)
    assert again == {**first, **second, changed: file_id_for(changed)}


def test_a_file_id_collision_is_refused_with_the_paths(lake, monkeypatch):
    import pointline_core.storage.manifest as manifest

    store = ManifestStore(lake)
    store.allocate([ident("a")], [None])
    monkeypatch.setattr(manifest, "file_id_for", lambda identity: 42)
    store.allocate([ident("b")], [None])  # 42 is still free
    with pytest.raises(ManifestError, match=r"collision.*day/(b|c)\.csv\.gz.*rename"):
        store.allocate([ident("c")], [None])
    assert len(store.entries()) == 2


def test_lookup_returns_entries_for_known_identities_only(lake):
    store = ManifestStore(lake)
    store.allocate([ident(i) for i in range(5)], [None] * 5)
    other_vendor = attrs.evolve(ident(1), vendor="v2")
    found = store.lookup([ident(3), ident(99), ident(1), other_vendor])
    assert set(found) == {ident(3), ident(1)}
    assert found[ident(3)].file_id == file_id_for(ident(3))
    assert found[ident(3)].identity == ident(3)


def test_lookup_reads_the_table_once_per_call_whatever_the_batch_size(lake, monkeypatch):
    """The per-file cost must not be a table read: one scan serves the whole batch."""
    import polars as pl

    store = ManifestStore(lake)
    store.allocate([ident(i) for i in range(300)], [None] * 300)
    scans: list[object] = []
    real_scan = pl.scan_delta

    def counting_scan(*args, **kwargs):
        scans.append(args[0])
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(pl, "scan_delta", counting_scan)
    found = store.lookup([ident(i) for i in range(0, 400, 2)])
    assert len(found) == 150 and len(scans) == 1
    assert {e.file_id for e in found.values()} == {file_id_for(ident(i)) for i in range(0, 300, 2)}


def test_update_is_one_commit_and_sets_every_field(lake):
    store = ManifestStore(lake)
    ids = store.allocate([ident(i) for i in range(3)], [100, 200, 300])
    one, two, three = (ids[ident(i)] for i in range(3))
    version = DeltaTable(str(store.path)).version()
    day = dt.date(2024, 1, 2)
    store.update(
        [
            StatusUpdate(one, "success", "trades", 10, 9, 1, day, day, None),
            StatusUpdate(two, "failed", "trades", status_reason="ParseError: line 3"),
            StatusUpdate(two, "failed", "trades", status_reason="ParseError: line 4"),
            StatusUpdate(three, "quarantined", "trades", 5, 0, 5, day, day, "all rows rejected"),
        ]
    )
    assert DeltaTable(str(store.path)).version() == version + 1
    by_id = {e.file_id: e for e in store.entries()}
    assert by_id[one].status == "success" and by_id[one].rows_written == 9
    assert by_id[one].trading_date_min == day and by_id[one].size_bytes == 100
    assert by_id[two].status_reason == "ParseError: line 4"  # last update of an id wins
    assert by_id[one].updated_at_us >= by_id[one].created_at_us
    assert [e.file_id for e in store.entries("quarantined")] == [three]
    # a rerun clears what the new status does not say
    store.update([StatusUpdate(one, "failed", "trades", status_reason="boom")])
    assert store.lookup([ident(0)])[ident(0)].rows_written is None


def test_update_rejects_unknown_ids_and_statuses(lake):
    store = ManifestStore(lake)
    with pytest.raises(ManifestError, match="allocate ids"):
        store.update([StatusUpdate(1, "success")])
    known = store.allocate([ident(1)], [None])[ident(1)]
    with pytest.raises(ManifestError, match=r"file_id \[7\]"):
        store.update([StatusUpdate(7, "success")])
    with pytest.raises(ManifestError, match="unknown manifest status"):
        store.update([StatusUpdate(known, "done")])
    with pytest.raises(ManifestError, match="sizes"):
        store.allocate([ident(1)], [])


def test_log_is_checkpointed_and_small_files_compacted(lake):
    store = ManifestStore(lake)
    for i in range(52):
        store.allocate([ident(i)], [None])
    log = store.path / "_delta_log"
    assert (log / "_last_checkpoint").exists()
    assert len(DeltaTable(str(store.path)).file_uris()) <= 33
    assert sorted(e.file_id for e in store.entries()) == sorted(
        file_id_for(ident(i)) for i in range(52)
    )


_WORKER = textwrap.dedent(
    """
    import json, sys
    from pointline_core.storage.lake import Lake
    from pointline_core.storage.manifest import FileIdentity, ManifestStore
    root, worker = sys.argv[1], int(sys.argv[2])
    store = ManifestStore(Lake(root))
    out = []
    for batch in range(10):
        own = [FileIdentity("v", "t", f"w{worker}/{batch}/{i}", "0" * 64) for i in range(50)]
        shared = [FileIdentity("v", "t", f"shared/{batch}", "0" * 64)]
        ids = store.allocate(shared + own, [None] * 51)
        out.append([[i.bronze_path, ids[i]] for i in shared + own])
    print(json.dumps(out))
    """
)


def test_allocation_is_unique_and_stable_across_processes(lake, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(lake.root), str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    id_of: dict[str, set[int]] = {}
    for batches in results:
        for batch in batches:
            for path, i in batch:
                id_of.setdefault(path, set()).add(i)
    # the same identity always gets the same id, across processes
    assert all(len(ids) == 1 for ids in id_of.values())
    all_ids = sorted(next(iter(ids)) for ids in id_of.values())
    assert len(set(all_ids)) == len(all_ids) == 4 * 500 + 10
    assert set(all_ids) == {e.file_id for e in ManifestStore(lake).entries()}
    entries = ManifestStore(lake).entries()
    assert len(entries) == len(all_ids)
    assert Path(lake.root, "_locks", "control-ingest_manifest.lock").exists()
