"""The core's plugin conformance suite (pointline_core.testing) run against this plugin.

Samples: the deterministic synthetic sample day (all nine data types, both Bronze layouts,
grouped-symbol files and an empty file), each with the rows it holds as expected Silver
rows; symbols: the sample's instruments file, read by the plugin's own symbols reader.
"""

from __future__ import annotations

from pathlib import Path

import pointline_tardis.hooks
from pointline_tardis import sample
from pointline_tardis.formats import TABLE_MAPPING

from pointline_core.testing import PluginConformance, Sample


class TestTardisConformance(PluginConformance):
    vendor = "tardis"
    plugin = pointline_tardis.hooks
    symbols_vendor_format = True

    def make_samples(self, workdir: Path) -> list[Sample]:
        sample.write_sample(workdir)
        return [
            Sample(
                workdir / "tardis" / rel,
                data_type,
                {TABLE_MAPPING[data_type]: 0 if rows is None else rows.height},
            )
            for rel, data_type, rows in sample._files()
        ]

    def make_symbols(self, workdir: Path) -> Path:
        return workdir / "tardis_instruments.json"
