"""Shared fixtures: real data location, in-process plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = REPO.parent / "shared" / "data" / "real"


def require_real_data(path: Path) -> Path:
    """Return ``path``; fail under CI (env CI=true) and skip locally when it is missing."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real sample data missing under CI: {path}")
    pytest.skip(f"real sample data not present: {path}")
    raise AssertionError("unreachable")
