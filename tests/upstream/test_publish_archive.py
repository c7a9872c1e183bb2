"""Atomic write-once publishing, temp-file hygiene, one-pass extraction back ends."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import polars as pl
import pytest

from pointline_core.errors import ArchiveError
from pointline_core.upstream import archive as archive_mod
from pointline_core.upstream.archive import (
    WORK_PREFIX,
    clean_stale_work_dirs,
    extract_archive,
    find_7z_cli,
    list_members,
    normalise_permissions,
)
from pointline_core.upstream.publish import (
    TEMP_PREFIX,
    clean_stale_temps,
    is_temp_name,
    publish_file,
    publish_files,
    temp_path_for,
)
from tests.upstream import fake_vendor as fv


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_publish_gzips_atomically_and_never_overwrites(tmp_path):
    src = tmp_path / "member.csv"
    src.write_bytes(b"a,b\n1,2\n")
    dest = tmp_path / "out" / "deep" / "member.csv.gz"
    assert publish_file(src, dest) is True
    assert gzip.decompress(dest.read_bytes()) == b"a,b\n1,2\n"
    first = dest.read_bytes()
    src.write_bytes(b"changed\n")
    assert publish_file(src, dest) is False
    assert dest.read_bytes() == first
    assert [p.name for p in dest.parent.iterdir()] == ["member.csv.gz"]  # no temp left
    # Deterministic gzip: no file name or mtime in the header.
    again = tmp_path / "again.csv.gz"
    src.write_bytes(b"a,b\n1,2\n")
    publish_file(src, again)
    assert again.read_bytes() == first


def _members(tmp_path, n: int) -> list[tuple[object, object]]:
    pairs = []
    for i in range(n):
        src = tmp_path / "src" / f"{i:03d}.csv"
        src.parent.mkdir(exist_ok=True)
        # Sizes from empty to several 1 MiB read chunks (the last member).
        count = 200_000 if i == n - 1 else i * 40
        rows = [f"{i},{j},{(j * 7919 + i) % 1000}.{j % 100:02d}" for j in range(count)]
        src.write_bytes(("a,b,c\n" + "\n".join(rows) + "\n").encode() if i else b"")
        pairs.append((src, tmp_path / "out" / f"d{i % 3}" / f"{i:03d}.csv.gz"))
    return pairs


def test_parallel_publishing_is_deterministic_and_standard_gzip(tmp_path):
    pairs = _members(tmp_path, 24)
    assert publish_files(pairs, threads=4) == [True] * len(pairs)
    assert publish_files(pairs, threads=4) == [False] * len(pairs)  # never rewritten
    serial = [(src, tmp_path / "serial" / dest.name) for src, dest in pairs]
    assert publish_files(serial, threads=1) == [True] * len(pairs)
    for (src, dest), (_s, again) in zip(pairs, serial, strict=True):
        data = dest.read_bytes()
        assert data == again.read_bytes()  # same bytes whatever the thread count
        assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0
        assert gzip.decompress(data) == src.read_bytes()
    big_src, big = pairs[-1]
    assert big_src.stat().st_size > 2 << 20
    out = subprocess.run(["gzip", "-dc", str(big)], capture_output=True, check=True).stdout
    assert out == big_src.read_bytes()
    assert pl.read_csv(big).height == 200_000
    assert not [p for p in (tmp_path / "out").rglob("*") if is_temp_name(p.name)]


def test_parallel_publishing_reraises_the_first_failure(tmp_path):
    pairs = _members(tmp_path, 8)
    missing = tmp_path / "src" / "gone.csv"
    pairs.insert(3, (missing, tmp_path / "out" / "gone.csv.gz"))
    with pytest.raises(FileNotFoundError) as err:
        publish_files(pairs, threads=3)
    assert err.value.filename == str(missing)
    assert not (tmp_path / "out" / "gone.csv.gz").exists()
    leftovers = [p for p in (tmp_path / "out").rglob("*") if is_temp_name(p.name)]
    assert leftovers == []


def test_plain_target_is_copied_and_gz_source_not_recompressed(tmp_path):
    src = tmp_path / "x.csv"
    src.write_bytes(b"data")
    publish_file(src, tmp_path / "plain" / "x.csv")
    assert (tmp_path / "plain" / "x.csv").read_bytes() == b"data"
    gz = tmp_path / "y.csv.gz"
    gz.write_bytes(gzip.compress(b"data"))
    publish_file(gz, tmp_path / "out" / "y.csv.gz")
    assert gzip.decompress((tmp_path / "out" / "y.csv.gz").read_bytes()) == b"data"


def test_temp_names_are_recognisable_and_stale_ones_cleaned(tmp_path):
    dest = tmp_path / "000001.csv.gz"
    tmp = temp_path_for(dest)
    assert tmp.parent == dest.parent and is_temp_name(tmp.name) and tmp.name != dest.name
    assert tmp.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-")
    dead = tmp_path / f"{TEMP_PREFIX}{_dead_pid()}-abc-000001.csv.gz"
    dead.write_bytes(b"partial")
    alive = tmp_path / f"{TEMP_PREFIX}1-abc-000002.csv.gz"  # pid 1 is always running
    alive.write_bytes(b"someone else's")
    dest.write_bytes(b"final")
    removed = clean_stale_temps(tmp_path)
    assert removed == [dead]
    assert alive.exists() and dest.exists()


def test_one_pass_extraction_lists_members_and_normalises_modes(tmp_path):
    archive = fv.make_7z(
        tmp_path / "bars_20240102.7z",
        {"bars_20240102/A.csv": b"x\n", "bars_20240102/sub/B.csv": b"y\n"},
    )
    assert list_members(archive, "7z") == ["bars_20240102/A.csv", "bars_20240102/sub/B.csv"]
    out = extract_archive(archive, tmp_path / "x", "7z", backend="py7zr")
    assert out.members == ("bars_20240102/A.csv", "bars_20240102/sub/B.csv")
    assert out.backend == "py7zr"
    f = out.root / "bars_20240102" / "A.csv"
    os.chmod(f, 0)  # what py7zr does with archives that store mode 000
    os.chmod(f.parent / "sub", 0)
    normalise_permissions(out.root)
    assert f.stat().st_mode & 0o777 == 0o600
    assert (f.parent / "sub").stat().st_mode & 0o777 == 0o700
    with pytest.raises(ArchiveError, match="unsupported archive format"):
        extract_archive(archive, tmp_path / "y", "rar")


def test_missing_cli_falls_back_to_py7zr_and_forcing_it_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_mod, "find_7z_cli", lambda: None)
    assert archive_mod.resolve_backend("7z") == "py7zr"
    with pytest.raises(ArchiveError, match="not on PATH|none of"):
        archive_mod.resolve_backend("7z", "cli")


def test_cli_backend_extracts_the_same_members(tmp_path):
    if find_7z_cli() is None:
        # .ci/run installs Debian's 7zip; under CI a missing program is a failure, not a skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no 7-Zip program (7zz/7z/7za) on PATH under CI; install Debian's 7zip")
        pytest.skip("no 7-Zip program (7zz/7z/7za) on PATH")
    members = {f"bars_20240102/{c}.csv": fv.member_bytes(c, 50) for c in "ABC"}
    archive = fv.make_7z(tmp_path / "bars_20240102.7z", members)
    cli = extract_archive(archive, tmp_path / "cli", "7z", backend="cli")
    lib = extract_archive(archive, tmp_path / "lib", "7z", backend="py7zr")
    assert cli.backend == "cli" and cli.members == lib.members
    for m in cli.members:
        assert (cli.root / m).read_bytes() == (lib.root / m).read_bytes() == members[m]


def test_stale_work_dirs_of_dead_processes_are_removed(tmp_path):
    stale = tmp_path / f"{WORK_PREFIX}{_dead_pid()}-zz"
    (stale / "x").mkdir(parents=True)
    live = tmp_path / f"{WORK_PREFIX}1-zz"
    live.mkdir()
    assert clean_stale_work_dirs(tmp_path) == [stale]
    assert live.exists() and not stale.exists()


def test_cli_without_mmt_for_extraction_is_retried_without_it(tmp_path, monkeypatch):
    """A 7-Zip build that rejects -mmt on x (exit code 7, command-line error) still extracts."""
    real = find_7z_cli()
    if real is None:
        pytest.skip("no 7-Zip program on PATH")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    wrapper = bin_dir / "7zz"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        'for a in "$@"; do [ "$a" = "-mmt=1" ] && { echo "Command Line Error" >&2; exit 7; }; '
        "done\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert find_7z_cli() == str(wrapper)
    archive = fv.make_7z(tmp_path / "a.7z", {"d/X.csv": b"a\n1\n", "d/Y.csv": b"b\n2\n"})
    out = extract_archive(archive, tmp_path / "x", "7z", backend="cli")
    assert out.members == ("d/X.csv", "d/Y.csv") and out.backend == "cli"
    calls = log.read_text().splitlines()
    assert len(calls) == 2 and "-mmt=1" in calls[0] and "-mmt=1" not in calls[1]
