"""DBN record layouts as numpy structured dtypes, one per schema this plugin decodes.

DBN records are fixed-size little-endian C structs (``docs/vendors/databento.md``), so a
run of records of one schema is an array: numpy views the bytes without creating a Python
object per record. Layouts are those of DBN versions 1-3, which agree for every market-data
schema below (only definition, statistics and the system records changed between versions;
definitions are decoded by ``databento-dbn`` itself, see :mod:`pointline_databento.definitions`).
The tests check every field against the vendor's decoder on the real files.
"""

from __future__ import annotations

import numpy as np

#: The 16-byte header every record starts with.
HEADER: list[tuple[str, str]] = [
    ("length", "u1"),
    ("rtype", "u1"),
    ("publisher_id", "<u2"),
    ("instrument_id", "<u4"),
    ("ts_event", "<u8"),
]

_TRADE = [
    ("price", "<i8"),
    ("size", "<u4"),
    ("action", "S1"),
    ("side", "S1"),
    ("flags", "u1"),
    ("depth", "u1"),
    ("ts_recv", "<u8"),
    ("ts_in_delta", "<i4"),
    ("sequence", "<u4"),
]


def _level(i: int) -> list[tuple[str, str]]:
    return [
        (f"bid_px_{i:02d}", "<i8"),
        (f"ask_px_{i:02d}", "<i8"),
        (f"bid_sz_{i:02d}", "<u4"),
        (f"ask_sz_{i:02d}", "<u4"),
        (f"bid_ct_{i:02d}", "<u4"),
        (f"ask_ct_{i:02d}", "<u4"),
    ]


# Consolidated level: publisher ids instead of order counts.
_CONSOLIDATED_LEVEL = [
    ("bid_px_00", "<i8"),
    ("ask_px_00", "<i8"),
    ("bid_sz_00", "<u4"),
    ("ask_sz_00", "<u4"),
    ("bid_pb_00", "<u2"),
    ("_lr1", "V2"),
    ("ask_pb_00", "<u2"),
    ("_lr2", "V2"),
]

_FIELDS: dict[str, list[tuple[str, str]]] = {
    "mbo": [
        ("order_id", "<u8"),
        ("price", "<i8"),
        ("size", "<u4"),
        ("flags", "u1"),
        ("channel_id", "u1"),
        ("action", "S1"),
        ("side", "S1"),
        ("ts_recv", "<u8"),
        ("ts_in_delta", "<i4"),
        ("sequence", "<u4"),
    ],
    "trades": _TRADE,
    "mbp-1": _TRADE + _level(0),
    "mbp-10": _TRADE + [f for i in range(10) for f in _level(i)],
    "bbo": [
        ("price", "<i8"),
        ("size", "<u4"),
        ("_r1", "V1"),
        ("side", "S1"),
        ("flags", "u1"),
        ("_r2", "V1"),
        ("ts_recv", "<u8"),
        ("_r3", "V4"),
        ("sequence", "<u4"),
        *_level(0),
    ],
    "cmbp-1": [
        ("price", "<i8"),
        ("size", "<u4"),
        ("action", "S1"),
        ("side", "S1"),
        ("flags", "u1"),
        ("_r1", "V1"),
        ("ts_recv", "<u8"),
        ("ts_in_delta", "<i4"),
        ("_r2", "V4"),
        *_CONSOLIDATED_LEVEL,
    ],
    "cbbo": [
        ("price", "<i8"),
        ("size", "<u4"),
        ("_r1", "V1"),
        ("side", "S1"),
        ("flags", "u1"),
        ("_r2", "V1"),
        ("ts_recv", "<u8"),
        ("_r3", "V8"),
        *_CONSOLIDATED_LEVEL,
    ],
    "ohlcv": [
        ("open", "<i8"),
        ("high", "<i8"),
        ("low", "<i8"),
        ("close", "<i8"),
        ("volume", "<u8"),
    ],
}

#: DBN schema name -> layout key in :data:`_FIELDS`.
LAYOUT_OF_SCHEMA: dict[str, str] = {
    "mbo": "mbo",
    "trades": "trades",
    "tbbo": "mbp-1",
    "mbp-1": "mbp-1",
    "mbp-10": "mbp-10",
    "bbo-1s": "bbo",
    "bbo-1m": "bbo",
    "cmbp-1": "cmbp-1",
    "tcbbo": "cmbp-1",
    "cbbo-1s": "cbbo",
    "cbbo-1m": "cbbo",
    "ohlcv-1s": "ohlcv",
    "ohlcv-1m": "ohlcv",
    "ohlcv-1h": "ohlcv",
    "ohlcv-1d": "ohlcv",
    "ohlcv-eod": "ohlcv",
}


def record_dtype(schema: str, ts_out: bool = False) -> np.dtype:
    """The structured dtype of one record of ``schema``; ``ts_out`` adds the 8-byte send
    timestamp Databento appends when the metadata says so."""
    fields = HEADER + _FIELDS[LAYOUT_OF_SCHEMA[schema]]
    if ts_out:
        fields = [*fields, ("ts_out", "<u8")]
    return np.dtype(fields)
