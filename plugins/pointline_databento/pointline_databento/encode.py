"""Writing DBN files: a metadata header plus encoded records, plain or zstd-compressed.

Used by the sample day, the tests and the benchmark to generate files of any size. Records
are encoded by ``databento-dbn`` (``bytes(record)``); the metadata too (``bytes(metadata)``).
zstd output is deterministic for a given input and level, so generated files are identical
on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

import databento_dbn
import zstandard

from pointline_databento.dbnfile import is_zstd

ZSTD_LEVEL = 3


def metadata(
    dataset: str,
    schema: str,
    start_ns: int,
    end_ns: int,
    mappings: Mapping[str, Sequence[tuple[dt.date, dt.date, int]]] | None = None,
    stype_in: str = "raw_symbol",
) -> databento_dbn.Metadata:
    """A DBN v3 Metadata; ``mappings``: raw symbol -> [(start_date, end_date, instrument_id)]."""
    maps = [
        SimpleNamespace(
            raw_symbol=raw,
            intervals=[SimpleNamespace(start_date=s, end_date=e, symbol=str(i)) for s, e, i in ivs],
        )
        for raw, ivs in sorted((mappings or {}).items())
    ]
    return databento_dbn.Metadata(
        dataset=dataset,
        start=start_ns,
        stype_in=databento_dbn.SType(stype_in),
        stype_out=databento_dbn.SType.INSTRUMENT_ID,
        schema=databento_dbn.Schema(schema),
        symbols=sorted(mappings or {}),
        mappings=maps,
        end=end_ns,
    )


def write_dbn(path: Path, meta: databento_dbn.Metadata, records: Iterable[object]) -> Path:
    """Write ``meta`` and ``records`` (databento_dbn record objects, or raw record bytes) to
    ``path``; zstd-compressed when the name ends in ``.zst``."""
    body = b"".join(
        r if isinstance(r, bytes | bytearray | memoryview) else bytes(r) for r in records
    )
    data = bytes(meta) + body
    if is_zstd(path):
        data = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
