"""The core's plugin conformance suite (pointline_core.testing) run against this plugin.

Samples: the deterministic sample day (CME futures and a Nasdaq stock, both Bronze layouts),
each with the rows it holds; symbols: the sample's definition files read by the plugin's own
reader. The mbo file is sampled twice, once per data type: discover lists it as order events
(l3_orders) and as executions (l3_trades).
DBN is binary, so the large copy, the poisoned tail and the corruption are written here:
records repeated after the metadata header, a record cut short at the end, a zstd stream cut
in half.
"""

from __future__ import annotations

from pathlib import Path

import pointline_databento.hooks
import polars as pl
import zstandard
from pointline_databento import sample
from pointline_databento.definitions import read_definitions
from pointline_databento.formats import TABLE_MAPPING

from pointline_core.testing import PluginConformance, Sample

#: rel path under databento/ -> {data_type: rows}; the sample's record counts.
SAMPLE_ROWS = {
    "glbx-mdp3-20201228.trades.dbn.zst": {"trades": 26},
    "glbx-mdp3-20201228.tbbo.dbn.zst": {"tbbo": 6},
    "glbx-mdp3-20201228.mbo.dbn.zst": {"mbo_orders": 8, "mbo_trades": 2},
    "glbx-mdp3-20201228.mbp-1.dbn.zst": {"mbp-1": 8},
    "glbx-mdp3-20201228.bbo-1s.dbn.zst": {"bbo-1s": 4},
    "glbx-mdp3-20201228.mbp-10.dbn.zst": {"mbp-10": 3},
    "glbx-mdp3-20201228.ohlcv-1m.dbn.zst": {"ohlcv-1m": 5},
    "XNAS.ITCH/trades/2020-12-28.dbn.zst": {"trades": 10},
    "XNAS.ITCH/mbp-1/2020-12-28.dbn": {"mbp-1": 5},
}


def _plain(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def _write(path: Path, data: bytes) -> None:
    if path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor(level=1).compress(data)
    path.write_bytes(data)


class TestDatabentoConformance(PluginConformance):
    vendor = "databento"
    plugin = pointline_databento.hooks
    probe_bytes = 8 << 20

    def make_samples(self, workdir: Path) -> list[Sample]:
        sample.write_sample(workdir)
        return [
            Sample(workdir / "databento" / rel, data_type, {TABLE_MAPPING[data_type]: rows})
            for rel, counts in SAMPLE_ROWS.items()
            for data_type, rows in counts.items()
        ]

    def make_symbols(self, workdir: Path) -> pl.DataFrame:
        sample.write_sample(workdir)
        return pl.concat(read_definitions(p) for p in sample.definition_files(workdir))

    def make_large_copy(self, sample: Sample, source: Path, dest: Path, min_bytes: int) -> int:
        data = _plain(source)
        header = 8 + int.from_bytes(data[4:8], "little")
        body = data[header:]
        copies = -(-min_bytes // len(body))
        _write(dest, data[:header] + body * copies)
        return sample.rows_total * copies

    def poison_tail(self, path: Path) -> None:
        # A record cut short: parse yields the records before it, then refuses the file.
        tail = b"\x0e\x00\x01\x00\x00"
        if path.name.endswith(".zst"):
            tail = zstandard.ZstdCompressor().compress(tail)  # a second zstd frame
        with path.open("ab") as out:
            out.write(tail)

    def corrupt(self, path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2 + 3])
