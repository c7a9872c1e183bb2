"""Argument types and checks shared by several commands."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from pointline_core.errors import StorageError


def iso_date(text: str) -> dt.date:
    """argparse type of a ``YYYY-MM-DD`` date (a bad one is a one-line usage error)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def require_lake(lake: str) -> Path:
    """The LAKE argument as a path, refusing a folder that does not exist."""
    path = Path(lake)
    if not path.is_dir():
        raise StorageError(
            f"lake root {lake} does not exist or is not a directory; pass the LAKE argument "
            "of `pointline ingest`"
        )
    return path
