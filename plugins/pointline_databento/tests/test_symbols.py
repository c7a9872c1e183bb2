"""Symbols: instrument_id -> raw symbol by date, and definitions -> dim_symbol windows.

* A record's ``symbol`` is the raw symbol its instrument_id had on the record's date in the
  file's own mappings (ids are reassigned between days); a record without a mapping is
  quarantined as ``no_symbol_mapping``.
* Definition files become windows from activation to expiration, so the raw symbol ESH1 of
  the 2021 contract and of the 2031 contract (CME reuses it a decade later) are two windows:
  an ESH1 event joins the contract live at its time, never the other one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import databento_dbn as dbn
import polars as pl
from dbn_testkit import ingest, silver
from pointline_databento.encode import metadata, write_dbn
from pointline_databento.sample import definition_files, write_sample

from pointline_core.symbols import import_symbols

NS = 1_000_000_000
PX = 3_702_250_000_000


def _ns(day: dt.date, hour: int = 15) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC).timestamp()) * NS


def _trade(iid: int, ts: int, seq: int) -> dbn.TradeMsg:
    return dbn.TradeMsg(
        1, iid, ts, PX, 1, dbn.Action.TRADE, dbn.Side.BID, 0, ts + 1000, flags=128, sequence=seq
    )


def _future(iid: int, symbol: str, activation: dt.date, expiration: dt.date) -> object:
    ts = _ns(activation, 0)
    return dbn.InstrumentDefMsg(
        1, iid, ts, ts, 250_000_000, 1_000_000_000, symbol, symbol[:2], "FUT",
        dbn.InstrumentClass.FUTURE, dbn.SecurityUpdateAction.ADD,
        expiration=_ns(expiration, 13), activation=ts, contract_multiplier=50, currency="USD",
    )  # fmt: skip


def test_instrument_ids_resolve_through_the_mappings_by_date(tmp_path: Path):
    d1, d2, d3 = dt.date(2021, 1, 4), dt.date(2021, 1, 5), dt.date(2021, 1, 6)
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    # id 100 is ESH1 on the 4th and NQH1 on the 5th; ESH1 is id 200 on the 5th
    mappings = {"ESH1": [(d1, d2, 100), (d2, d3, 200)], "NQH1": [(d2, d3, 100)]}
    meta = metadata("GLBX.MDP3", "trades", _ns(d1, 0), _ns(d3, 0), mappings)
    records = [_trade(100, _ns(d1), 1), _trade(100, _ns(d2), 2), _trade(200, _ns(d2), 3),
               _trade(999, _ns(d2), 4)]  # fmt: skip
    write_dbn(bronze / "databento" / "glbx-mdp3-20210104.trades.dbn.zst", meta, records)
    for sym in ("ESH1", "NQH1"):
        (tmp_path / f"{sym}.csv").write_text(
            f"exchange,exchange_symbol,valid_from\nglbx,{sym},2020-01-01T00:00:00Z\n"
        )
        import_symbols(tmp_path / f"{sym}.csv", lake, progress=False)
    report = ingest(bronze, lake)
    (result,) = report.files
    assert (result.rows_written, result.rows_quarantined) == (3, 1)
    assert result.quarantine_reasons == {"no_symbol_mapping": 1}
    rows = silver(lake, "trades").sort("file_seq")
    assert rows["symbol"].to_list() == ["ESH1", "NQH1", "ESH1"]
    bad = silver(lake, "trades", "quarantine")
    assert bad["symbol"].to_list() == ["instrument_id:999"]
    assert "instrument_id 999 has no raw symbol" in bad["detail"].item()


def test_a_recycled_raw_symbol_never_joins_the_wrong_contract(tmp_path: Path):
    bronze, lake = tmp_path / "bronze", tmp_path / "lake"
    esh1_2021 = _future(5482, "ESH1", dt.date(2019, 12, 20), dt.date(2021, 3, 19))
    esh1_2031 = _future(777, "ESH1", dt.date(2029, 12, 21), dt.date(2031, 3, 21))
    for name, rec, day in (
        ("a", esh1_2021, dt.date(2019, 12, 20)),
        ("b", esh1_2031, dt.date(2029, 12, 21)),
    ):
        meta = metadata("GLBX.MDP3", "definition", _ns(day, 0), _ns(day, 23))
        path = write_dbn(tmp_path / f"{name}.definition.dbn.zst", meta, [rec])
        import_symbols(path, lake, vendor="databento", progress=False)
    dim = pl.read_delta(str(lake / "silver" / "dim_symbol")).sort("valid_from_ts_us")
    assert dim["exchange_symbol"].to_list() == ["ESH1", "ESH1"]
    until = [_ns(dt.date(2021, 3, 19), 13) // 1000, _ns(dt.date(2031, 3, 21), 13) // 1000]
    assert dim["valid_until_ts_us"].to_list() == until
    # ESH1 trades in 2021, 2026 (no contract listed) and 2031, each file mapped by its header
    for day, iid in (
        (dt.date(2021, 1, 4), 5482),
        (dt.date(2026, 1, 5), 4242),
        (dt.date(2031, 1, 6), 777),
    ):
        nxt = day + dt.timedelta(days=1)
        meta = metadata(
            "GLBX.MDP3", "trades", _ns(day, 0), _ns(nxt, 0), {"ESH1": [(day, nxt, iid)]}
        )
        name = f"glbx-mdp3-{day:%Y%m%d}.trades.dbn.zst"
        write_dbn(bronze / "databento" / name, meta, [_trade(iid, _ns(day), 1)])
    report = ingest(bronze, lake)
    rows = silver(lake, "trades").sort("ts_event_us")
    ids = dict(zip(dim["valid_from_ts_us"].to_list(), dim["symbol_id"].to_list(), strict=True))
    assert rows["symbol_id"].to_list() == [ids[min(ids)], ids[max(ids)]]
    uncovered = {f.rel_path: f.quarantine_reasons for f in report.files if f.rows_quarantined}
    assert uncovered == {"databento/glbx-mdp3-20260105.trades.dbn.zst": {"symbol_not_covered": 1}}


def test_the_sample_definitions_import_with_tick_size_multiplier_and_class(tmp_path: Path):
    write_sample(tmp_path)
    lake = tmp_path / "lake"
    for path in definition_files(tmp_path):
        import_symbols(path, lake, vendor="databento", progress=False)
    dim = pl.read_delta(str(lake / "silver" / "dim_symbol")).sort("exchange_symbol")
    rows = dim.select("exchange", "exchange_symbol", "asset_class").rows()
    assert rows == [
        ("glbx", "ESH1", "futures"),
        ("xnas", "MSFT", "equity"),
        ("glbx", "NQH1", "futures"),
    ]
    es = dim.filter(pl.col("exchange_symbol") == "ESH1").to_dicts()[0]
    from decimal import Decimal

    def dec(v, scale):  # Int64 fixed point or Decimal, whatever the core uses
        return v if isinstance(v, Decimal) else Decimal(v).scaleb(-scale)

    assert dec(es["tick_size"], 9) == Decimal("0.25")
    assert dec(es["contract_size"], 8) == Decimal(50)


def test_modify_and_delete_actions_cut_the_windows(tmp_path: Path):
    from pointline_databento.definitions import read_definitions

    day = dt.date(2021, 1, 4)
    add = _future(5482, "ESH1", day, dt.date(2021, 3, 19))
    t_mod, t_del = _ns(day, 15), _ns(day + dt.timedelta(days=1), 15)
    modify = dbn.InstrumentDefMsg(
        1, 5482, t_mod, t_mod, 500_000_000, 1_000_000_000, "ESH1", "ES", "FUT",
        dbn.InstrumentClass.FUTURE, dbn.SecurityUpdateAction.MODIFY,
        expiration=_ns(dt.date(2021, 3, 19), 13), contract_multiplier=50,
    )  # fmt: skip
    delete = dbn.InstrumentDefMsg(
        1, 5482, t_del, t_del, 500_000_000, 1_000_000_000, "ESH1", "ES", "FUT",
        dbn.InstrumentClass.FUTURE, dbn.SecurityUpdateAction.DELETE,
    )  # fmt: skip
    meta = metadata("GLBX.MDP3", "definition", _ns(day, 0), _ns(day, 0) + 3 * 86_400 * NS)
    path = write_dbn(tmp_path / "defs.dbn", meta, [add, modify, delete])
    rows = read_definitions(path).select(
        "valid_from_ts_us", "valid_until_ts_us", "tick_size"
    ).rows()  # fmt: skip
    assert rows == [
        (_ns(day, 0) // 1000, t_mod // 1000, "0.25"),  # add: from activation
        (t_mod // 1000, t_del // 1000, "0.5"),  # modify: from its time, until the delete
    ]


def test_the_cli_imports_definition_files(tmp_path: Path, capsys):
    from pointline_core.cli import main

    write_sample(tmp_path)
    lake = tmp_path / "lake"
    for path in definition_files(tmp_path):
        args = ["symbols", "import", str(path), str(lake), "--vendor", "databento"]
        assert main(args) == 0
    capsys.readouterr()
    dim = pl.read_delta(str(lake / "silver" / "dim_symbol"))
    assert sorted(dim["exchange_symbol"]) == ["ESH1", "MSFT", "NQH1"]
    # a market-data file is not a definition file: one line, what to pass instead
    trades = tmp_path / "databento" / "glbx-mdp3-20201228.trades.dbn.zst"
    assert main(["symbols", "import", str(trades), str(lake), "--vendor", "databento"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("pointline: error:") and "not definition" in err
    assert len(err.strip().splitlines()) == 1
