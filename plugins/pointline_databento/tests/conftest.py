"""Fixtures of the databento plugin tests: the plugin registered in-process, real data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pointline_databento.hooks  # noqa: E402
from dbn_testkit import REAL_DIR, require_shared  # noqa: E402

from pointline_core.plugins import Plugins  # noqa: E402


@pytest.fixture
def real_dir() -> Path:
    return require_shared(REAL_DIR)


@pytest.fixture(scope="session")
def plugins() -> Plugins:
    registry = Plugins()
    registry.register(pointline_databento.hooks, name="databento")
    return registry
