"""docs/storage.md's examples stay true: the Python blocks run, in order, as one script, and
every ``pointline`` command of its console blocks runs (against the lake that script built)
and prints what the doc shows."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from tests.storage.doc_console import console_blocks, run_block

DOC = Path(__file__).resolve().parents[2] / "docs" / "storage.md"


def _run_python_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    exec(compile("\n".join(blocks), str(DOC), "exec"), namespace)
    return namespace


def test_storage_doc_examples_run(tmp_path, monkeypatch):
    namespace = _run_python_blocks(tmp_path, monkeypatch)
    assert "lake" in namespace


def test_storage_doc_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POINTLINE_LOAD_PLUGINS", "")
    lake = _run_python_blocks(tmp_path / "python", monkeypatch)["lake"]
    blocks = console_blocks(DOC)
    assert [len(b) for b in blocks] == [3, 7], "update this test with the doc's console blocks"
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    # the symbols example starts from a lake without dim_symbol (its output says version 0)
    fresh = str(tmp_path / "fresh-lake")
    assert run_block(blocks[0], {"/data/lake": fresh}, capsys, work) == 2
    # maintenance runs on the lake the Python examples built (trades and its quarantine)
    assert run_block(blocks[1], {"/data/lake": str(lake.root)}, capsys, work) == 7
