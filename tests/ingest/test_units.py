"""Unit planning by decoded size: what streams alone and what is grouped (issue 18: memory
flat across file sizes, whatever the compression ratio)."""

from __future__ import annotations

import gzip
import os
import zipfile

from pointline_core.ingest.sizing import UNKNOWN_EXPANSION, decoded_size
from pointline_core.ingest.units import MIN_UNIT_BYTES, plan_units, pool_size
from pointline_core.ingest.work import IngestOptions

CSV = b"exchange,symbol,timestamp,price\n" + b"binance,BTCUSDT,1709251200000000,61000.5\n" * 50_000


def _size(path):
    return decoded_size(path, path.stat().st_size)


def test_gzip_counts_its_decoded_size_not_its_bytes_on_disk(tmp_path):
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(CSV))
    assert path.stat().st_size * 50 < len(CSV)  # repetitive: compresses > 50x
    assert _size(path) == len(CSV)


def test_multi_member_gzip_whose_trailer_undercounts_falls_back_to_the_expansion(tmp_path):
    # The trailer holds the LAST member's size only: 1 byte here, for ~100 KB decoded.
    path = tmp_path / "m.csv.gz"
    path.write_bytes(gzip.compress(os.urandom(100_000)) + gzip.compress(b"x"))
    size = path.stat().st_size
    assert _size(path) == size * UNKNOWN_EXPANSION
    assert _size(path) >= 100_001


def test_zip_sums_its_members_and_other_formats_are_estimated(tmp_path):
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("one.csv", CSV)
        archive.writestr("two.csv", CSV[:1000])
    assert _size(z) == len(CSV) + 1000
    zst = tmp_path / "a.dbn.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 96)
    assert _size(zst) == 100 * UNKNOWN_EXPANSION
    plain = tmp_path / "a.csv"
    plain.write_bytes(CSV)
    assert _size(plain) == len(CSV)


def test_a_broken_or_tiny_compressed_file_counts_its_size_on_disk(tmp_path):
    tiny = tmp_path / "t.csv.gz"
    tiny.write_bytes(b"\x1f\x8b\x08")
    assert _size(tiny) == 3
    bad_zip = tmp_path / "b.zip"
    bad_zip.write_bytes(b"not a zip at all")
    assert _size(bad_zip) == 16
    gone = tmp_path / "gone.csv.gz"
    assert decoded_size(gone, 12_345) == 12_345


OPTS = IngestOptions(stream_file_bytes=100, unit_max_bytes=100, unit_max_files=3)


def _plan(costs, opts=OPTS, workers=1):
    return [(u.files, u.stream) for u in plan_units(costs, opts, workers)]


def test_large_decoded_files_stream_alone_and_small_ones_group_up_to_the_bounds():
    assert _plan([10, 500, 60, 30, 20, 100, 5, 5, 5, 5]) == [
        ((1,), True),  # decoded size >= stream_file_bytes: alone, streamed
        ((0, 2, 3), False),  # 10 + 60 + 30 = 100: at the bound, not past it
        ((5,), True),
        ((4, 6, 7), False),  # unit_max_files = 3
        ((8, 9), False),
    ]


def test_a_unit_closes_before_a_file_would_take_it_past_its_bound():
    assert _plan([60, 50, 50, 1]) == [((0,), False), ((1, 2), False), ((3,), False)]


def test_several_workers_spread_small_files_but_not_below_the_floor():
    opts = IngestOptions(stream_file_bytes=1 << 30, unit_max_bytes=1 << 30, unit_max_files=10_000)
    file = MIN_UNIT_BYTES // 100 + 1
    costs = [file] * 1_000  # just over ten floors of bytes
    assert len(_plan(costs, opts, workers=1)) == 1
    assert len(_plan(costs, opts, workers=2)) == 8  # about four units per worker
    assert len(_plan(costs, opts, workers=64)) == 10  # never below the floor
    # less work than one floor: one unit, whatever the number of files or workers
    assert len(_plan([file] * 99, opts, workers=2)) == 1
    assert len(_plan([1] * 5_000, opts, workers=64)) == 1
    # an even share, never a lone remainder unit that would start a pool for a few files
    assert [len(f) for f, _ in _plan([file] * 101, opts, workers=2)] == [101]
    assert [len(f) for f, _ in _plan([file] * 250, opts, workers=2)] == [125, 125]


def test_the_pool_has_a_worker_per_unit_at_most_and_none_for_one_unit():
    opts = IngestOptions(stream_file_bytes=1 << 30, unit_max_bytes=1 << 30, unit_max_files=10_000)
    file = MIN_UNIT_BYTES // 100 + 1
    assert pool_size([file] * 99, opts, workers=8) == 0  # one unit: the driver runs it
    assert pool_size([file] * 1_000, opts, workers=64) == 10
    assert pool_size([file] * 1_000, opts, workers=2) == 2
    streamed = IngestOptions(stream_file_bytes=0)
    assert pool_size([1, 1, 1], streamed, workers=64) == 3  # each file streams alone


def test_every_file_is_planned_exactly_once_in_order_within_its_unit():
    costs = [(i * 7919) % 230 for i in range(500)]
    units = plan_units(costs, OPTS, workers=2)
    positions = sorted(p for u in units for p in u.files)
    assert positions == list(range(500))
    for u in units:
        assert list(u.files) == sorted(u.files)
        assert u.stream == (len(u.files) == 1 and costs[u.files[0]] >= OPTS.stream_file_bytes)
        if not u.stream:
            assert sum(costs[p] for p in u.files) <= OPTS.unit_max_bytes or len(u.files) == 1
