"""Issue 17 point 3: ``incremental_book_L2`` snapshot blocks, flagged so a book rebuilt from
the lake is right, with every Bronze row landing (none dropped, none quarantined).

Real-shaped files (Deribit BTC-PERPETUAL, µs timestamps, absolute amounts):

* the file starts with updates stamped before its first snapshot (the vendor's docs: skip
  them until the first ``is_snapshot=true`` row) -> ``before_first_snapshot``;
* two snapshot blocks back to back (a run of snapshot rows with another ``timestamp``) and
  a mid-day re-snapshot after updates -> ``book_reset`` on the first row of each block;
* a grouped file whose two symbols' blocks are independent.

Flags must not depend on how the parser cut the file into batches: ingested with
``batch_rows`` 1, 2, 3, 5 and the default, through the small-file and the streaming path.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pointline_tardis.book import BEFORE_FIRST_SNAPSHOT, BOOK_RESET, flag_batches
from tardis_testkit import write_csv

from pointline_core import ingest as run_ingest
from pointline_core.cli.symbols_cmd import import_symbols
from pointline_core.ingest.runner import IngestOptions
from pointline_core.storage.lake import Lake

HEADER = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"
T = 1709251200000000  # 2024-03-01T00:00:00Z

#: (timestamp offset µs, is_snapshot, side, price, amount, book_reset, before_first_snapshot)
PERP = [
    # the recorder connected mid-message: two updates before the first snapshot
    (211_000, "false", "ask", "61176", "5", False, True),
    (211_000, "false", "bid", "61170", "0", False, True),
    # first snapshot block
    (245_000, "true", "ask", "61175.5", "21330", True, False),
    (245_000, "true", "ask", "61176", "10", False, False),
    (245_000, "true", "bid", "61175", "4500", False, False),
    (245_000, "true", "bid", "61174.5", "120000", False, False),
    (512_000, "false", "ask", "61175.5", "19330", False, False),
    (512_000, "false", "bid", "61173", "800", False, False),
    # two blocks back to back: the second has another timestamp and resets again
    (900_000, "true", "ask", "61180", "7", True, False),
    (900_000, "true", "bid", "61179.5", "9", False, False),
    (950_000, "true", "ask", "61181", "1", True, False),
    (950_000, "true", "ask", "61182", "2", False, False),
    (950_000, "true", "bid", "61178", "3", False, False),
    (1_100_000, "false", "ask", "61181", "0", False, False),
    (1_100_000, "false", "bid", "61177", "4", False, False),
]
#: the book the vendor's rules give after the last row: side -> {price: amount}
PERP_BOOK = {"ask": {"61182": "2"}, "bid": {"61178": "3", "61177": "4"}}


def _line(symbol: str, off: int, snap: str, side: str, price: str, amount: str) -> str:
    return f"deribit,{symbol},{T + off},{T + off + 3_554},{snap},{side},{price},{amount}"


def _perp_text() -> str:
    return "\n".join([HEADER, *(_line("BTC-PERPETUAL", *r[:5]) for r in PERP)]) + "\n"


def _grouped_text() -> str:
    """Two symbols interleaved; ETH's snapshot arrives after BTC's first block and after
    an ETH update; BTC's second block directly follows an ETH snapshot row."""
    rows = [
        ("ETH-PERPETUAL", 100, "false", "bid", "3400", "1"),  # ETH: before first snapshot
        ("BTC-PERPETUAL", 200, "true", "ask", "61175.5", "10"),  # BTC block 1
        ("ETH-PERPETUAL", 200, "true", "ask", "3401", "2"),  # ETH block 1 (own symbol)
        ("BTC-PERPETUAL", 200, "true", "bid", "61175", "5"),
        ("ETH-PERPETUAL", 200, "true", "bid", "3400.5", "3"),
        ("BTC-PERPETUAL", 300, "false", "bid", "61175", "0"),
        ("BTC-PERPETUAL", 400, "true", "bid", "61174", "6"),  # BTC block 2
        ("ETH-PERPETUAL", 400, "false", "ask", "3401", "0"),
    ]
    return "\n".join([HEADER, *(_line(*r) for r in rows)]) + "\n"


GROUPED_FLAGS = {  # file_seq -> (book_reset, before_first_snapshot)
    0: (False, True),
    1: (True, False),
    2: (True, False),
    3: (False, False),
    4: (False, False),
    5: (False, False),
    6: (True, False),
    7: (False, False),
}


def _bronze(tmp_path: Path) -> Path:
    bronze = tmp_path / "bronze"
    write_csv(
        bronze / "tardis/deribit_incremental_book_L2_2024-03-01_BTC-PERPETUAL.csv.gz",
        _perp_text(),
    )
    write_csv(
        bronze / "tardis/deribit_incremental_book_L2_2024-03-01_PERPETUALS.csv.gz",
        _grouped_text(),
    )
    return bronze


def _symbols(tmp_path: Path, lake: Path) -> None:
    records = [
        {"id": s, "exchange": "deribit", "type": "perpetual", "availableSince": "2019-01-01"}
        for s in ("BTC-PERPETUAL", "ETH-PERPETUAL")
    ]
    path = tmp_path / "instruments.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_symbols(path, lake, vendor="tardis")


def rebuild(rows: pl.DataFrame) -> dict[str, dict[str, str]]:
    """A consumer's book rebuild from lake rows of one symbol, in replay order, using only
    the flags: skip before_first_snapshot, clear at book_reset, amount 0 deletes.
    (A reference loop over a few rows: the test's oracle, not product code.)"""
    book: dict[str, dict[Decimal, Decimal]] = {"ask": {}, "bid": {}}
    for r in rows.sort("ts_local_us", "ts_event_us", "file_id", "file_seq").iter_rows(named=True):
        if r["before_first_snapshot"]:
            continue
        if r["book_reset"]:
            book = {"ask": {}, "bid": {}}
        if r["qty"] == 0:
            book[r["side"]].pop(r["price"], None)
        else:
            book[r["side"]][r["price"]] = r["qty"]

    def text(v: Decimal) -> str:
        return format(v.normalize(), "f")

    return {s: {text(p): text(q) for p, q in levels.items()} for s, levels in book.items()}


@pytest.mark.parametrize(
    ("batch_rows", "stream"), [(1, False), (2, False), (3, True), (5, True), (100_000, False)]
)
def test_flags_land_exact_whatever_the_batches(tmp_path, batch_rows, stream):
    bronze, lake = _bronze(tmp_path), tmp_path / "lake"
    _symbols(tmp_path, lake)
    opts = IngestOptions(batch_rows=batch_rows, stream_file_bytes=1 if stream else 32 << 20)
    report = run_ingest(bronze, lake, vendors=["tardis"], progress=False, options=opts)
    assert report.ok
    for f in report.files:  # every Bronze row is a lake row: nothing dropped or quarantined
        assert f.status == "success" and f.rows_written == f.rows_total and not f.rows_quarantined
    rows = pl.read_delta(str(Lake(lake).table_path("orderbook_updates", "silver")))
    perp = rows.filter(pl.col("file_id") == _file_id(report, "BTC-PERPETUAL.csv.gz")).sort(
        "file_seq"
    )
    assert perp.height == len(PERP)
    assert perp["book_reset"].to_list() == [r[5] for r in PERP]
    assert perp["before_first_snapshot"].to_list() == [r[6] for r in PERP]
    assert rebuild(perp) == PERP_BOOK

    grouped = rows.filter(pl.col("file_id") == _file_id(report, "PERPETUALS.csv.gz"))
    got = dict(
        zip(
            grouped["file_seq"].to_list(),
            zip(grouped["book_reset"], grouped["before_first_snapshot"], strict=True),
            strict=True,
        )
    )
    assert got == GROUPED_FLAGS
    eth = grouped.filter(pl.col("symbol") == "ETH-PERPETUAL")
    assert rebuild(eth) == {"ask": {}, "bid": {"3400.5": "3"}}
    btc = grouped.filter(pl.col("symbol") == "BTC-PERPETUAL")
    assert rebuild(btc) == {"ask": {}, "bid": {"61174": "6"}}


def _file_id(report, suffix: str) -> int:
    (fid,) = [f.file_id for f in report.files if f.rel_path.endswith(suffix)]
    return fid


def test_a_block_split_across_batches_is_one_block():
    """The first snapshot block's four rows cut 1|3 and 2|2: one reset, not two."""
    frame = pl.read_csv(_perp_text().encode(), infer_schema=False)
    expected = [r[5] for r in PERP]
    for cut in range(1, frame.height):
        batches = [frame.slice(0, cut), frame.slice(cut)]
        out = pl.concat(flag_batches(batches))
        assert out[BOOK_RESET].to_list() == expected, cut
        assert out[BEFORE_FIRST_SNAPSHOT].to_list() == [r[6] for r in PERP], cut
        assert out.drop(BOOK_RESET, BEFORE_FIRST_SNAPSHOT).equals(frame)


def test_a_file_that_is_all_updates_is_all_before_first_snapshot(tmp_path):
    """No snapshot at all (recorder lost the book for the whole day): every row lands,
    every row flagged unusable for a rebuild."""
    frame = pl.read_csv(_perp_text().encode(), infer_schema=False).filter(
        pl.col("is_snapshot") == "false"
    )
    out = pl.concat(flag_batches([frame.head(3), frame.tail(frame.height - 3)]))
    assert out[BEFORE_FIRST_SNAPSHOT].unique().to_list() == [True]
    assert out[BOOK_RESET].unique().to_list() == [False]


def test_grouped_file_flags_for_every_cut():
    """Batches of one symbol take the single-symbol path, mixed batches the grouped one;
    the state they share gives the same flags wherever the file is cut."""
    frame = pl.read_csv(_grouped_text().encode(), infer_schema=False)
    expected = [GROUPED_FLAGS[i] for i in range(frame.height)]
    for a in range(1, frame.height):
        for b in range(a + 1, frame.height + 1):
            batches = [frame.slice(0, a), frame.slice(a, b - a), frame.slice(b)]
            out = pl.concat(flag_batches(x for x in batches if x.height))
            got = list(zip(out[BOOK_RESET], out[BEFORE_FIRST_SNAPSHOT], strict=True))
            assert got == expected, (a, b)
