"""The progress display on a terminal: `pointline ingest` with its stderr on a real
pseudo-terminal shows how far hashing is (minutes on a first run over a large Bronze root,
before any unit starts), then the files and rows bar; off a terminal it prints neither."""

from __future__ import annotations

import os
import pty
import re
import subprocess

from tests.robustness.conftest import POINTLINE


def _ingest_on_a_terminal(bronze, lake) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {**os.environ, "POINTLINE_LOAD_PLUGINS": "tardis"}
    proc = subprocess.Popen(
        [POINTLINE, "ingest", str(bronze), str(lake), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_hashing_then_ingest_progress_on_a_terminal_and_nothing_off_one(tmp_path):
    from pointline_tardis.sample import write_sample

    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    write_sample(bronze)
    (bronze / "tardis_instruments.json").unlink()
    files = sum(1 for p in (bronze / "tardis").rglob("*") if p.is_file())
    code, shown = _ingest_on_a_terminal(bronze, lake)
    assert code in (0, 3), shown
    hashing = re.findall(r"hashing new files: (\d+)/(\d+)", shown)
    assert hashing and hashing[-1] == (str(files), str(files))  # the last draw: all hashed
    bars = re.findall(r"\] (\d+)/(\d+) files", shown)
    assert bars and bars[-1] == (str(files), str(files))
    assert shown.index("hashing new files") < shown.index(" files  ")  # hashing comes first

    # Off a terminal (a pipe), stderr carries no progress at all.
    rerun_lake = tmp_path / "lake2"
    proc = subprocess.run(
        [POINTLINE, "ingest", str(bronze), str(rerun_lake), "--workers", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "POINTLINE_LOAD_PLUGINS": "tardis"},
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 3), proc.stderr
    assert "hashing new files" not in proc.stderr and "rows/s" not in proc.stderr
