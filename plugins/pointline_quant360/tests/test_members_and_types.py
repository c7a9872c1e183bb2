"""Member problems inside real .7z archives, and columns whose type a reader could guess wrong.

- A malformed member path (climbing out with ``..``, absolute), a name stored twice, an
  empty member and a code that is not six digits are each reported; the rest of the archive
  publishes and ingests. Checked with both extraction back ends (py7zr and the 7-Zip program).
- ``OrdType`` (``1``/``2``/``U``) and ``ExecType`` (``4``/``F``) mix digits and letters, and
  codes carry leading zeros: a file holding only cancels, or only digit codes in its first
  rows, must still read as text (a reader inferring types from the first rows would turn
  ``4`` into an integer and ``000001`` into 1).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from pointline_quant360 import sample

from pointline_core.ingest import runner
from pointline_core.storage.lake import Lake

DAY = "20240102"
ORDERS = f"order_new_STK_SZ_{DAY}"
TICKS = f"tick_new_STK_SZ_{DAY}"
ORDER_HEADER = ",".join(sample.SZSE_ORDER_HEADER)
TICK_HEADER = ",".join(sample.SZSE_TICK_HEADER)


def _orders(*rows: str) -> bytes:
    return "\n".join([ORDER_HEADER, *rows, ""]).encode()


@pytest.mark.parametrize("backend", ["py7zr", "cli"])
def test_member_problems_are_reported_and_the_rest_ingests(
    tmp_path, backend, backend_or_skip, raw_names_7z, run_extract, plugins
):
    backend = backend_or_skip(backend)
    good = _orders("1000,2,20240102093000120,0,1,101,,20240102093000124,9.410,2011,0,,")
    outside = tmp_path / "outside"
    raw_names_7z(
        tmp_path / "src" / "quant360" / f"{ORDERS}.7z",
        [
            (f"{ORDERS}/000001.csv", good),
            (f"../{ORDERS}/000002.csv", good),  # malformed: climbs out of the folder
            (f"{outside}/000003.csv", good),  # malformed: absolute
            (f"{ORDERS}/000004.csv", good),  # stored twice: which copy is right?
            (f"{ORDERS}/000004.csv", _orders()),
            (f"{ORDERS}/000005.csv", b""),  # empty
            (f"{ORDERS}/12345.csv", good),  # not a 6-digit code
            (f"{ORDERS}/300750.csv", good),
        ],
    )
    bronze = tmp_path / "bronze"
    report = run_extract(tmp_path / "src", bronze, backend=backend)
    (a,) = report.archives
    assert a.status == "success", a.reason
    assert (a.members_total, a.members_published, a.members_rejected, a.members_empty) == (
        8,
        3,
        5,
        1,
    )
    reasons = sorted((i.member.rsplit("/", 1)[1], i.status, i.reason) for i in a.issues)
    assert [(m, s) for m, s, _ in reasons] == [
        ("000002.csv", "rejected"),
        ("000003.csv", "rejected"),
        ("000004.csv", "rejected"),
        ("000004.csv", "rejected"),
        ("000005.csv", "published"),
        ("12345.csv", "rejected"),
    ]
    assert "malformed member path" in reasons[0][2] and "malformed member path" in reasons[1][2]
    assert "more than once" in reasons[2][2] and "6-digit" in reasons[5][2]
    assert not outside.exists() and not (tmp_path / ORDERS).exists()
    root = bronze / "quant360" / "exchange=szse" / "type=order_new" / "date=2024-01-02"
    assert sorted(p.name for p in root.iterdir()) == [
        "symbol=000001",
        "symbol=000005",
        "symbol=300750",
    ]

    listing = tmp_path / "listing.csv"
    listing.write_text("code,exchange,list_date\n000001,SZ,20000101\n300750,SZ,20000101\n")
    from pointline_core.symbols import import_symbols

    import_symbols(listing, tmp_path / "lake", vendor="quant360", plugins=plugins)
    done = runner.ingest(
        bronze, tmp_path / "lake", vendors=["quant360"], progress=False, plugins=plugins
    )
    assert done.ok, done.message
    lake = pl.read_delta(str(Lake(tmp_path / "lake").table_path("l3_orders", "silver")))
    assert sorted(lake["symbol"]) == ["000001", "300750"]


def test_code_columns_read_as_text_whatever_the_first_rows_hold(
    tmp_path, write_archives, run_extract, to_canonical
):
    cancel = "{seq},{bid},20240102093003504,0.000,2011,200,{offer},0.000,4,20240102093003500"
    only_cancels = [cancel.format(seq=1000 + i, bid=0, offer=500 + i) for i in range(50)]
    digits_then_letter = [
        f"100,1,20240102093000120,0,1,{100 + i},,20240102093000124,0.000,2011,0,,"
        for i in range(50)
    ] + ["300,U,20240102093002000,0,2,999,,20240102093002004,0.000,2011,0,,"]
    fills_after_cancels = only_cancels[:30] + [
        "2000,1999,20240102093100004,9.410,2011,100,1998,941.000,F,20240102093100000"
    ]
    write_archives(
        tmp_path / "src",
        {
            f"{TICKS}.7z": {
                f"{TICKS}/000001.csv": "\n".join([TICK_HEADER, *only_cancels, ""]).encode(),
                f"{TICKS}/000002.csv": "\n".join([TICK_HEADER, *fills_after_cancels, ""]).encode(),
            },
            f"{ORDERS}.7z": {f"{ORDERS}/000001.csv": _orders(*digits_then_letter)},
        },
    )
    run_extract(tmp_path / "src", tmp_path / "bronze")
    rows = to_canonical(tmp_path / "bronze", batch_rows=8)  # batches smaller than the runs
    cancels = rows[("szse", "tick_new", "000001")]
    assert cancels["_reject_reason"].null_count() == 50
    assert set(cancels["event_kind"]) == {"cancel"}
    assert cancels["sell_order_ref"].to_list() == list(range(500, 550))
    mixed = rows[("szse", "tick_new", "000002")]
    assert mixed["event_kind"].to_list() == ["cancel"] * 30 + ["trade"]
    assert mixed["_reject_reason"].null_count() == 31
    orders = rows[("szse", "order_new", "000001")]
    assert orders["order_type"].to_list() == ["market"] * 50 + ["best_own"]
    assert orders["_reject_reason"].null_count() == 51
    assert set(orders["symbol"]) == {"000001"}  # leading zeros kept (from the member name)
    assert orders["ts_event_us"][0] == 1704159000120000


def test_sse_security_id_keeps_leading_zeros_and_must_match_the_member(tmp_path):
    from pointline_quant360.canonical import canonicalize

    from pointline_core.models import BronzeFile

    text = (
        "SecurityID,TradeTime,TradePrice,TradeQty,TradeAmount,BuyNo,SellNo,TradeIndex,"
        "ChannelNo,TradeBSFlag,BizIndex\n"
        "000001,20240102093002310,7.04,100,704.00,3,2,1,5,B,1\n"
        "1,20240102093002310,7.04,100,704.00,3,2,2,5,B,2\n"  # an export that lost the zeros
        "000002,20240102093002310,7.04,100,704.00,3,2,3,5,B,3\n"
    )
    frame = pl.read_csv(text.encode(), infer_schema=False)
    meta = (("date", "2024-01-02"), ("exchange", "sse"), ("market", "STK"), ("symbol", "000001"))
    f = BronzeFile("quant360", "tick_new", Path("/x"), "x", meta)
    out = canonicalize(f, "l3_trades", frame)
    assert out["_reject_reason"].to_list() == [None, None, "symbol_mismatch:SecurityID"]
    assert set(out["symbol"]) == {"000001"}


def test_missing_real_data_fails_under_ci_and_skips_locally(tmp_path, real_file, monkeypatch):
    missing = tmp_path / "not-there.zip"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing under CI"):
        real_file(missing)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        real_file(missing)
    present = tmp_path / "there.csv"
    present.write_text("x")
    assert real_file(present) == present
