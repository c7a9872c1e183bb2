"""The environment timed bench processes run in: Python bytecode compiled once and cached, as
in an installed wheel (pip compiles ``.pyc`` files at install time).

This VM sets ``PYTHONDONTWRITEBYTECODE=1``, so without this every timed process (and every
worker it spawns) compiled pointline's ~350 modules from source, ~0.1 s each time, a cost no
installed user pays and the plain-polars floors (polars' own bytecode was compiled by pip)
never paid either.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def installed_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with bytecode caching on, after
    compiling the core and the plugins (a no-op when the cache is current)."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    sources = [
        str(REPO / "pointline_core"),
        *map(str, sorted((REPO / "plugins").glob("*/pointline_*"))),
    ]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *sources], check=True, env=env)
    return env
