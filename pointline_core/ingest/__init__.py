"""The ingestion pipeline, one stage per module (see docs/architecture.md).

``from pointline_core import ingest`` must give the runner function, but ``ingest`` is also
this package's name, and Python rebinds ``pointline_core.ingest`` to the package whenever a
submodule is imported. So the package itself is made callable: ``ingest(...)`` runs
:func:`pointline_core.ingest.runner.ingest`, and ``pointline_core.ingest.runner`` et al. stay
importable as usual.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from pointline_core.ingest.runner import ingest

        return ingest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
