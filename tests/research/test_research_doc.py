"""docs/research.md's Python examples run, in order, as one script on the demo lake, and its
console block runs against the same lake: the page must stay true."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tests.storage.doc_console import console_blocks, run_block

DOC = Path(__file__).resolve().parents[2] / "docs" / "research.md"


@pytest.fixture
def lake(own_demo_lake: Path) -> Path:
    """A private copy of the demo lake: the page derives Gold tables into it."""
    return own_demo_lake


def test_research_doc_examples_run(lake: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 8
    script = "\n".join(blocks)
    assert 'lake = Path(".demo/lake")' in script
    script = script.replace('Path(".demo/lake")', f"Path({str(lake)!r})")
    exec(compile(script, str(DOC), "exec"), {"__name__": "research_md"})


def test_research_doc_commands_run(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    blocks = console_blocks(DOC)
    assert [len(b) for b in blocks] == [4], "update this test with the doc's console blocks"
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run_block(blocks[0], {"LAKE": str(lake)}, capsys, work) == 4
    assert pl.read_parquet(work / "btc.parquet").height == 390
