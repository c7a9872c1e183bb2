"""One cattrs converter for every record and report, so JSON output has one shape."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import cattrs

converter = cattrs.Converter()
converter.register_unstructure_hook(Path, str)
converter.register_structure_hook(Path, lambda v, _t: Path(v))
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
converter.register_structure_hook(dt.date, lambda v, _t: dt.date.fromisoformat(v))


def to_dict(obj: Any) -> Any:
    """Unstructure an attrs record (or a list of them) to JSON-ready Python values."""
    return converter.unstructure(obj)


def to_json(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(to_dict(obj), indent=indent, sort_keys=False, default=str)


def from_dict(data: Any, cls: type) -> Any:
    return converter.structure(data, cls)
