"""The core's plugin conformance suite (pointline_core.testing) run against this plugin.

Samples: a synthetic SSE + SZSE day (order, tick and L2 archives) built as real .7z files and
extracted into the Bronze layout by the core's upstream runner; each extracted file must land
as many rows as its archive member has data lines. Symbols: the sample listing, read by the
plugin's own symbols reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pointline_quant360.hooks
from pointline_quant360 import sample

from pointline_core.plugins import Plugins
from pointline_core.testing import PluginConformance, Sample
from pointline_core.upstream.runner import extract

TABLES = {"order_new": "l3_orders", "tick_new": "l3_trades", "L2_new": "l2_snapshots"}
MEMBER = re.compile(r"^(?P<stream>.+)_STK_(?P<market>SH|SZ)_\d{8}/(?P<code>\d{6})\.csv$")
BRONZE = re.compile(r"exchange=(\w+)/type=(\w+)/date=[\d-]+/symbol=(\d{6})/\d{6}\.csv\.gz$")


class TestQuant360Conformance(PluginConformance):
    vendor = "quant360"
    plugin = pointline_quant360.hooks
    symbols_vendor_format = True

    def make_samples(self, workdir: Path) -> list[Sample]:
        archives = sample.build_day(events=60)
        for name, members in archives.items():
            sample.write_archive(workdir / "source" / "quant360" / name, members, preset=1)
        plugins = Plugins()
        plugins.register(pointline_quant360.hooks)
        report = extract(workdir / "source", workdir / "bronze", plugins=plugins)
        assert report.archives_succeeded == len(archives), report
        rows: dict[tuple[str, str, str], int] = {}
        for members in archives.values():
            for member, data in members.items():
                m = MEMBER.match(member)
                assert m, member
                exchange = {"SH": "sse", "SZ": "szse"}[m["market"]]
                rows[(exchange, m["stream"], m["code"])] = data.count(b"\n") - 1
        samples = []
        for path in sorted((workdir / "bronze" / "quant360").rglob("*.csv.gz")):
            m = BRONZE.search(path.as_posix())
            assert m, path
            exchange, stream, code = m.groups()
            samples.append(Sample(path, stream, {TABLES[stream]: rows[(exchange, stream, code)]}))
        assert len(samples) == len(rows)
        return samples

    def make_symbols(self, workdir: Path) -> Path:
        listing = workdir / "quant360_listing.csv"
        listing.write_bytes(sample.listing_csv(sample.SSE_SECURITIES, sample.SZSE_SECURITIES))
        return listing
