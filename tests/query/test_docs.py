"""docs/reading.md's Python examples run, in order, as one script, and every ``pointline``
command of its console blocks runs against the lake that script built: they must stay true.

Blocks that import duckdb need duckdb (and pyarrow when they use it). Neither is a runtime
dependency of Pointline; the ``dev`` extra installs both so CI proves the lake is readable by
another engine.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest

from tests.storage.doc_console import console_blocks, run_block

DOC = Path(__file__).resolve().parents[2] / "docs" / "reading.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _needs(block: str) -> list[str]:
    """The optional modules a block uses: duckdb if it imports it, pyarrow for datasets."""
    needs = ["duckdb"] if "import duckdb" in block else []
    return needs + (["pyarrow"] if "to_pyarrow" in block else [])


def _missing(block: str) -> list[str]:
    return [m for m in _needs(block) if importlib.util.find_spec(m) is None]


def _run(blocks: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "reading_md"}
    exec(compile("\n".join(blocks), str(DOC), "exec"), namespace)
    return namespace


def test_reading_doc_examples_run(tmp_path, monkeypatch):
    blocks = _blocks()
    assert len(blocks) >= 8
    runnable = [b for b in blocks if not _missing(b)]
    assert len(runnable) >= 6  # everything but the optional engines always runs
    _run(runnable, tmp_path, monkeypatch)


def test_reading_doc_duckdb_examples_run(tmp_path, monkeypatch):
    blocks = _blocks()
    optional = [b for b in blocks if _needs(b)]
    assert len(optional) == 3, "the DuckDB examples (pyarrow, Arrow stream, native Parquet)"
    missing = sorted({m for b in optional for m in _missing(b)})
    if missing:
        # The dev extra installs both; under CI their absence is a failure, not a skip.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{', '.join(missing)} missing under CI: install the dev extra")
        pytest.skip(f"{', '.join(missing)} not installed: DuckDB examples not run here")
    _run(blocks, tmp_path, monkeypatch)


def test_reading_doc_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    python = tmp_path / "python"
    python.mkdir()
    # the first blocks build the example lake; the optional engines are not needed for it
    lake = _run([b for b in _blocks() if not _needs(b)], python, monkeypatch)["lake"]
    blocks = console_blocks(DOC)
    assert [len(b) for b in blocks] == [8], "update this test with the doc's console blocks"
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run_block(blocks[0], {"LAKE": str(lake.root)}, capsys, work) == 8
    assert pl.read_csv(work / "aaa.csv").height == 12
    window = pl.read_parquet(work / "window.parquet")
    assert window["symbol_id"].unique().to_list() == [7052342575646756522]
    assert window.height == 6
