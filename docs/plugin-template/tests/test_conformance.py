"""The Pointline conformance suite, run against this plugin: one test per contract rule.

Add a Sample for each kind of file the vendor delivers, with the rows it must land in the
lake (``expected_rows``) and, for deliberately bad rows, how many go to quarantine.
"""

from __future__ import annotations

from pathlib import Path

import pointline_acme.hooks

from pointline_core.testing import PluginConformance, Sample

SAMPLES = Path(__file__).resolve().parent / "samples"


class TestAcmeConformance(PluginConformance):
    vendor = "acme"
    # Registered in-process, so the suite runs before the plugin is installed; once it is
    # installed (pip install -e .) its entry point is checked as well.
    plugin = pointline_acme.hooks
    samples = [
        Sample(
            SAMPLES / "bronze" / "acme" / "xdemo" / "2024-01-02" / "DEMO.csv",
            data_type="bars_1m",
            expected_rows={"acme_bars_1m": 30},
        ),
    ]
    # A generic symbols file: a dim_symbol window for every (exchange, symbol) of the samples.
    symbols = SAMPLES / "symbols.csv"
