"""Fixtures of the plugin-kit tests: a plugin generated from the template, importable here.

The template's own vendor ("barsco" here) is the working baseline; broken variants are built
from it by replacing one hook, so each test breaks exactly one rule of the contract.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pointline_core import hookimpl
from pointline_core.testing import PluginConformance, Sample
from pointline_core.testing.template import SAMPLE_BARS, write_plugin

VENDOR = "barsco"
PACKAGE = f"pointline_{VENDOR}"
TABLE = f"{VENDOR}_bars_1m"
SAMPLE_REL = f"bronze/{VENDOR}/xdemo/2024-01-02/DEMO.csv"


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The template rendered for vendor ``barsco``, its package importable while tests run."""
    root = tmp_path_factory.mktemp("generated") / f"pointline-{VENDOR}"
    write_plugin(VENDOR, root)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def hooks(generated: Path) -> types.ModuleType:
    """The generated hooks module (the good baseline plugin)."""
    return importlib.import_module(f"{PACKAGE}.hooks")


@pytest.fixture
def variant(hooks: types.ModuleType) -> Callable[..., types.ModuleType]:
    """``variant(pointline_parse=fn, ...)``: a copy of the good plugin with hooks replaced."""

    def make(**replacements: Callable) -> types.ModuleType:
        module = types.ModuleType(f"{PACKAGE}_variant")
        module.__dict__.update({k: v for k, v in vars(hooks).items() if not k.startswith("__")})
        for name, fn in replacements.items():
            setattr(module, name, hookimpl(fn) if fn is not None else None)
        return module

    return make


@pytest.fixture
def suite_for(generated: Path) -> Callable[[object], PluginConformance]:
    """``suite_for(plugin)``: a conformance test-class instance for that plugin object, with
    the generated sample and symbols (a fresh class, so no state is shared between tests)."""
    samples = generated / "tests" / "samples"

    def make(plugin: object, **attributes: object) -> PluginConformance:
        namespace = {
            "vendor": VENDOR,
            "plugin": plugin,
            "samples": [Sample(samples / SAMPLE_REL, "bars_1m", {TABLE: SAMPLE_BARS})],
            "symbols": samples / "symbols.csv",
            **attributes,
        }
        return type("BarscoConformance", (PluginConformance,), namespace)()

    return make
