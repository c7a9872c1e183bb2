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
import numpy as np
import zstandard

from pointline_databento.dbnfile import is_zstd
from pointline_databento.records import record_dtype

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


#: Synthetic mbo stream: 2020-12-28 13:00 UTC on, one ESH1 record every 2137 ns.
_MBO_DAY = dt.date(2020, 12, 28)
_MBO_DAY_NS = 1_609_113_600_000_000_000
_MBO_START_NS = _MBO_DAY_NS + 13 * 3_600_000_000_000
_MBO_ACTIONS = np.frombuffer(b"AAACMAATFA", dtype="S1")  # mostly adds/cancels, some executions
_CHUNK = 1_000_000


def _mbo_chunk(first: int, n: int, template: np.ndarray) -> np.ndarray:
    i = np.arange(first, first + n, dtype=np.int64)
    arr = np.repeat(template, n)
    arr["ts_event"] = _MBO_START_NS + i * 2_137
    arr["ts_recv"] = arr["ts_event"] + 80_000 + (i % 977)
    arr["order_id"] = 1_000_000 + i // 2
    arr["price"] = 3_702_250_000_000 + (i % 40 - 20) * 250_000_000
    arr["size"] = 1 + i % 50
    arr["action"] = _MBO_ACTIONS[i % len(_MBO_ACTIONS)]
    arr["side"] = np.where(i % 2 == 0, b"B", b"A")
    arr["sequence"] = 1 + i
    return arr


def synthetic_mbo(path: Path, records: int, instrument_id: int = 5482) -> Path:
    """A zstd DBN mbo file of ``records`` ESH1 records for tests and benchmarks of any size.

    One record encoded by ``databento-dbn`` is the template; numpy varies time, order id,
    price, size, action, side and sequence, written in chunks (bounded memory). Records 80%
    order events, 20% executions; deterministic.
    """
    nxt = _MBO_DAY + dt.timedelta(days=1)
    meta = metadata(
        "GLBX.MDP3", "mbo", _MBO_DAY_NS, _MBO_DAY_NS + 86_400 * 10**9,
        {"ESH1": [(_MBO_DAY, nxt, instrument_id)]},
    )  # fmt: skip
    rec = databento_dbn.MBOMsg(
        1, instrument_id, _MBO_START_NS, 1, 3_702_250_000_000, 1, databento_dbn.Action.ADD,
        databento_dbn.Side.BID, _MBO_START_NS + 80_000, flags=128, channel_id=1, sequence=1,
    )  # fmt: skip
    template = np.frombuffer(bytes(rec), dtype=record_dtype("mbo"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, zstandard.ZstdCompressor(level=1).stream_writer(raw) as out:
        out.write(bytes(meta))
        for first in range(0, records, _CHUNK):
            out.write(_mbo_chunk(first, min(_CHUNK, records - first), template).tobytes())
    return path
