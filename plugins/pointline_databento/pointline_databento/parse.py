"""Parse: DBN records -> typed polars frames, one bounded batch at a time, columnar.

Each batch of fixed-size records is a numpy structured array (a view of the decompressed
bytes); its fields become polars columns without a Python object per record. Integers stay
integers: prices are the vendor's int64 1e-9 units, times int64 ns (UNDEF -> null), and
``action``/``side`` are their ASCII codes. The raw symbol is resolved here, where the header's
symbology mappings are at hand (:mod:`pointline_databento.symbology`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pointline_core.models import BronzeFile
from pointline_databento.dbnfile import record_batches
from pointline_databento.symbology import lookup_table, with_symbol

UNDEF_TIMESTAMP = np.iinfo(np.uint64).max
_CHAR_FIELDS = ("action", "side")
#: mbo actions that land in l3_trades (T trade, F fill); the others land in l3_orders.
EXECUTION_ACTIONS = (ord("T"), ord("F"))


def _column(arr: np.ndarray, name: str) -> pl.Series:
    values = arr[name]
    if name in _CHAR_FIELDS:
        return pl.Series(name, values.view(np.uint8))
    if name in ("ts_event", "ts_recv", "ts_out"):
        # u64 ns; UNDEF (all ones) becomes null, everything else fits int64 until 2262.
        series = pl.Series(name, values)
        return series.cast(pl.Int64, strict=False).set(series == UNDEF_TIMESTAMP, None)
    return pl.Series(name, values)


#: Record fields no canonical column uses: not copied out of the record bytes at all.
UNUSED = frozenset({"length", "rtype", "publisher_id", "flags", "depth", "ts_in_delta", "ts_out"})


def _used(name: str) -> bool:
    # padding, order counts and consolidated publisher ids of book levels are not mapped
    return not (
        name.startswith("_")
        or name in UNUSED
        or name[:6] in ("bid_ct", "ask_ct", "bid_pb", "ask_pb")
    )


def frame_of(arr: np.ndarray) -> pl.DataFrame:
    """The records as a frame: every field a canonical column uses."""
    names = [n for n in arr.dtype.names if _used(n)]
    frame = pl.DataFrame([_column(arr, n) for n in names])
    return frame.with_columns(pl.col("instrument_id").cast(pl.Int64))


def _keep(data_type: str) -> pl.Expr | None:
    if data_type == "mbo_orders":
        return ~pl.col("action").is_in(EXECUTION_ACTIONS)
    if data_type == "mbo_trades":
        return pl.col("action").is_in(EXECUTION_ACTIONS)
    return None


def read_batches(file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Typed frames of at most ``batch_rows`` records of ``file``, in file order, each with
    ``symbol`` resolved. An mbo file is read once per data type, each keeping its own events
    (order events or executions) in file order, with ``record``: the record's 0-based
    position in the file."""
    lookup: pl.DataFrame | None = None
    keep = _keep(file.data_type)
    offset = 0
    for header, arr in record_batches(file.path, batch_rows):
        if lookup is None:
            lookup = lookup_table(header)
        frame = frame_of(arr)
        if keep is not None:
            # The record's position in the file: after the split into order events and
            # executions, it still traces each row to its record and merges the two back.
            frame = frame.with_columns(
                record=pl.int_range(offset, offset + frame.height, dtype=pl.Int64)
            ).filter(keep)
        offset += len(arr)
        if frame.height:
            yield with_symbol(frame, lookup)
