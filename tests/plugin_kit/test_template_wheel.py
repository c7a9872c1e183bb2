"""A third-party plugin from the template, proven as a wheel in a fresh virtual environment.

Only the installed core wheel is used there: ``pointline new-plugin`` (so the template ships
inside the core wheel) generates the made-up vendor ``kestrel`` (one-minute OHLCV bars from a
CSV into its own ``kestrel_bars_1m`` table); the plugin is built as a wheel and installed next
to the core; then ``pointline vendors`` lists it, ``pointline symbols import`` and ``pointline
ingest`` land its sample in a lake, and its own conformance tests pass, entry-point check
included. The core is byte-for-byte the same afterwards: the source tree the core wheel was
built from, and the core package installed in the venv.

The core wheel is built from a snapshot of the repository's core project (pyproject, README,
``pointline_core/``) because the working tree is shared with other work in progress; the
snapshot is what every step could have touched, so its hash is what this test compares.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "pointline_core"
VENDOR = "kestrel"


def _run(cmd: list, **kw) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POINTLINE_", "PYTHON", "PYTEST", "VIRTUAL_ENV"))
    }
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kw)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _wheel(project: Path, out: Path) -> Path:
    before = set(out.glob("*.whl")) if out.exists() else set()
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
            out,
            project,
        ]
    )
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


def _core_snapshot(dest: Path) -> Path:
    shutil.copytree(CORE, dest / "pointline_core", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    return dest


def test_template_plugin_as_a_wheel_lists_ingests_and_passes_its_conformance_tests(tmp_path):
    core_src = _core_snapshot(tmp_path / "core-src")
    source_before = _tree_hash(core_src)
    wheels = tmp_path / "wheels"
    core_wheel = _wheel(core_src, wheels)
    assert core_wheel.name.startswith("pointline_core-")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", core_wheel, "pytest"])
    installed = Path(
        _run(
            [bin_dir / "python", "-c", "import pointline_core; print(pointline_core.__file__)"],
            cwd=tmp_path,
        ).strip()
    ).parent
    assert installed.is_relative_to(env_dir)
    installed_before = _tree_hash(installed)

    # cwd outside the repository everywhere, so nothing is imported from the source tree.
    plugin_dir = tmp_path / f"pointline-{VENDOR}"
    out = _run([bin_dir / "pointline", "new-plugin", VENDOR, plugin_dir], cwd=tmp_path)
    assert f"created vendor plugin '{VENDOR}'" in out
    plugin_wheel = _wheel(plugin_dir, wheels)
    assert plugin_wheel.name.startswith(f"pointline_{VENDOR}-0.1.0-")
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", plugin_wheel])

    report = json.loads(_run([bin_dir / "pointline", "vendors", "--json"], cwd=tmp_path))
    assert report["load_errors"] == []
    assert [(v["name"], v["distribution"]) for v in report["vendors"]] == [
        (VENDOR, f"pointline-{VENDOR}")
    ]
    assert report["vendors"][0]["data_types"] == {"bars_1m": f"{VENDOR}_bars_1m"}
    package = f"pointline_{VENDOR}"
    location = _run(
        [bin_dir / "python", "-c", f"import {package}; print({package}.__file__)"], cwd=tmp_path
    )
    assert str(env_dir) in location

    samples = plugin_dir / "tests" / "samples"
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    shutil.copytree(samples / "bronze", bronze)
    _run([bin_dir / "pointline", "symbols", "import", samples / "symbols.csv", lake], cwd=tmp_path)
    ingest = json.loads(
        _run([bin_dir / "pointline", "ingest", bronze, lake, "--json"], cwd=tmp_path)
    )
    assert [(f["rel_path"], f["status"], f["rows_written"]) for f in ingest["files"]] == [
        (f"{VENDOR}/xdemo/2024-01-02/DEMO.csv", "success", 30)
    ]
    summary = _run(
        [
            bin_dir / "python",
            "-c",
            "import polars as pl, sys; t = pl.read_delta(sys.argv[1]); "
            "print(t.height, t['trading_date'].unique().to_list(), t['symbol_id'].null_count())",
            lake / "silver" / f"{VENDOR}_bars_1m",
        ],
        cwd=tmp_path,
    )
    assert summary.split() == ["30", "[datetime.date(2024,", "1,", "2)]", "0"]

    # The plugin's own conformance tests, run by the venv's pytest against the installed wheel.
    tests = _run([bin_dir / "pytest", "-q", "-rA", "-p", "no:cacheprovider"], cwd=plugin_dir)
    assert "16 passed" in tests, tests
    assert (
        f"PASSED tests/test_conformance.py::Test{VENDOR.capitalize()}Conformance::"
        "test_entry_point_and_api_version" in tests
    ), tests

    assert _tree_hash(core_src) == source_before, "building the core wheel changed its sources"
    assert _tree_hash(installed) == installed_before, (
        "generating, building, installing, ingesting and testing a plugin changed the installed "
        "core package"
    )
