"""Shared helpers of the robustness suite: run the real ``pointline`` command in a
subprocess and check that a failure ends in one clear line (no traceback), then inspect the
lake it left behind.

Every test here names one kind of bad input, bad lake or bad environment, asserts the exit
code, the one-line message and the lake afterwards (nothing lost, nothing doubled), and where
it makes sense that a rerun after the fix lands exactly the missing rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

BIN = Path(sys.executable).parent
POINTLINE = str(BIN / "pointline")
IN_CI = os.environ.get("CI", "").lower() == "true"


def run_pointline(
    args: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``pointline ARGS`` in a fresh process; ``user`` runs it as that unprivileged user
    (only possible as root)."""
    full_env = {k: v for k, v in os.environ.items() if k != "POINTLINE_DEBUG"}
    full_env.update(env or {})
    cmd = [POINTLINE, *(str(a) for a in args)]
    kwargs: dict[str, object] = {}
    if user is not None:
        if os.geteuid() != 0:
            require_root(f"running pointline as {user}")
        kwargs["user"] = user
    return subprocess.run(
        cmd,
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def require_root(what: str) -> None:
    """Fail under CI (which runs as root) and skip locally when not root."""
    if os.geteuid() == 0:
        return
    if IN_CI:
        pytest.fail(f"{what} needs root, and CI runs as root")
    pytest.skip(f"{what} needs root")


def assert_one_line_error(
    proc: subprocess.CompletedProcess[str], exit_code: int, *fragments: str
) -> str:
    """The process exited with ``exit_code`` and stderr holds exactly one non-empty line,
    ``pointline: error: ...``, containing every fragment, and no traceback."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    context = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == exit_code, context
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, context
    assert len(lines) == 1, context
    assert lines[0].startswith("pointline: error: "), context
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in the error line\n{context}"
    return lines[0]


def table_rows(lake: Path, table: str, zone: str = "silver") -> pl.DataFrame:
    """Every row of ``<lake>/<zone>/<table>`` (an empty frame when the table is missing)."""
    path = lake / zone / table
    if not (path / "_delta_log").is_dir():
        return pl.DataFrame()
    return pl.read_delta(str(path))


def assert_lineage_unique(lake: Path, table: str) -> None:
    """(file_id, file_seq) is unique across Silver and quarantine of ``table``."""
    frames = [
        f.select("file_id", "file_seq")
        for f in (table_rows(lake, table), table_rows(lake, table, "quarantine"))
        if f.height
    ]
    if not frames:
        return
    both = pl.concat(frames)
    assert both.height == both.unique().height, f"{table}: a row landed twice"
