"""The plugin author kit: a conformance suite to run from a plugin's own tests, and the
template behind ``pointline new-plugin``.

Usage, in the plugin's ``tests/test_conformance.py``::

    from pointline_core.testing import PluginConformance, Sample

    class TestAcmeConformance(PluginConformance):
        vendor = "acme"
        plugin = pointline_acme.hooks
        samples = [Sample(SAMPLES / "acme/xdemo/2024-01-02/DEMO.csv", "bars_1m",
                          {"acme_bars_1m": 30})]
        symbols = SAMPLES / "symbols.csv"

Each rule of the contract is one inherited test method, so a failure names the rule and its
message says how to fix it. The checks are also plain functions in
:mod:`pointline_core.testing.checks` for use outside pytest. This package is imported only by
tests: ``import pointline_core`` never loads it, and it never imports pytest.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConformanceFailure",
    "PluginConformance",
    "Sample",
    "checks",
    "frame_symbols",
    "template",
]

_LAZY = {
    "ConformanceFailure": ("pointline_core.testing.failures", "ConformanceFailure"),
    "PluginConformance": ("pointline_core.testing.suite", "PluginConformance"),
    "frame_symbols": ("pointline_core.testing.suite", "frame_symbols"),
    "Sample": ("pointline_core.testing.samples", "Sample"),
    "checks": ("pointline_core.testing.checks", None),
    "template": ("pointline_core.testing.template", None),
}


def __getattr__(name: str) -> Any:
    """Import on first use: ``pointline new-plugin`` needs only the template, not the
    ingestion engine the checks import."""
    if name not in _LAZY:
        raise AttributeError(f"module 'pointline_core.testing' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
