"""docs/operations.md stays true: its Python block builds the sample Bronze root and every
``pointline`` command of its console blocks runs, in order, and prints what the doc shows."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from tests.storage.doc_console import console_blocks, run_block

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_operations_doc_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    paths = {"BRONZE": str(namespace["bronze"]), "LAKE": str(namespace["lake"])}
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    ran = [run_block(steps, paths, capsys, work) for steps in console_blocks(DOC)]
    assert ran == [2, 2, 2, 1, 2], "update this test with the doc's console blocks"
    assert (namespace["lake"] / "control" / "policy.toml").exists()
