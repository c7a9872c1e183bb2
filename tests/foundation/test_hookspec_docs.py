"""Every hookspec has a docstring and a section in docs/plugins.md (datasette's rule)."""

from __future__ import annotations

import inspect
from pathlib import Path

from pointline_core import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _hookspecs() -> list[str]:
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("pointline_") and hasattr(fn, "pointline_spec")
    )


def test_there_are_hookspecs():
    assert {"pointline_discover", "pointline_parse", "pointline_canonicalize"} <= set(_hookspecs())


def test_every_hookspec_has_a_docstring_saying_who_calls_it():
    for name in _hookspecs():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 80, f"{name} needs a docstring"
        assert "Called" in doc, f"{name}'s docstring must say who calls it and when"


def test_every_hookspec_has_a_section_in_the_plugin_guide():
    text = DOC.read_text(encoding="utf-8")
    headings = {line.strip("# `").strip() for line in text.splitlines() if line.startswith("#")}
    missing = [name for name in _hookspecs() if not any(name in h for h in headings)]
    assert missing == [], f"docs/plugins.md lacks a section for {missing}"
