"""Parse reads numbers typed (canonical.read_schema); the canonical result must be exactly the
one of the text read, cell for cell: same values, same reject reasons and details.

The typed CSV reader accepts some cells a plain text cast refuses (a leading blank, ``+``);
a cell it refuses sends its block, and the rest of the file, to the text read. Each tricky
cell goes into its own small file so that the typed read really takes every cell it accepts.
"""

from __future__ import annotations

import gzip

import polars as pl
import pytest
from pointline_tardis import book, canonical
from pointline_tardis.formats import TABLE_MAPPING
from pointline_tardis.parse import read_batches
from pointline_tardis.sample import (
    book_snapshot,
    csv_bytes,
    derivative_ticker,
    gzip_bytes,
    incremental_book_l2,
    options_chain,
    quotes,
    trades,
)
from tardis_testkit import bronze

TIMESTAMPS = [
    "1709251200003000",
    " 1709251200003000",
    "\t1709251200003000",
    "1709251200003000 ",
    "+1709251200003000",
    "01709251200003000",
    "1709251200003000.0",
    "1.709251200003e15",
    "0x1",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "1,709251200003000",
    '"1709251200003000"',
    "١٧٠٩",
    "",
]
DECIMALS = [
    "61150.01",
    " 61150.01",
    "\t61150.01",
    "61150.01 ",
    "+61150.01",
    "6.115001e4",
    "6.115001E+4",
    ".5",
    "5.",
    "-.5",
    "-0",
    "1e-7",
    "1e400",
    "0.0000000000000000001",
    "1.12345678901234567895",
    "99999999999999999999",
    "999999999999999999999",
    "nan",
    "inf",
    "--1",
    "1_000",
    "1,5",
    "\xa05",
    "",
]

#: (data type, rows of a valid file, numeric columns to put each cell in)
CASES = [
    ("trades", lambda: trades(3, "bitmex", ["XBTUSD"], 6_000_000, False), ["timestamp"]),
    ("trades", lambda: trades(3, "bitmex", ["XBTUSD"], 6_000_000, False), ["price", "amount"]),
    ("incremental_book_L2", lambda: incremental_book_l2(3), ["local_timestamp"]),
    ("incremental_book_L2", lambda: incremental_book_l2(3), ["price", "amount"]),
    ("quotes", lambda: quotes(3, "binance", ["BTCUSDT"], 6_000_000), ["bid_price", "ask_amount"]),
    (
        "book_snapshot_5",
        lambda: book_snapshot(3, 5, "binance", "BTCUSDT", 600_000),
        ["asks[0].price", "bids[1].amount"],
    ),
    ("options_chain", lambda: options_chain(3), ["expiration", "strike_price"]),
    (
        "derivative_ticker",
        lambda: derivative_ticker(3, "binance-futures", ["BTCUSDT"], 6_000_000),
        ["funding_timestamp", "open_interest"],
    ),
]


def _canonical(path, data_type: str, typed: bool, **kw) -> tuple[pl.DataFrame, list[pl.Schema]]:
    batches = read_batches(path, data_type, kw.pop("batch_rows", 100), numbers_typed=typed, **kw)
    if data_type == "incremental_book_L2":
        batches = book.flag_batches(batches)
    file, table = bronze(path, data_type), TABLE_MAPPING[data_type]
    frames = list(batches)
    out = [canonical.canonicalize(file, table, frame) for frame in frames]
    return pl.concat(out), [frame.schema for frame in frames]


def _cells(column: str) -> list[str]:
    int_like = column.endswith("timestamp") or column == "expiration"
    return TIMESTAMPS if int_like else DECIMALS


@pytest.mark.parametrize(("data_type", "rows", "columns"), CASES)
def test_typed_read_equals_text_read_for_every_cell(tmp_path, data_type, rows, columns):
    base = rows()
    taken_typed = reasons = 0
    for n, (column, cell) in enumerate((c, cell) for c in columns for cell in _cells(c)):
        frame = base.with_columns(
            pl.when(pl.int_range(pl.len()) == 1)
            .then(pl.lit(cell))
            .otherwise(pl.col(column))
            .alias(column)
        )
        path = tmp_path / f"{n}.csv.gz"
        path.write_bytes(gzip_bytes(csv_bytes(frame, data_type)))
        typed, schemas = _canonical(path, data_type, typed=True)
        text, _ = _canonical(path, data_type, typed=False)
        assert typed.equals(text), (column, cell, typed, text)
        taken_typed += schemas[0][column] != pl.String
        reasons += text["_reject_reason"].null_count() < 3
    # The typed read took the valid and blank-led cells itself (not only via the fallback),
    # and the bad cells did reach the rows (each gave a reason).
    assert taken_typed >= len(columns) * 4
    assert reasons >= len(columns) * 6


def test_a_bad_cell_mid_file_sends_the_rest_to_the_text_read(tmp_path):
    rows = incremental_book_l2(5_000).with_columns(
        pl.when(pl.int_range(pl.len()) == 3_000)
        .then(pl.lit("61150.0.1"))
        .otherwise(pl.col("price"))
        .alias("price")
    )
    path = tmp_path / "deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz"
    path.write_bytes(gzip_bytes(csv_bytes(rows, "incremental_book_L2")))
    kw = {"batch_rows": 997, "block_bytes": 4096}
    typed, schemas = _canonical(path, "incremental_book_L2", typed=True, **kw)
    text, _ = _canonical(path, "incremental_book_L2", typed=False, **kw)
    assert typed.equals(text)
    assert typed.height == 5_000
    assert typed["_reject_reason"].to_list()[3_000] == "not_a_number:price"
    assert typed["_reject_reason"].null_count() == 4_999
    kinds = [schema["price"] == pl.String for schema in schemas]
    assert kinds[0] is False and kinds[-1] is True  # typed first, text from the bad block on
    assert kinds == sorted(kinds)  # never back to typed
    assert len(schemas) >= 5_000 // 997  # batches stay bounded across the switch


def test_a_typed_batch_keeps_the_file_s_text_columns_as_text(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip_bytes(csv_bytes(incremental_book_l2(10), "incremental_book_L2")))
    (batch,) = read_batches(path, "incremental_book_L2", 100)
    header = gzip.decompress(path.read_bytes()).split(b"\n", 1)[0].decode().split(",")
    assert dict(batch.schema) == canonical.read_schema("incremental_book_L2", tuple(header))
    assert batch["side"].dtype == pl.String and batch["price"].dtype == pl.Decimal(38, 18)
