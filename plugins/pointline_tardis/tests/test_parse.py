"""Streaming parse: bounded batches in file order, columns by header name (numbers typed as
canonical.read_schema says, the rest String), errors."""

from __future__ import annotations

import gzip
from decimal import Decimal

import polars as pl
import pytest
from pointline_tardis.canonical import read_schema
from pointline_tardis.parse import read_batches
from pointline_tardis.sample import csv_bytes, gzip_bytes, incremental_book_l2
from tardis_testkit import bronze, run_file, write_csv

from pointline_core.errors import ParseError

TRADES_HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
QUOTES_HEADER = (
    "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
)


def _l2_file(tmp_path, rows: int):
    path = tmp_path / "deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz"
    path.write_bytes(gzip_bytes(csv_bytes(incremental_book_l2(rows), "incremental_book_L2")))
    return path


@pytest.mark.parametrize(
    ("rows", "batch_rows", "block_bytes"),
    [(5_003, 1000, None), (5_003, 997, 4096), (5_003, 50, 100_000), (103, 7, 10)],
    ids=["adaptive-blocks", "small-blocks", "large-blocks", "blocks-shorter-than-a-line"],
)
def test_batches_are_bounded_and_in_file_order(tmp_path, rows, batch_rows, block_bytes):
    path = _l2_file(tmp_path, rows)
    batches = list(read_batches(path, "incremental_book_L2", batch_rows, block_bytes))
    assert all(0 < b.height <= batch_rows for b in batches)
    assert [b.height for b in batches[:-1]] == [batch_rows] * (len(batches) - 1)
    whole = pl.concat(batches)
    data = gzip.decompress(path.read_bytes())
    header = tuple(data[: data.index(b"\n")].decode().split(","))
    expected = pl.read_csv(data, schema=read_schema("incremental_book_L2", header))
    assert whole.equals(expected)  # same rows, same order, same values
    assert dict(whole.schema) == {
        **dict.fromkeys(header, pl.String()),
        "timestamp": pl.Int64(),
        "local_timestamp": pl.Int64(),
        "price": pl.Decimal(38, 18),
        "amount": pl.Decimal(38, 18),
    }


def test_parse_hook_streams_batches_before_reading_the_end(tmp_path, plugins):
    # The file's last line is unreadable: a parser that read the whole file before yielding
    # would fail before the first batch; a streaming one yields batches, then fails there.
    rows = 20_000
    text = csv_bytes(incremental_book_l2(rows), "incremental_book_L2") + b"\xff\x00,broken\n"
    path = tmp_path / "deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz"
    path.write_bytes(gzip_bytes(text))
    stream = plugins.call(
        "tardis", "pointline_parse", file=bronze(path, "incremental_book_L2"), batch_rows=1_000
    )
    seen = 0
    with pytest.raises(ParseError) as info:
        for batch in stream:
            assert batch.height == 1_000
            seen += batch.height
    assert seen >= rows // 2  # most of the file came out before the bad line was reached
    assert info.value.line is not None and info.value.line > seen


@pytest.mark.parametrize(
    "payload",
    [b"", TRADES_HEADER.encode(), TRADES_HEADER.encode() + b"\n\n"],
    ids=["zero-bytes-decompressed", "header-only", "header-and-blank-lines"],
)
def test_empty_gzip_yields_nothing(tmp_path, plugins, payload):
    path = tmp_path / "bitmex_trades_2024-03-01_XBTUSD.csv.gz"
    path.write_bytes(gzip.compress(payload, mtime=0))
    batches, canonical = run_file(plugins, bronze(path, "trades"))
    assert batches == [] and canonical.height == 0


def test_zero_byte_file_yields_nothing(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(b"")
    assert list(read_batches(path, "trades", 10)) == []


def test_plain_csv_crlf_and_trailing_blank_lines(tmp_path):
    rows = ["bitmex,XBTUSD,1,2,a,buy,6422,1", "bitmex,XBTUSD,3,4,,sell,1e-7,2", "", ""]
    path = write_csv(tmp_path / "t.csv", TRADES_HEADER.replace("\n", "\r\n") + "\r\n".join(rows))
    (frame,) = read_batches(path, "trades", 10)
    assert frame["price"].to_list() == [Decimal("6422"), Decimal("1e-7")]
    assert frame["amount"].to_list() == [Decimal(1), Decimal(2)]
    assert frame["id"].to_list() == ["a", None]
    assert frame["timestamp"].to_list() == [1, 3]


def test_columns_are_taken_by_name_not_position(tmp_path, plugins):
    # Same rows, header and cells permuted: the canonical result must be identical.
    normal = write_csv(
        tmp_path / "a.csv",
        QUOTES_HEADER
        + "binance,BTCUSDT,1709251200003000,1709251200005129,0.51422,61150.01,61150,2.9\n",
    )
    shuffled = write_csv(
        tmp_path / "b.csv",
        "bid_amount,bid_price,local_timestamp,ask_price,symbol,exchange,ask_amount,timestamp\n"
        "2.9,61150,1709251200005129,61150.01,BTCUSDT,binance,0.51422,1709251200003000\n",
    )
    _, a = run_file(plugins, bronze(normal, "quotes"))
    _, b = run_file(plugins, bronze(shuffled, "quotes"))
    assert a.equals(b)
    row = a.row(0, named=True)
    assert row["ask_qty"] == Decimal("0.51422") and row["bid_qty"] == Decimal("2.9")
    assert row["ask_price"] == Decimal("61150.01") and row["bid_price"] == Decimal("61150")


def test_file_name_symbol_with_replaced_characters_keeps_the_row_symbol(tmp_path, plugins):
    # Row symbol "XBT/USD"; the clients write "/" as "-" in the file name.
    text = TRADES_HEADER + "kraken,XBT/USD,1709251200000000,1709251200000100,1,buy,61000,1\n"
    write_csv(tmp_path / "tardis" / "kraken_trades_2024-03-01_XBT-USD.csv.gz", text)
    (file,) = plugins.call(
        "tardis", "pointline_discover", vendor_root=tmp_path / "tardis", bronze_root=tmp_path
    )
    assert (file.data_type, file.meta_dict()["symbol"]) == ("trades", "XBT-USD")
    _, out = run_file(plugins, file)
    assert out["symbol"].to_list() == ["XBT/USD"]
    assert out["_reject_reason"].to_list() == [None]


def test_grouped_symbol_file_keeps_every_row_symbol(tmp_path, plugins):
    text = TRADES_HEADER + "".join(
        f"binance-futures,{sym},{1709251200000000 + i},{1709251200000100 + i},{i},buy,10,1\n"
        for i, sym in enumerate(["BTCUSDT", "ETHUSDT", "BTCUSDT", "SOLUSDT"])
    )
    path = write_csv(tmp_path / "binance-futures_trades_2024-03-01_PERPETUALS.csv.gz", text)
    _, out = run_file(plugins, bronze(path, "trades", "binance-futures"))
    assert out["symbol"].to_list() == ["BTCUSDT", "ETHUSDT", "BTCUSDT", "SOLUSDT"]
    assert "PERPETUALS" not in out["symbol"].to_list()
    assert out["_reject_reason"].null_count() == out.height


@pytest.mark.parametrize(
    ("header", "data_type", "message", "column"),
    [
        (TRADES_HEADER.replace(",amount", ",amount,fee"), "trades", "unknown column", "fee"),
        (TRADES_HEADER.replace(",side", ""), "trades", "missing column", "side"),
        (TRADES_HEADER.replace("price", "prize"), "trades", "unknown column", "prize"),
        (TRADES_HEADER.replace(",id", ",price"), "trades", "duplicate column", "price"),
        (
            "exchange,symbol,timestamp,local_timestamp,asks[5].price\n",
            "book_snapshot_5",
            "unknown column",
            "asks[5].price",
        ),
        (
            "exchange,symbol,timestamp,local_timestamp\n",
            "book_snapshot_5",
            "missing column",
            "asks[0].price",
        ),
        (
            "exchange,symbol,timestamp,local_timestamp,type,expiration\n",
            "options_chain",
            "missing column",
            "strike_price",
        ),
    ],
)
def test_header_errors_name_the_column_and_file(tmp_path, header, data_type, message, column):
    path = write_csv(tmp_path / "bad.csv.gz", header + "x\n")
    with pytest.raises(ParseError, match=message) as info:
        list(read_batches(path, data_type, 100))
    assert info.value.column == column
    assert info.value.path == str(path)
    assert info.value.line == 1
    assert repr(column) in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("line", "fields"),
    [("bitmex,XBTUSD,1,2,a,buy,1,1,EXTRA", 9), ("bitmex,XBTUSD,1,2,a,buy,1", 7), ("", 0)],
    ids=["too-many-fields", "too-few-fields", "blank-line-mid-file"],
)
def test_ragged_lines_fail_with_line_number(tmp_path, line, fields):
    good = "bitmex,XBTUSD,1,2,a,buy,1,1\n"
    path = write_csv(tmp_path / "r.csv", TRADES_HEADER + good * 5 + line + "\n" + good)
    with pytest.raises(ParseError, match=f"has {fields} fields but the header has 8") as info:
        list(read_batches(path, "trades", 100))
    assert info.value.line == 7


def test_truncated_gzip_is_a_parse_error(tmp_path):
    path = _l2_file(tmp_path, 2_000)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ParseError, match="truncated or corrupt"):
        list(read_batches(path, "incremental_book_L2", 500))


@pytest.mark.parametrize("bad_line", [2, 3_500, 12_001])
def test_invalid_utf8_names_the_exact_line(tmp_path, bad_line):
    good = b"bitmex,XBTUSD,1,2,a,buy,1,1\n"
    lines = [good] * 12_000
    lines[bad_line - 2] = b"bitmex,XBT\xc3(USD,1,2,a,buy,1,1\n"  # invalid 2-byte sequence
    path = tmp_path / "u.csv.gz"
    path.write_bytes(gzip.compress(TRADES_HEADER.encode() + b"".join(lines), mtime=0))
    with pytest.raises(ParseError, match=r"invalid UTF-8 at byte 11 of the line") as info:
        list(read_batches(path, "trades", 100_000, block_bytes=1 << 16))
    assert info.value.line == bad_line


def test_line_numbers_count_a_quoted_cell_spanning_two_lines(tmp_path):
    """A block's rows are its lines, except where a quoted cell spans lines: the line number
    of a later block's error still counts both physical lines of that cell."""
    spanning = 'bitmex,"XBT\nUSD",1,2,a,buy,1,1\n'
    good = "bitmex,XBTUSD,1,2,a,buy,1,1\n"
    first = spanning + good * 3  # lines 2-6, one block
    path = write_csv(tmp_path / "q.csv", TRADES_HEADER + first + good + "bitmex,XBTUSD,1\n")
    with pytest.raises(ParseError, match="has 3 fields but the header has 8") as info:
        list(read_batches(path, "trades", 100, block_bytes=len(first.encode())))
    assert info.value.line == 8
