"""Archive (real .7z built here) -> extract -> Bronze -> parse -> canonical rows.

Archives follow the vendor doc exactly: names, ``<stem>/<code>.csv`` members, headers, codes,
17-digit China-time timestamps. The doc's own sample rows (§14) are checked value by value.
"""

from __future__ import annotations

import csv
import gzip
import io
from decimal import Decimal

import polars as pl
import pytest
from pointline_quant360 import sample
from pointline_quant360.canonical import canonicalize, timestamp_us
from pointline_quant360.discover import discover
from pointline_quant360.parse import read_batches
from pointline_quant360.rules import rules_for

from pointline_core.errors import ParseError
from pointline_core.models import BronzeFile
from pointline_core.schemas.tables import L2_SNAPSHOTS, L3_ORDERS, L3_TRADES

DAY = "20240102"

DOC_ARCHIVES = {
    f"order_new_STK_SZ_{DAY}.7z": {
        f"order_new_STK_SZ_{DAY}/000001.csv": b"""\
OrderQty,OrdType,TransactTime,ExpirationDays,Side,ApplSeqNum,Contactor,SendingTime,Price,ChannelNo,ExpirationType,ContactInfo,ConfirmID
1000,2,20240102091500040,0,1,101,,20240102091500043,9.420,2011,0,,
500,2,20240102093000120,0,2,1827364,,20240102093000124,9.410,2011,0,,
2000,1,20240102093001210,0,1,1827890,,20240102093001213,0.000,2011,0,,
300,U,20240102093002000,0,2,1828102,,20240102093002004,0.000,2011,0,,
""",
    },
    f"tick_new_STK_SZ_{DAY}.7z": {
        f"tick_new_STK_SZ_{DAY}/000001.csv": b"""\
ApplSeqNum,BidApplSeqNum,SendingTime,Price,ChannelNo,Qty,OfferApplSeqNum,Amt,ExecType,TransactTime
1201,101,20240102092500004,9.410,2011,1000,877,9410.000,F,20240102092500000
1827365,1827001,20240102093000126,9.410,2011,300,1827364,2823.000,F,20240102093000120
1829004,0,20240102093003504,0.000,2011,200,1827364,0.000,4,20240102093003500
""",
    },
    f"order_new_STK_SH_{DAY}.7z": {
        f"order_new_STK_SH_{DAY}/600000.csv": b"""\
SecurityID,TransactTime,OrderNo,Price,Balance,OrderBSFlag,OrdType,OrderIndex,ChannelNo,BizIndex
600000,20240102091500020,2034,7.05,10000,B,A,2031,5,2031
600000,20240102093001250,4410782,7.04,2000,S,A,3905510,5,6301442
600000,20240102093015870,4410782,7.04,800,S,D,3907021,5,6303390
""",
    },
    f"tick_new_STK_SH_{DAY}.7z": {
        f"tick_new_STK_SH_{DAY}/600000.csv": b"""\
SecurityID,TradeTime,TradePrice,TradeQty,TradeAmount,BuyNo,SellNo,TradeIndex,ChannelNo,TradeBSFlag,BizIndex
600000,20240102092500940,7.05,10000,70500.00,2034,1877,19719,5,N,1204551
600000,20240102093002310,7.04,1200,8448.00,4411020,4410782,152337,5,B,6301590
""",
    },
    f"L2_new_STK_SZ_{DAY}.7z": {
        f"L2_new_STK_SZ_{DAY}/000001.csv": b"""\
SendingTime,MsgSeqNum,ImageStatus,QuotTime,PreClosePx,LastPx,Volume,Amount,BidPrice,BidOrderQty,OfferPrice,OfferOrderQty,UpperLimitPx,LowerLimitPx,TradingPhaseCode
20240102093003020,88123,1,20240102093003000,9.390,9.410,4182300,39338212.000,"[9.410,9.400,9.390,9.380,9.370,9.360,9.350,9.340,9.330,9.320]","[120300,452100,389000,211500,98000,176400,143300,85100,66200,90500]","[9.420,9.430,9.440,9.450,9.460,9.470,9.480,9.490,9.500,9.510]","[88200,301700,145900,260000,123400,99000,71100,205300,310000,54400]",10.330,8.450,T0
""",
    },
}

Q = 1  # quantities are exact decimals: N shares == N


def test_doc_timestamp_examples_convert_exactly():
    texts = [
        "20240102093000120",
        "20240102091500000",
        "20240102092500000",
        "20240102150000000",
        "2024010209300012",  # 16 digits
        "20240102093060000",  # second 60
        None,
    ]
    got = pl.DataFrame({"t": texts}).select(timestamp_us("t"))["t"].to_list()
    assert got == [
        1704159000120000,
        1704158100000000,
        1704158700000000,
        1704178800000000,
        None,
        None,
        None,
    ]


def test_doc_sample_rows_end_to_end(tmp_path, write_archives, run_extract, to_canonical):
    write_archives(tmp_path / "src", DOC_ARCHIVES)
    report = run_extract(tmp_path / "src", tmp_path / "bronze")
    assert report.archives_succeeded == 5 and report.members_published == 5
    rows = to_canonical(tmp_path / "bronze")

    o = rows[("szse", "order_new", "000001")]
    assert o.columns == [*L3_ORDERS.vendor_columns(), "_reject_reason"]
    assert o["_reject_reason"].null_count() == 4
    assert o["ts_event_us"][1] == 1704159000120000
    assert o["ts_local_us"][1] == 1704159000124000
    assert o["order_ref"].to_list() == [101, 1827364, 1827890, 1828102]
    assert o["channel_seq"].to_list() == o["order_ref"].to_list()
    assert o["side"].to_list() == ["buy", "sell", "buy", "sell"]
    assert o["order_type"].to_list() == ["limit", "limit", "market", "best_own"]
    assert o["price"].to_list() == [Decimal("9.42"), Decimal("9.41"), None, None]
    assert o["qty"].to_list() == [1000 * Q, 500 * Q, 2000 * Q, 300 * Q]
    assert set(o["event_kind"]) == {"add"} and set(o["channel_id"]) == {2011}

    t = rows[("szse", "tick_new", "000001")]
    assert t.columns == [*L3_TRADES.vendor_columns(), "_reject_reason"]
    assert t["event_kind"].to_list() == ["trade", "trade", "cancel"]
    assert t["buy_order_ref"].to_list() == [101, 1827001, None]
    assert t["sell_order_ref"].to_list() == [877, 1827364, 1827364]
    # auction print: no aggressor; continuous: the later order (the seller) aggressed
    assert t["aggressor_side"].to_list() == ["unknown", "sell", "unknown"]
    assert t["price"].to_list() == [Decimal("9.41"), Decimal("9.41"), None]
    assert t["notional"].to_list() == [9410, 2823, None]
    assert t["qty"][2] == 200 * Q

    so = rows[("sse", "order_new", "600000")]
    assert so["event_kind"].to_list() == ["add", "add", "cancel"]
    assert so["order_ref"].to_list() == [2034, 4410782, 4410782]
    assert so["channel_seq"].to_list() == [2031, 3905510, 3907021]  # OrderIndex
    assert so["biz_index"].to_list() == [2031, 6301442, 6303390]
    assert so["price"][2] == Decimal("7.04") and so["qty"][2] == 800 * Q
    assert so["side"].to_list() == ["buy", "sell", "sell"]
    assert set(so["order_type"]) == {"unknown"} and so["ts_local_us"].null_count() == 3

    st = rows[("sse", "tick_new", "600000")]
    assert st["aggressor_side"].to_list() == ["unknown", "buy"]
    assert st["channel_seq"].to_list() == [19719, 152337]
    assert st["biz_index"].to_list() == [1204551, 6301590]
    assert st["notional"].to_list() == [70500, 8448]
    assert st["ts_event_us"][0] == 1704158700940000

    snap = rows[("szse", "L2_new", "000001")]
    assert snap.columns == [*L2_SNAPSHOTS.vendor_columns(), "_reject_reason"]
    r = snap.row(0, named=True)
    assert r["_reject_reason"] is None
    assert r["ts_event_us"] == 1704159003000000 and r["ts_local_us"] == 1704159003020000
    assert r["channel_seq"] == 88123 and r["trading_phase"] == "T0"
    assert r["bid_prices"][0] == Decimal("9.41") and r["ask_prices"][-1] == Decimal("9.51")
    assert r["bid_qtys"][1] == 452100 * Q and len(r["ask_qtys"]) == 10
    assert (r["upper_limit"], r["lower_limit"]) == (Decimal("10.33"), Decimal("8.45"))
    assert r["volume"] == 4182300 * Q and r["turnover"] == 39338212

    for key, frame in rows.items():
        # trading date: the Shanghai calendar day of every event is the archive's day
        days = frame.select(
            pl.from_epoch("ts_event_us", "us").dt.convert_time_zone("Asia/Shanghai").dt.date()
        )["ts_event_us"]
        assert set(days.cast(pl.String)) == {"2024-01-02"}, key
        assert set(frame["exchange"]) == {key[0]} and set(frame["symbol"]) == {key[2]}


def _members_rows(archives: dict[str, dict[str, bytes]]) -> dict[tuple, list[dict]]:
    out = {}
    for name, members in archives.items():
        parts = name[: -len("_20240102.7z")].rsplit("_", 2)
        stream, exch = parts[0], {"SH": "sse", "SZ": "szse"}[parts[2]]
        for member, data in members.items():
            code = member.rsplit("/", 1)[1][:-4]
            out[(exch, stream, code)] = list(csv.DictReader(io.StringIO(data.decode())))
    return out


def test_sample_day_archive_to_canonical_counts_cancels_and_dates(
    tmp_path, write_archives, run_extract, to_canonical
):
    archives = sample.build_day(events=60)
    write_archives(tmp_path / "src", archives)
    report = run_extract(tmp_path / "src", tmp_path / "bronze")
    assert report.ok and report.archives_succeeded == 5 and report.members_published == 15
    rows = to_canonical(tmp_path / "bronze", batch_rows=16)
    raw = _members_rows(archives)
    assert set(rows) == set(raw)
    for key, frame in rows.items():
        assert frame.height == len(raw[key]), key  # row count per symbol = CSV member rows
        assert frame["_reject_reason"].null_count() == frame.height, key
        spec = {"order_new": L3_ORDERS, "tick_new": L3_TRADES, "L2_new": L2_SNAPSHOTS}[key[1]]
        assert frame.drop("_reject_reason").schema == spec.polars_schema(spec.vendor_columns())
        days = frame.select(
            pl.from_epoch("ts_event_us", "us").dt.convert_time_zone("Asia/Shanghai").dt.date()
        ).to_series()
        assert days.cast(pl.String).unique().to_list() == ["2024-01-02"]

    # Cancels: SSE ones come from the order stream (OrdType D), SZSE ones from the tick stream
    # (ExecType 4); both land as event_kind "cancel".
    for code in ("600000", "600519", "688981"):
        d_rows = sum(r["OrdType"] == "D" for r in raw[("sse", "order_new", code)])
        got = rows[("sse", "order_new", code)]["event_kind"].to_list().count("cancel")
        assert got == d_rows > 0
    for code in ("000001", "300750", "159915"):
        c_rows = sum(r["ExecType"] == "4" for r in raw[("szse", "tick_new", code)])
        got = rows[("szse", "tick_new", code)]["event_kind"].to_list().count("cancel")
        assert got == c_rows > 0
    kinds: dict[str, set[str]] = {"sse": set(), "szse": set()}
    for (exch, stream, _code), frame in rows.items():
        if stream != "L2_new":
            kinds[exch] |= set(frame["event_kind"])
    assert kinds == {"sse": {"add", "cancel", "trade"}, "szse": {"add", "cancel", "trade"}}

    # SZSE: order and tick rows of a symbol share one channel sequence (merge key).
    for code in ("000001", "300750", "159915"):
        merged = pl.concat(
            [
                rows[("szse", "order_new", code)].select("channel_id", "channel_seq"),
                rows[("szse", "tick_new", code)].select("channel_id", "channel_seq"),
            ]
        )
        assert merged["channel_seq"].n_unique() == merged.height
        assert merged["channel_id"].n_unique() == 1
    # SSE: BizIndex is unique across both streams and increasing within each file.
    for code in ("600000", "600519", "688981"):
        o = rows[("sse", "order_new", code)]["biz_index"]
        t = rows[("sse", "tick_new", code)]["biz_index"]
        assert o.is_sorted() and t.is_sorted()
        assert pl.concat([o, t]).n_unique() == o.len() + t.len()

    # The sample respects the exchange rules the plugin contributes.
    for f in discover(tmp_path / "bronze" / "quant360", tmp_path / "bronze"):
        meta = f.meta_dict()
        table = {"order_new": "l3_orders", "tick_new": "l3_trades", "L2_new": "l2_snapshots"}
        frame = rows[(meta["exchange"], f.data_type, meta["symbol"])]
        for rule in rules_for(f, table[f.data_type]):
            bad = frame.select(rule.bad.fill_null(False).sum()).item()
            assert bad == 0, (rule.name, f.rel_path)

    # Rerun: nothing published, every archive skipped.
    again = run_extract(tmp_path / "src", tmp_path / "bronze")
    assert again.archives_skipped == 5 and again.members_published == 0


def test_corrupt_archive_next_to_good_ones_then_replacement(tmp_path, write_archives, run_extract):
    archives = sample.build_day(events=20)
    src = write_archives(tmp_path / "src", archives)
    victim = src / "quant360" / f"tick_new_STK_SZ_{DAY}.7z"
    intact = victim.read_bytes()
    victim.write_bytes(intact[:-40])  # truncated in transfer
    bronze = tmp_path / "bronze"
    report = run_extract(src, bronze)
    status = {a.archive_name: a.status for a in report.archives}
    assert status.pop(victim.name) == "failed"
    assert set(status.values()) == {"success"} and report.members_published == 12
    assert not (bronze / "quant360" / "exchange=szse" / "type=tick_new").exists()
    victim.write_bytes(intact)
    rerun = run_extract(src, bronze)
    assert {a.archive_name: a.status for a in rerun.archives}[victim.name] == "success"
    assert rerun.archives_skipped == 4 and rerun.members_published == 3
    assert sorted(
        p.name for p in (bronze / "quant360" / "exchange=szse" / "type=tick_new").rglob("*.gz")
    ) == ["000001.csv.gz", "159915.csv.gz", "300750.csv.gz"]


def test_member_problems_in_a_quant360_archive(tmp_path, write_archives, run_extract, plugins):
    header = sample.SZSE_ORDER_HEADER
    stem = f"order_new_STK_SZ_{DAY}"
    members = {
        f"{stem}/000001.csv": DOC_ARCHIVES[f"{stem}.7z"][f"{stem}/000001.csv"],
        f"{stem}/000002.csv": (",".join(header) + "\n").encode(),  # header only
        f"{stem}/000004.csv": b"",  # zero bytes
        f"{stem}/1234.csv": b"x\n",  # not a 6-digit code
        f"{stem}/000001.SZ.csv": b"x\n",  # suffix not allowed
        f"{stem}/readme.txt": b"vendor notes",
    }
    write_archives(tmp_path / "src", {f"{stem}.7z": members})
    (a,) = run_extract(tmp_path / "src", tmp_path / "bronze").archives
    assert a.status == "success"
    assert (a.members_total, a.members_published, a.members_rejected, a.members_ignored) == (
        6,
        3,
        2,
        1,
    )
    assert a.members_empty == 1
    issues = {i.member.rsplit("/", 1)[1]: i.status for i in a.issues}
    assert issues == {
        "1234.csv": "rejected",
        "000001.SZ.csv": "rejected",
        "readme.txt": "ignored",
        "000004.csv": "published",
    }
    found = list(
        plugins.call(
            "quant360",
            "pointline_discover",
            vendor_root=tmp_path / "bronze" / "quant360",
            bronze_root=tmp_path / "bronze",
        )
    )
    by_symbol = {f.meta_dict()["symbol"]: f for f in found}
    for code in ("000002", "000004"):  # empty members parse to nothing
        assert list(read_batches(by_symbol[code], 100)) == []
    assert sum(b.height for b in read_batches(by_symbol["000001"], 100)) == 4


def _bronze_file(tmp_path, exchange: str, stream: str, code: str, text: bytes) -> BronzeFile:
    path = tmp_path / f"{code}.csv.gz"
    path.write_bytes(gzip.compress(text))
    meta = (("date", "2024-01-02"), ("exchange", exchange), ("market", "STK"), ("symbol", code))
    return BronzeFile("quant360", stream, path, f"quant360/{code}.csv.gz", meta)


def test_columns_are_matched_by_name_and_batches_are_bounded(tmp_path):
    text = DOC_ARCHIVES[f"order_new_STK_SH_{DAY}.7z"][f"order_new_STK_SH_{DAY}/600000.csv"]
    frame = pl.read_csv(text, infer_schema=False)
    shuffled = frame.select(list(reversed(frame.columns))).with_columns(
        pl.lit("x").alias("ExtraVendorColumn")
    )
    f1 = _bronze_file(tmp_path, "sse", "order_new", "600000", text)
    (tmp_path / "b").mkdir()
    f2 = _bronze_file(tmp_path / "b", "sse", "order_new", "600000", shuffled.write_csv().encode())
    a = pl.concat([canonicalize(f1, "l3_orders", b) for b in read_batches(f1, 1)])
    batches = list(read_batches(f2, 2))
    assert [b.height for b in batches] == [2, 1]
    b = pl.concat([canonicalize(f2, "l3_orders", x) for x in batches])
    assert a.equals(b)


def test_missing_column_and_malformed_rows(tmp_path):
    bad = _bronze_file(tmp_path, "szse", "order_new", "000001", b"OrderQty,Side\n100,1\n")
    with pytest.raises(ParseError, match="ApplSeqNum"):
        list(read_batches(bad, 10))
    text = b"""\
ApplSeqNum,BidApplSeqNum,SendingTime,Price,ChannelNo,Qty,OfferApplSeqNum,Amt,ExecType,TransactTime
5,1,20240102093000004,9.410,2011,100,2,941.000,X,20240102093000000
6,1,20240102093000004,9.410,2011,1.5e400,2,941.000,F,20240102093000000
7,1,20240102093000004,9.410,2011,100,2,941.000,F,2024-01-02 09:30
8,1,20240102093000004,9.410,abc,100,2,941.000,F,20240102093000000
9,1,20240102093000004,nan?,2011,100,2,941.000,F,20240102093000000
"""
    f = _bronze_file(tmp_path, "szse", "tick_new", "000001", text)
    out = pl.concat([canonicalize(f, "l3_trades", b) for b in read_batches(f, 10)])
    assert out["_reject_reason"].to_list() == [
        "invalid_value:ExecType",
        "overflow:Qty",
        "bad_timestamp:TransactTime",
        "not_an_integer:ChannelNo",
        "not_a_number:Price",
    ]


def test_l2_arrays_short_or_empty_are_padded_to_ten_levels(tmp_path):
    text = b"""\
QuotTime,BidPrice,BidOrderQty,OfferPrice,OfferOrderQty,LastPx
20240102093003000,"[9.410,9.400]","[100,200]","[]","[]",0.000
20240102093006000,"[9.410,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0.000]","[100,0,0,0,0,0,0,0,0,0]","[9.420]","[300,400]",9.410
"""
    f = _bronze_file(tmp_path, "szse", "L2_new", "000001", text)
    out = pl.concat([canonicalize(f, "l2_snapshots", b) for b in read_batches(f, 10)])
    r0, r1 = out.rows(named=True)
    assert r0["bid_prices"] == [Decimal("9.41"), Decimal("9.4")] + [None] * 8
    assert r0["ask_prices"] == [None] * 10 and r0["last_price"] is None
    assert r0["_reject_reason"] is None
    assert r1["bid_prices"] == [Decimal("9.41")] + [None] * 9
    assert r1["_reject_reason"] == "level_count_mismatch:ask"
