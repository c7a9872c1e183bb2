"""Fixtures of the tardis plugin tests: the plugin registered in-process, sample day, real data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pointline_tardis.hooks  # noqa: E402
from tardis_testkit import REAL_DIR, require_shared  # noqa: E402

from pointline_core.plugins import Plugins  # noqa: E402


@pytest.fixture
def real_dir() -> Path:
    return require_shared(REAL_DIR)


@pytest.fixture(scope="session")
def plugins() -> Plugins:
    registry = Plugins()
    registry.register(pointline_tardis.hooks, name="tardis")
    return registry


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from pointline_tardis.sample import write_sample

    # Session scope: generated once; tests must not modify it (copy it to change it).
    root = tmp_path_factory.mktemp("sample")
    write_sample(root)
    yield root
