"""Pointline core: the vendor-agnostic half of a point-in-time market-data lake.

Public API (imported lazily so ``import pointline_core`` stays cheap)::

    from pointline_core import ingest, extract, query, load_plugins, hookimpl
"""

from __future__ import annotations

from typing import Any

from pointline_core.hookspecs import PLUGIN_API_VERSION, hookimpl

__version__ = "0.1.0"

_LAZY = {
    # A callable package: `ingest(...)` runs the runner (see pointline_core/ingest/__init__.py).
    "ingest": ("pointline_core.ingest", None),
    "extract": ("pointline_core.upstream.runner", "extract"),
    "query": ("pointline_core.query", None),
    "import_symbols": ("pointline_core.symbols", "import_symbols"),
    "load_plugins": ("pointline_core.plugins", "load_plugins"),
    "Plugins": ("pointline_core.plugins", "Plugins"),
}

__all__ = ["PLUGIN_API_VERSION", "hookimpl", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'pointline_core' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
