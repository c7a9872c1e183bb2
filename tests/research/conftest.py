"""The demo lake (scripts/demo.py: both vendors' sample days ingested), built once per
session for the research tests and the docs/research.md examples."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo.py"


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("pointline_demo_research", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    root = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert demo.main(["--root", str(root)]) == 0
    return root / "lake"


def private_copy(demo_lake: Path, root: Path) -> Path:
    """A copy of the demo lake without Gold tables, for a test that writes into it (the
    session's lake stays as the demo left it, whatever order tests run in)."""
    copy = root / "lake"
    shutil.copytree(demo_lake, copy)
    shutil.rmtree(copy / "gold", ignore_errors=True)
    return copy


@pytest.fixture
def own_demo_lake(demo_lake: Path, tmp_path: Path) -> Path:
    return private_copy(demo_lake, tmp_path)
