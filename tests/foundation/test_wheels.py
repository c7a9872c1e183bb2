"""The four distributions build as wheels and work in a fresh virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECTS = [
    REPO,
    REPO / "plugins" / "pointline_tardis",
    REPO / "plugins" / "pointline_quant360",
    REPO / "plugins" / "pointline_databento",
]


def _run(cmd, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POINTLINE_", "PYTHON"))}
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kw)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _vendors(bin_dir, cwd):
    report = json.loads(_run([bin_dir / "pointline", "vendors", "--json"], cwd=cwd))
    assert report["load_errors"] == []
    return report


def test_wheels_install_into_a_fresh_venv_and_register_entry_points(tmp_path):
    wheels = tmp_path / "wheels"
    for project in PROJECTS:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--quiet",
                "-w",
                wheels,
                project,
            ]
        )
    built = sorted(p.name.split("-")[0] for p in wheels.glob("*.whl"))
    assert built == [
        "pointline_core",
        "pointline_databento",
        "pointline_quant360",
        "pointline_tardis",
    ]

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", *sorted(wheels.glob("*.whl"))])

    # cwd outside the repo so nothing is imported from the source tree.
    report = _vendors(bin_dir, tmp_path)
    assert [v["name"] for v in report["vendors"]] == ["databento", "quant360", "tardis"]
    assert {v["distribution"] for v in report["vendors"]} == {
        "pointline-databento",
        "pointline-quant360",
        "pointline-tardis",
    }
    location = _run(
        [bin_dir / "python", "-c", "import pointline_core; print(pointline_core.__file__)"],
        cwd=tmp_path,
    )
    assert str(env_dir) in location

    _run([bin_dir / "python", "-m", "pip", "uninstall", "--quiet", "-y", "pointline-databento"])
    _run([bin_dir / "python", "-m", "pip", "uninstall", "--quiet", "-y", "pointline-quant360"])
    report = _vendors(bin_dir, tmp_path)
    assert [v["name"] for v in report["vendors"]] == ["tardis"]

    _run([bin_dir / "python", "-m", "pip", "uninstall", "--quiet", "-y", "pointline-tardis"])
    report = _vendors(bin_dir, tmp_path)
    assert report["vendors"] == [] and "reinstall" in report["hint"]
