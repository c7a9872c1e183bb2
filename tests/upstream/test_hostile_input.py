"""Archives and source entries that must fail alone, or be reported member by member, without
stopping the run: unsafe or repeated member names, encrypted archives, dangling links, FIFOs."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from pathlib import Path

import py7zr
import pytest

from pointline_core.upstream.archive import find_7z_cli, screen_members, unsafe_member_reason
from pointline_core.upstream.ledger import UpstreamLedger, ledger_path
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv

REPO = Path(__file__).resolve().parents[2]
STEM = "bars_20240102"


def _backend(name: str) -> str:
    if name == "cli" and find_7z_cli() is None:
        # .ci/run installs Debian's 7zip; under CI a missing program is a failure, not a skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no 7-Zip program (7zz/7z/7za) on PATH under CI; install Debian's 7zip")
        pytest.skip("no 7-Zip program (7zz/7z/7za) on PATH")
    return name


def test_unsafe_and_repeated_names_are_screened():
    assert unsafe_member_reason("a/b.csv") is None
    assert unsafe_member_reason("a/..b.csv") is None  # a dotted name is not a '..' component
    for name in ("../b.csv", "a/../../b.csv", "/abs/b.csv", "..\\b.csv", "C:/b.csv", "", "a\x00"):
        assert unsafe_member_reason(name) is not None, name
    got = screen_members(["a/X.csv", "../Y.csv", "a/X.csv", "a/Z.csv"])
    assert set(got) == {"../Y.csv", "a/X.csv"}
    assert "malformed member path" in got["../Y.csv"] and "more than once" in got["a/X.csv"]


@pytest.mark.parametrize("backend", ["py7zr", "cli"])
def test_unsafe_and_repeated_members_are_reported_not_fatal(tmp_path, backend):
    backend = _backend(backend)
    src, bronze, work = tmp_path / "source", tmp_path / "bronze", tmp_path / "work"
    outside = tmp_path / "outside"  # '/<this>/ESC.csv' and '../...' must never land anywhere
    fv.make_7z_raw_names(
        src / fv.VENDOR / f"{STEM}.7z",
        [
            (f"{STEM}/AAA.csv", fv.member_bytes("AAA", 3)),
            (f"../{STEM}/BBB.csv", b"climbs out\n"),
            (f"{outside}/ESC.csv", b"absolute\n"),
            (f"{STEM}/DDD.csv", b"first copy\n"),
            (f"{STEM}/DDD.csv", b"second copy\n"),
            (f"{STEM}/EEE.csv", fv.member_bytes("EEE", 2)),
        ],
    )
    report = extract(src, bronze, plugins=fv.plugins(), backend=backend, work_root=work)
    (a,) = report.archives
    assert a.status == "success", a.reason
    assert (a.members_total, a.members_published, a.members_rejected) == (6, 2, 4)
    rejected = sorted((i.member, i.reason.split(";")[0]) for i in a.issues)
    assert rejected == sorted(
        [
            (f"../{STEM}/BBB.csv", "malformed member path ('..' path component)"),
            (f"{outside}/ESC.csv", "malformed member path (absolute path)"),
            (f"{STEM}/DDD.csv", "member name stored more than once"),
            (f"{STEM}/DDD.csv", "member name stored more than once"),
        ]
    )
    published = sorted(p.relative_to(bronze).as_posix() for p in bronze.rglob("*.gz"))
    assert published == [
        f"{fv.VENDOR}/date=20240102/AAA.csv.gz",
        f"{fv.VENDOR}/date=20240102/EEE.csv.gz",
    ]
    assert gzip.decompress((bronze / published[0]).read_bytes()) == fv.member_bytes("AAA", 3)
    assert not outside.exists() and not (tmp_path / STEM).exists()
    assert not list(tmp_path.rglob("BBB.csv")) and not list(tmp_path.rglob("ESC.csv"))
    # The dry run screens the same names.
    plan = extract(src, tmp_path / "dry", plugins=fv.plugins(), dry_run=True).archives[0]
    assert plan.members_rejected == 4 and plan.members_published == 2


def test_zip_members_are_screened_too(tmp_path):
    src = tmp_path / "source"
    fv.make_zip(
        src / fv.VENDOR / "bars_20240110.zip",
        {"bars_20240110/AAA.csv": b"a\n", "../bars_20240110/BBB.csv": b"b\n"},
    )
    (a,) = extract(src, tmp_path / "bronze", plugins=fv.plugins()).archives
    assert a.status == "success" and (a.members_published, a.members_rejected) == (1, 1)
    assert [i.member for i in a.issues] == ["../bars_20240110/BBB.csv"]
    assert not list((tmp_path / "bronze").rglob("BBB.csv.gz"))


SCRIPT = """
import sys
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv
r = extract(sys.argv[1], sys.argv[2], plugins=fv.plugins(), backend=sys.argv[3])
print(sorted((a.archive_name, a.status) for a in r.archives))
print(r.archives[0].reason)
"""


@pytest.mark.parametrize("backend", ["py7zr", "cli"])
def test_encrypted_archive_fails_at_once_even_with_stdin_open(tmp_path, backend):
    backend = _backend(backend)
    src = tmp_path / "source"
    (src / fv.VENDOR).mkdir(parents=True)
    with py7zr.SevenZipFile(src / fv.VENDOR / f"{STEM}.7z", "w", password="secret") as z:
        z.writestr(b"a\n", f"{STEM}/AAA.csv")
    fv.make_7z(src / fv.VENDOR / "bars_20240103.7z", {"bars_20240103/BBB.csv": b"b\n"})
    # stdin is an open pipe nobody writes to, like a terminal nobody types into: a program
    # asking for a password would wait forever.
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(src), str(tmp_path / "bronze"), backend],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.wait(timeout=120)  # stdin stays open meanwhile
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("extract waited for a password on stdin")
    finally:
        proc.stdin.close()
    out = proc.stdout.read()
    assert proc.returncode == 0, out
    lines = out.splitlines()
    assert lines[0] == str([("bars_20240102.7z", "failed"), ("bars_20240103.7z", "success")])
    assert "password" in lines[1].lower() or "encrypted" in lines[1].lower(), lines[1]


def test_unreadable_source_entries_fail_alone_without_a_ledger_record(tmp_path):
    src = tmp_path / "source"
    vendor = src / fv.VENDOR
    fv.make_7z(vendor / f"{STEM}.7z", {f"{STEM}/AAA.csv": b"a\n"})
    os.symlink(tmp_path / "unmounted" / "bars_20240103.7z", vendor / "bars_20240103.7z")
    os.mkfifo(vendor / "bars_20240104.7z")  # reading it would block forever
    fv.make_7z(vendor / "bars_20240105.7z", {"bars_20240105/BBB.csv": b"b\n"})

    def hung(signum, frame):  # noqa: ANN001 - signal handler signature
        raise TimeoutError("extract blocked on a source entry")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        report = extract(src, tmp_path / "bronze", plugins=fv.plugins())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    got = {a.archive_name: (a.status, a.reason) for a in report.archives}
    assert got["bars_20240102.7z"][0] == got["bars_20240105.7z"][0] == "success"
    assert (
        got["bars_20240103.7z"][0] == "failed" and "FileNotFoundError" in got["bars_20240103.7z"][1]
    )
    assert got["bars_20240104.7z"] == ("failed", "not a regular file (FIFO, socket or device)")
    assert report.archives_failed == 2 and not report.ok
    ledger = UpstreamLedger(ledger_path(tmp_path / "bronze")).frame()
    assert sorted(ledger["archive_name"]) == ["bars_20240102.7z", "bars_20240105.7z"]


@pytest.mark.parametrize("backend", ["py7zr", "cli"])
def test_data_corrupt_late_in_a_solid_block_publishes_nothing(tmp_path, backend):
    """Members are compressed into temporary Bronze files while the archive is still being
    decoded; when a later member turns out corrupt, none of them gets a final name."""
    import struct

    backend = _backend(backend)
    members = {f"{STEM}/{fv_name(i)}.csv": fv.member_bytes(fv_name(i), 3000) for i in range(40)}
    path = fv.make_7z(tmp_path / "src" / fv.VENDOR / f"{STEM}.7z", members)
    data = bytearray(path.read_bytes())
    (next_header_offset,) = struct.unpack_from("<Q", data, 12)
    at = 32 + next_header_offset * 9 // 10  # inside the packed stream, near its end
    data[at] ^= 0x55
    data[at + 1] ^= 0x55
    path.write_bytes(bytes(data))
    bronze = tmp_path / "bronze"
    report = extract(tmp_path / "src", bronze, plugins=fv.plugins(), backend=backend)
    (a,) = report.archives
    assert a.status == "failed" and a.members_published == 0, a.reason
    assert [p for p in bronze.rglob("*") if p.is_file() and "_pointline" not in p.parts] == []


def fv_name(i: int) -> str:
    return "S" + "".join(chr(65 + int(d)) for d in f"{i:03d}")
