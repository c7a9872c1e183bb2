"""``pointline_parse_files``: many small Tardis files read with one CSV read per header give
exactly the batches ``pointline_parse`` yields per file; odd files are read alone; a cell or
line the joint read cannot take declines the call (the runner then parses file by file)."""

from __future__ import annotations

import pytest
from pointline_tardis.parse import read_files
from pointline_tardis.sample import csv_bytes, gzip_bytes, incremental_book_l2, quotes, trades
from tardis_testkit import bronze

from pointline_core.errors import ParseError

TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
ROW = "bitmex,XBTUSD,1709251200003000,1709251200005000,{},buy,6422.5,{}\n"


def _files(tmp_path):
    """(path, data type) of a mixed day: the common shape and every odd one."""
    out = []

    def put(name, data_type, data: bytes):
        path = tmp_path / name
        path.write_bytes(gzip_bytes(data) if name.endswith(".gz") else data)
        out.append((path, data_type))

    for n in range(4):
        put(
            f"t{n}.csv.gz",
            "trades",
            csv_bytes(trades(7 + n, "bitmex", ["XBTUSD"], 6_000_000, False), "trades"),
        )
    put(
        "l2a.csv.gz",
        "incremental_book_L2",
        csv_bytes(incremental_book_l2(50), "incremental_book_L2"),
    )
    put(
        "l2b.csv.gz",
        "incremental_book_L2",
        csv_bytes(incremental_book_l2(9), "incremental_book_L2"),
    )
    put("q.csv.gz", "quotes", csv_bytes(quotes(6, "binance", ["BTCUSDT"], 6_000_000), "quotes"))
    put("quoted.csv", "trades", (TRADES + ROW.format('"a,b"', 1) + ROW.format("c", 2)).encode())
    put(
        "crlf.csv",
        "trades",
        (TRADES + ROW.format("a", 1) + ROW.format("b", 2)).replace("\n", "\r\n").encode(),
    )
    put("trailing-blank.csv", "trades", (TRADES + ROW.format("a", 1) + "\n\n").encode())
    put(
        "no-final-newline.csv",
        "trades",
        (TRADES + ROW.format("a", 1) + ROW.format("b", 3)).rstrip("\n").encode(),
    )
    put("bom.csv", "trades", ("\ufeff" + TRADES + ROW.format("a", 1)).encode())
    put("header-only.csv", "trades", TRADES.encode())
    put("empty.csv", "trades", b"")
    put("blank-cell.csv", "trades", (TRADES + ROW.format("", 1)).encode())
    return out


def _per_file(files, batch_rows):
    from pointline_tardis import hooks

    return [
        [b for b in hooks.pointline_parse(bronze(path, data_type), batch_rows) if b.height]
        for path, data_type in files
    ]


def _joint(files, batch_rows):
    from pointline_tardis import hooks

    got = hooks.pointline_parse_files([bronze(p, t) for p, t in files], batch_rows)
    assert got is not None
    return [[b for b in batches if b.height] for batches in got]


@pytest.mark.parametrize("batch_rows", [1, 3, 100_000])
def test_joint_read_equals_the_per_file_parse(tmp_path, batch_rows):
    files = _files(tmp_path)
    want, got = _per_file(files, batch_rows), _joint(files, batch_rows)
    assert len(got) == len(want)
    for (path, _), g, w in zip(files, got, want, strict=True):
        assert [b.height for b in g] == [b.height for b in w], path.name
        for a, b in zip(g, w, strict=True):
            assert a.schema == b.schema and a.equals(b), path.name


def test_a_cell_the_joint_read_refuses_declines(tmp_path):
    files = _files(tmp_path)[:4]
    bad = tmp_path / "bad.csv"
    bad.write_text(TRADES + ROW.format("a", "1.2.3"))
    assert read_files([*files, (bad, "trades")], 100) is None


def test_a_short_line_declines(tmp_path):
    files = _files(tmp_path)[:4]
    short = tmp_path / "short.csv"
    short.write_text(TRADES + ROW.format("a", 1) + "bitmex,XBTUSD,1709251200003000\n")
    assert read_files([*files, (short, "trades")], 100) is None


def test_a_bad_header_raises_as_the_per_file_parse_does(tmp_path):
    files = _files(tmp_path)[:2]
    odd = tmp_path / "odd.csv"
    odd.write_text(TRADES.replace("amount", "volume") + ROW.format("a", 1))
    with pytest.raises(ParseError, match="unknown column 'volume'"):
        read_files([*files, (odd, "trades")], 100)
