"""The suite as a plugin author uses it: a subclass in their own test module, run by pytest.

A plugin whose canonicalize adds a column fails the canonicalize check with the message
saying what to fix; the checks built on it fail naming it as the failed prerequisite, and the
load-time checks still pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

BROKEN_TEST_MODULE = """
    from pathlib import Path

    import polars as pl
    import pointline_barsco.hooks as good

    from pointline_core import hookimpl
    from pointline_core.testing import PluginConformance, Sample

    SAMPLES = Path(good.__file__).resolve().parents[1] / "tests" / "samples"


    class BrokenHooks:
        # Every hook of the generated plugin, except a canonicalize that adds a column.
        pointline_vendor_info = staticmethod(good.pointline_vendor_info)
        pointline_exchanges = staticmethod(good.pointline_exchanges)
        pointline_table_mapping = staticmethod(good.pointline_table_mapping)
        pointline_tables = staticmethod(good.pointline_tables)
        pointline_discover = staticmethod(good.pointline_discover)
        pointline_parse = staticmethod(good.pointline_parse)

        @staticmethod
        @hookimpl
        def pointline_canonicalize(file, table, frame):
            out = good.pointline_canonicalize(file, table, frame)
            return out.with_columns(vwap=pl.lit(1.0))


    class TestBrokenConformance(PluginConformance):
        vendor = "barsco"
        plugin = BrokenHooks()
        samples = [
            Sample(
                SAMPLES / "bronze/barsco/xdemo/2024-01-02/DEMO.csv",
                "bars_1m",
                {"barsco_bars_1m": 30},
            )
        ]
        symbols = SAMPLES / "symbols.csv"
"""


def test_broken_plugin_fails_the_specific_checks_under_pytest(generated, tmp_path):
    test_file = tmp_path / "test_broken_conformance.py"
    test_file.write_text(textwrap.dedent(BROKEN_TEST_MODULE), encoding="utf-8")
    # Without CI/BUILD_NUMBER: under them pytest prints whole messages in the short summary
    # too, and the counts below would double.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST") and k not in ("CI", "BUILD_NUMBER")
    }
    env["PYTHONPATH"] = str(generated)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-q", "-rfs", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    failed = sorted(
        line.split("::")[-1].split(" ")[0] for line in out.splitlines() if line.startswith("FAILED")
    )
    root = "test_canonicalize_returns_exactly_the_table_columns_and_dtypes"
    dependents = [
        "test_canonicalize_files_equals_canonicalize_per_batch",
        "test_corrupted_sample_fails_naming_the_plugin",
        "test_ingest_is_deterministic",
        "test_ingest_lands_the_expected_rows",
        "test_rerun_writes_nothing",
    ]
    assert failed == sorted([root, *dependents]), out
    assert "unexpected ['vwap']" in out and "How to fix: drop ['vwap']" in out
    # the checks built on canonicalize do not run: each names it as the failed prerequisite
    for name in dependents:
        assert f"prerequisite {root} failed, so {name} did not run" in out, out
    assert out.count(f"How to fix: fix {root} first") == len(dependents), out
    assert "9 passed" in out and "1 skipped" in out, out
    assert "is registered in-process and not installed" in out
