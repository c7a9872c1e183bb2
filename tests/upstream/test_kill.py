"""A process killed (SIGKILL) during extraction leaves no partial file under a final name.

The extract runs in a real subprocess that is killed at two moments: while the archive is
being decompressed into the work folder, and while members are being published. Afterwards
every file under the vendor's Bronze folder is either complete (it decompresses to exactly the
member's bytes) or a recognisable temporary file; the next run removes the leftovers and
publishes only what is missing.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pointline_core.upstream.archive import WORK_PREFIX
from pointline_core.upstream.publish import is_temp_name
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv

REPO = Path(__file__).resolve().parents[2]
N_MEMBERS = 300
STEM = "bars_20240102"


def _name(i: int) -> str:
    out = ""
    i += 26 * 26
    while i:
        i, r = divmod(i, 26)
        out = chr(65 + r) + out
    return out


@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill") / "source"
    members = {f"{STEM}/{_name(i)}.csv": fv.member_bytes(_name(i), 400) for i in range(N_MEMBERS)}
    fv.make_7z(root / fv.VENDOR / f"{STEM}.7z", members)
    return root, {f"date=20240102/{k.split('/')[1]}.gz": v for k, v in members.items()}


SCRIPT = """
import sys
from pointline_core.upstream.runner import extract
from tests.upstream import fake_vendor as fv
extract(sys.argv[1], sys.argv[2], plugins=fv.plugins(), work_root=sys.argv[3], backend="py7zr")
"""


def _start(src: Path, bronze: Path, work: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(src), str(bronze), str(work)], cwd=REPO, env=env
    )


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("extract finished before the kill point was reached; enlarge the archive")
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.002)
    proc.kill()
    pytest.fail("kill point never reached")


def _check_bronze(bronze: Path, expected: dict[str, bytes]) -> tuple[int, int]:
    """Every final-named file is complete; return (complete files, temporary files)."""
    root = bronze / fv.VENDOR
    complete = temps = 0
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if not path.is_file():
            continue
        if is_temp_name(path.name):
            temps += 1
            continue
        rel = path.relative_to(root).as_posix()
        assert gzip.decompress(path.read_bytes()) == expected[rel], f"partial file {rel}"
        complete += 1
    return complete, temps


@pytest.mark.parametrize("moment", ["decompressing", "publishing"])
def test_kill_leaves_only_complete_files_and_rerun_completes(tmp_path, big_source, moment):
    src, expected = big_source
    bronze, work = tmp_path / "bronze", tmp_path / "work"
    proc = _start(src, bronze, work)

    def decompressing() -> bool:
        return any(p.is_file() for p in work.glob(f"{WORK_PREFIX}*/x/**/*"))

    def publishing() -> bool:
        vendor = bronze / fv.VENDOR
        if not vendor.exists():
            return False
        return sum(1 for p in vendor.rglob("*.gz") if not is_temp_name(p.name)) >= 5

    _kill_when(proc, decompressing if moment == "decompressing" else publishing)
    complete, temps = _check_bronze(bronze, expected)
    print(f"killed while {moment}: {complete} complete files, {temps} temporary files")
    assert complete < N_MEMBERS
    if moment == "publishing":
        assert complete >= 5

    report = extract(src, bronze, plugins=fv.plugins(), work_root=work)
    (archive,) = report.archives
    assert archive.status == "success"
    assert archive.members_published == N_MEMBERS - complete
    assert archive.members_existing == complete
    final_complete, final_temps = _check_bronze(bronze, expected)
    assert (final_complete, final_temps) == (N_MEMBERS, 0)
    assert list(work.iterdir()) == []  # the killed run's work folder was removed
