"""Every record of every real Databento file lands, exactly, through the core's ingest.

Databento's own DBN test files (both encodings: plain DBN v2 and zstd DBN v3), renamed as
batch downloads, ingest into a temporary Delta lake: per-file row counts equal the vendor
decoder's record counts (the header-only ohlcv-1d file lands zero rows), every price equals
the decoder's own integer price, ts columns are ts // 1000 with the full ns kept, and the
bbo records of Sunday 2020-12-27 23:59:59 UTC land on CME trading date 2020-12-28.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from dbn_testkit import decoded, ingest, silver
from pointline_databento.formats import NOT_INGESTED

from pointline_core.symbols import import_symbols

UNDEF_PRICE = 2**63 - 1
#: real file schema -> number of records (from the files' README, checked against the decoder)
RECORDS = {
    "trades": 2, "tbbo": 2, "mbo": 2, "mbp-1": 2, "mbp-10": 2, "bbo-1s": 4, "bbo-1m": 4,
    "cmbp-1": 2, "cbbo-1s": 2, "ohlcv-1s": 2, "ohlcv-1m": 2, "ohlcv-1h": 2, "ohlcv-1d": 0,
}  # fmt: skip
DATASET_PREFIX = {"GLBX.MDP3": "glbx-mdp3", "XNAS.ITCH": "xnas-itch"}


def units(value: object) -> int | None:
    """A lake price as an integer count of 1e-9 (whatever the core's price dtype)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value.scaleb(9))
    return int(value)


def size_units(value: object) -> int:
    """A lake quantity as whole units."""
    if isinstance(value, Decimal):
        return int(value)
    return int(value) // 10**8


def _symbols_csv(path: Path) -> Path:
    path.write_text(
        "exchange,exchange_symbol,valid_from,asset_class\n"
        "glbx,ESH1,2020-01-01T00:00:00Z,futures\n"
        "xnas,MSFT,2020-01-01T00:00:00Z,equity\n"
        "xnas,SPOT,2020-01-01T00:00:00Z,equity\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module", params=[".dbn", ".v3.dbn.zst"])
def landed(
    request,
    tmp_path_factory,
):
    from dbn_testkit import REAL_DIR, require_shared

    real = require_shared(REAL_DIR)
    suffix = request.param
    root = tmp_path_factory.mktemp("real" + suffix.replace(".", "_"))
    bronze, lake = root / "bronze", root / "lake"
    (bronze / "databento").mkdir(parents=True)
    files = {}
    for path in sorted(real.glob(f"test_data.*{suffix}")):
        schema = path.name.split(".")[1]
        meta, records = decoded(path)
        day = dt.datetime.fromtimestamp(meta.start / 1e9, dt.UTC).strftime("%Y%m%d")
        ext = ".dbn.zst" if suffix.endswith(".zst") else ".dbn"
        name = f"{DATASET_PREFIX[meta.dataset]}-{day}.{schema}{ext}"
        shutil.copyfile(path, bronze / "databento" / name)
        files[schema] = (f"databento/{name}", records)
    import_symbols(_symbols_csv(root / "symbols.csv"), lake, progress=False)
    report = ingest(bronze, lake)
    return lake, report, files


def test_every_record_of_every_file_lands(landed):
    lake, report, files = landed
    assert report.ok and not report.vendor_errors
    by_path: dict[str, int] = {}
    for f in report.files:
        assert f.status == "success" and f.rows_quarantined == 0, f
        by_path[f.rel_path] = by_path.get(f.rel_path, 0) + f.rows_written
    landed_schemas = {schema for schema, (rel, _r) in files.items() if rel in by_path}
    assert landed_schemas == set(RECORDS)
    for schema, count in RECORDS.items():
        rel, records = files[schema]
        assert len(records) == count
        assert by_path[rel] == count, schema  # mbo: orders + executions
    # definition, statistics, status, imbalance: reported with their reason, not ingested
    reasons = {u.rel_path.split(".")[1]: u.reason for u in report.unrecognised}
    assert set(reasons) == set(NOT_INGESTED)
    expected = {"trades": 4, "quotes": 14, "book_snapshots": 2, "bars": 6}
    for table, rows in expected.items():
        assert silver(lake, table).height == rows, table
    assert silver(lake, "l3_orders").height + silver(lake, "l3_trades").height == 2


def _check_times(row: dict, record: object, has_recv: bool = True) -> None:
    assert row["ts_event_us"] == record.ts_event // 1000
    assert row["ts_event_ns"] == record.ts_event  # the sub-µs part is kept
    if has_recv:
        assert row["ts_local_us"] == record.ts_recv // 1000
        assert row["ts_local_ns"] == record.ts_recv


def _rows(lake: Path, table: str) -> list[dict]:
    return silver(lake, table).sort("ts_event_ns", "file_id", "file_seq").to_dicts()


def _price(px: int) -> int | None:
    return None if px == UNDEF_PRICE else px


def test_trade_prices_sizes_and_times_equal_the_decoder(landed):
    lake, _report, files = landed
    records = sorted(files["trades"][1] + files["tbbo"][1], key=lambda r: r.ts_event)
    rows = _rows(lake, "trades")
    assert len(rows) == len(records)
    for row, rec in zip(rows, records, strict=True):
        assert units(row["price"]) == rec.price
        assert size_units(row["qty"]) == rec.size
        assert row["symbol"] == "ESH1" and row["exchange"] == "glbx"
        _check_times(row, rec)


def test_quote_prices_equal_the_decoder_and_undef_is_null(landed):
    lake, _report, files = landed
    schemas = ("mbp-1", "bbo-1s", "bbo-1m", "cmbp-1", "cbbo-1s")
    records = [r for s in schemas for r in files[s][1]]
    got = sorted(
        (r["ts_event_ns"], r["ts_local_ns"], units(r["bid_price"]), units(r["ask_price"]),
         size_units(r["bid_qty"]), size_units(r["ask_qty"]))
        for r in _rows(lake, "quotes")
    )  # fmt: skip
    want = sorted(
        (r.ts_event, r.ts_recv, _price(r.levels[0].bid_px), _price(r.levels[0].ask_px),
         r.levels[0].bid_sz, r.levels[0].ask_sz)
        for r in records
    )  # fmt: skip
    assert got == want


def test_book_snapshot_levels_and_bars_equal_the_decoder(landed):
    lake, _report, files = landed
    rows = _rows(lake, "book_snapshots")
    for row, rec in zip(rows, files["mbp-10"][1], strict=True):
        assert row["depth"] == 10
        assert [units(v) for v in row["bid_prices"]] == [_price(lv.bid_px) for lv in rec.levels]
        assert [units(v) for v in row["ask_prices"]] == [_price(lv.ask_px) for lv in rec.levels]
        assert [size_units(v) for v in row["bid_qtys"]] == [lv.bid_sz for lv in rec.levels]
        _check_times(row, rec)
    bars = silver(lake, "bars").sort("interval", "ts_event_us").to_dicts()
    want = sorted(
        (s.removeprefix("ohlcv-"), r.ts_event, r.open, r.high, r.low, r.close, r.volume)
        for s in ("ohlcv-1s", "ohlcv-1m", "ohlcv-1h")
        for r in files[s][1]
    )
    got = sorted(
        (b["interval"], b["ts_event_ns"], units(b["open"]), units(b["high"]), units(b["low"]),
         units(b["close"]), size_units(b["volume"]))
        for b in bars
    )  # fmt: skip
    assert got == want


def test_mbo_events_keep_order_id_channel_and_sequence(landed):
    lake, _report, files = landed
    orders, trades = silver(lake, "l3_orders"), silver(lake, "l3_trades")
    cols = ("ts_event_ns", "channel_id", "channel_seq", "price", "event_kind")
    parts = [t.select(cols) for t in (orders, trades) if t.height]  # the real file has no T/F
    rows = pl.concat(parts, how="vertical_relaxed").sort("ts_event_ns").to_dicts()
    assert len(rows) == len(files["mbo"][1])
    kinds = {"A": "add", "C": "cancel", "M": "modify", "R": "clear", "T": "trade", "F": "fill"}
    for row, rec in zip(rows, files["mbo"][1], strict=True):
        assert row["channel_seq"] == rec.sequence and row["channel_id"] == rec.channel_id
        assert units(row["price"]) == _price(rec.price)
        assert row["event_kind"] == kinds[str(rec.action.value)]
    refs = orders["order_ref"].to_list()
    assert refs == [r.order_id for r in files["mbo"][1] if str(r.action.value) in "ACMR"]


def test_sunday_evening_bbo_lands_on_mondays_trading_date(landed):
    lake, _report, _files = landed
    quotes = silver(lake, "quotes")
    sunday = quotes.filter(pl.col("ts_event_us") < 1_609_113_600_000_000)  # < 12-28 00:00 UTC
    # 2020-12-27 23:59:59 UTC = 17:59:59 Chicago on Sunday: the session of Monday 12-28
    assert sunday.height == 2  # one bbo-1s and one bbo-1m record
    assert sunday["trading_date"].unique().to_list() == [dt.date(2020, 12, 28)]
    assert quotes["trading_date"].unique().to_list() == [dt.date(2020, 12, 28)]
