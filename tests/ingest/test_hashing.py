"""Bronze files are hashed in order, large ones on threads: the same hashes as one thread,
an unreadable file's error in its place, and a path listed twice (once per data type) read
once. Real files on a temp dir; hashes checked against hashlib."""

from __future__ import annotations

import hashlib
import os

import pytest

from pointline_core.hashing import PARALLEL_BYTES, sha256_files
from pointline_core.ingest import gate as gate_module
from pointline_core.ingest.gate import UNREADABLE, identify, stat_files
from pointline_core.models import BronzeFile


def _files(tmp_path):
    """Large and small files, interleaved; the third large one is missing."""
    paths, sizes = [], []
    for i, size in enumerate([PARALLEL_BYTES * 3, 10, PARALLEL_BYTES, 0, PARALLEL_BYTES * 2]):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(os.urandom(size))
        paths.append(path)
        sizes.append(size)
    gone = tmp_path / "gone.bin"
    paths.insert(3, gone)
    sizes.insert(3, PARALLEL_BYTES * 5)
    return paths, sizes


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_hashes_come_back_in_order_whatever_the_threads(tmp_path, threads):
    paths, sizes = _files(tmp_path)
    got = sha256_files(paths, sizes, threads)
    for path, sha in zip(paths, got, strict=True):
        if path.exists():
            assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            assert isinstance(sha, FileNotFoundError)


def test_identify_hashes_a_path_listed_twice_once_on_any_threads_and_keeps_reasons(
    tmp_path, monkeypatch
):
    paths, _ = _files(tmp_path)
    files = [
        BronzeFile("v", kind, path, path.name, ())
        for path in paths
        for kind in ("trades", "quotes")
    ]
    hashed: list = []
    real = gate_module.sha256_files

    def recording(paths, sizes, threads, on_done=None):
        hashed.extend(paths)
        return real(paths, sizes, threads, on_done)

    monkeypatch.setattr(gate_module, "sha256_files", recording)
    stats = stat_files(files)
    serial = identify(files, stats, {}, rehash=True, threads=1)
    # each existing path once (the missing one fails at stat, before hashing)
    assert sorted(hashed) == sorted(p for p in paths if p.exists())
    threaded = identify(files, stats, {}, rehash=True, threads=4)
    assert threaded == serial
    by_kind = {(i.identity.bronze_path, i.identity.data_type): i for i in threaded}
    for path in paths:
        a, b = by_kind[(path.name, "trades")], by_kind[(path.name, "quotes")]
        assert a.identity.sha256 == b.identity.sha256
        if path.exists():
            assert a.identity.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            assert a.identity.sha256 == UNREADABLE and a.unreadable is not None
