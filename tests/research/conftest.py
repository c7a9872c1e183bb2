"""The demo lake (scripts/demo.py: both vendors' sample days ingested), built once per
session for the research tests and the docs/research.md examples."""

from __future__ import annotations

import contextlib
import importlib.util
import io
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
