#!/usr/bin/env python3
"""Developer entry point; needs only python3 (3.11+).

    python3 dev.py demo    create .venv (core + both plugins), ingest the bundled sample day
    python3 dev.py test    create .venv, run ruff and the whole test suite

The virtual environment is reused while the pyproject files are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
PROJECTS = [
    ROOT,
    ROOT / "plugins" / "pointline_tardis",
    ROOT / "plugins" / "pointline_quant360",
    ROOT / "plugins" / "pointline_databento",
]
STAMP = VENV / ".pointline-installed"


def run(*cmd: str | Path, **kw: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for project in PROJECTS:
        digest.update((project / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def setup() -> None:
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    # The core with its dev extra (pytest, ruff, build tools), the ray extra (the Ray
    # executor is tested) and the calendars extra (exchange sessions for `pointline
    # calendar` / `completeness` are tested), then the plugins, all editable.
    editable = [
        "-e",
        f"{ROOT}[dev,ray,calendars]",
        *(arg for p in PROJECTS[1:] for arg in ("-e", str(p))),
    ]
    run(PY, "-m", "pip", "install", "--quiet", *editable)
    STAMP.write_text(_fingerprint())


def demo(argv: list[str]) -> None:
    setup()
    run(PY, ROOT / "scripts" / "demo.py", *argv)


def test(argv: list[str]) -> None:
    setup()
    run(BIN / "ruff", "check", "--no-cache", ".")
    run(BIN / "ruff", "format", "--check", "--no-cache", ".")
    run(PY, "-m", "pytest", *argv)


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must run on any python3 to say so
        sys.exit(f"pointline needs Python 3.11+, this is {sys.version.split()[0]}")
    commands = {"demo": demo, "test": test, "setup": lambda _argv: setup()}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(commands)}}} [args...]")
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
