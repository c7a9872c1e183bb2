"""The environment timed bench processes run in: Python bytecode compiled once and cached, as
in an installed wheel (pip compiles ``.pyc`` files at install time).

This VM sets ``PYTHONDONTWRITEBYTECODE=1``, so without this every timed process (and every
worker it spawns) compiled pointline's ~350 modules from source, ~0.1 s each time, a cost no
installed user pays and the plain-polars floors (polars' own bytecode was compiled by pip)
never paid either.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def installed_env() -> dict[str, str]:
    """This process's environment with bytecode caching on (a copy: callers add to it)."""
    return dict(_compiled_env())


@functools.cache
def _compiled_env() -> dict[str, str]:
    """Compiles the core and the plugins once per bench process (every timed run uses it)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    plugins = sorted((REPO / "plugins").glob("*/pointline_*"))
    sources = [str(REPO / "pointline_core"), *map(str, plugins)]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *sources], check=True, env=env)
    return env
