"""Trading calendars and completeness on a generated month, with one day deleted."""

from __future__ import annotations

import datetime as dt
import json
import sys

import polars as pl
import pytest
from deltalake import DeltaTable

from pointline_core import ingest
from pointline_core.cli import main
from pointline_core.completeness import completeness
from pointline_core.errors import CalendarError
from pointline_core.plugins import load_plugins
from pointline_core.storage.lake import Lake
from pointline_core.storage.trading_calendar import materialise_calendar, read_calendar
from tests.ingest import fake_vendor
from tests.ingest.conftest import DAY, T0, add_symbols, trades
from tests.ingest.fake_vendor import write_trades

HOUR = 3_600_000_000
JAN = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(31)]
#: XSHG sessions of January 2024 (1 January is a holiday; weekends are closed).
XSHG_JAN = [d for d in JAN if d.weekday() < 5 and d != dt.date(2024, 1, 1)]


def _day_rows(days: list[dt.date], per_day: int, hour: int, big: dict | None = None) -> list:
    rows: list[tuple] = []
    for day in days:
        n = (big or {}).get(day, per_day)
        start = T0 + (day - JAN[0]).days * DAY + hour * HOUR
        rows += trades(n, start=start)
    return rows


@pytest.fixture
def month(bronze, lake_root, plugins):
    """utcx (24/7): A every day; B in two windows (to 10 Jan, from 20 Jan).
    cnx (XSHG): C on every session, 60 rows on 10 Jan (an outlier), 1 row on Sat 6 Jan."""
    write_trades(bronze, "utcx", "A", _day_rows(JAN, 4, 0))
    b_days = [d for d in JAN if d.day < 10 or d.day >= 20]
    write_trades(bronze, "utcx", "B", _day_rows(b_days, 4, 0))
    c_days = sorted([*XSHG_JAN, dt.date(2024, 1, 6)])
    big = {dt.date(2024, 1, 10): 60, dt.date(2024, 1, 6): 1}
    write_trades(bronze, "cnx", "C", _day_rows(c_days, 4, 2, big))  # 10:00 Shanghai
    add_symbols(
        lake_root,
        [
            ("utcx", "A", T0 - 365 * DAY, None),
            ("utcx", "B", T0, T0 + 9 * DAY),
            ("utcx", "B", T0 + 19 * DAY, None),
            ("cnx", "C", T0 - 365 * DAY, None),
        ],
    )
    assert ingest(bronze, lake_root, plugins=plugins, progress=False).ok
    return lake_root


def _delete_day(lake_root, exchange: str, day: str) -> None:
    DeltaTable(str(lake_root / "silver" / "trades")).delete(
        f"exchange = '{exchange}' AND trading_date = '{day}'"
    )


def test_calendar_is_materialised_for_the_lake_days(month, plugins):
    report = materialise_calendar(month, plugins=plugins)
    written = [
        (e.exchange, e.calendar, e.date_from, e.date_to, e.sessions) for e in report.exchanges
    ]
    assert written == [
        ("cnx", "XSHG", dt.date(2024, 1, 2), dt.date(2024, 1, 31), len(XSHG_JAN)),
        ("utcx", "24/7", dt.date(2024, 1, 1), dt.date(2024, 1, 31), 31),
    ]
    table = read_calendar(Lake(month))
    cnx = table.filter(pl.col("exchange") == "cnx").sort("trading_date")
    assert cnx.filter("is_session")["trading_date"].to_list() == XSHG_JAN
    # XSHG opens 09:30 Shanghai = 01:30 UTC.
    jan2 = cnx.filter(pl.col("trading_date") == dt.date(2024, 1, 2)).row(0, named=True)
    assert jan2["open_ts_us"] == T0 + DAY + 90 * 60_000_000
    utcx = table.filter(pl.col("exchange") == "utcx").sort("trading_date")
    assert utcx["open_ts_us"].to_list() == [T0 + i * DAY for i in range(31)]
    # Again: same rows, replaced not added.
    materialise_calendar(month, plugins=plugins)
    assert (
        read_calendar(Lake(month))
        .sort("exchange", "trading_date")
        .equals(table.sort("exchange", "trading_date"))
    )


def test_completeness_finds_the_deleted_day_holiday_rows_and_the_outlier(month, plugins):
    materialise_calendar(month, plugins=plugins)
    clean = completeness(month, plugins=plugins, exchange="utcx")
    assert not clean.gaps_found, clean.summary
    by_symbol = {s.symbol: s for s in clean.symbols}
    # B's days between its windows are not expected.
    assert by_symbol["B"].expected_sessions == 9 + 12 and by_symbol["B"].missing == []
    assert by_symbol["A"].expected_sessions == 31

    _delete_day(month, "utcx", "2024-01-15")
    report = completeness(month, plugins=plugins)
    found = {
        s.symbol: (s.missing, s.holiday_rows, [o.trading_date for o in s.outliers])
        for s in report.symbols
    }
    assert found == {
        "A": ([dt.date(2024, 1, 15)], [], []),
        "B": ([], [], []),
        "C": ([], [dt.date(2024, 1, 6)], [dt.date(2024, 1, 10)]),
    }
    c = next(s for s in report.symbols if s.symbol == "C")
    assert c.outliers[0].rows == 60 and c.outliers[0].median_rows == 4
    assert (report.missing_days, report.holiday_row_days, report.outlier_days) == (1, 1, 1)
    assert report.gaps_found and report.exchanges_without_calendar == []
    narrowed = completeness(month, plugins=plugins, symbol="C", date_from=dt.date(2024, 1, 11))
    assert not narrowed.gaps_found and narrowed.symbols[0].first_day == dt.date(2024, 1, 11)


def test_completeness_without_a_calendar_does_not_guess(month, plugins):
    report = completeness(month, ["trades"], plugins=plugins)
    assert report.exchanges_without_calendar == ["cnx", "utcx"]
    # Outliers need no calendar; missing sessions and holiday rows do.
    assert (report.missing_days, report.holiday_row_days, report.outlier_days) == (0, 0, 1)
    assert report.uncovered_days == sum(s.days_with_rows for s in report.symbols) > 0


def test_cli_completeness_exit_code_and_summary(month, plugins, capsys):
    materialise_calendar(month, plugins=plugins)
    _delete_day(month, "utcx", "2024-01-15")
    assert main(["completeness", str(month), "trades", "--exchange", "utcx"]) == 3
    out = capsys.readouterr().out
    assert "2024-01-15" in out and "1 missing session(s)" in out and "outlier rule" in out
    assert main(["completeness", str(month), "--symbol", "B", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["symbol"] for s in report["symbols"]] == ["B"]


def test_calendar_cli_skips_exchanges_no_installed_plugin_declares(month, capsys):
    assert main(["calendar", str(month)]) == 0
    out = capsys.readouterr().out
    assert out.count("no installed plugin declares this exchange") == 2


def test_without_exchange_calendars_the_cli_says_how_to_install_it(
    bronze, lake_root, monkeypatch, capsys
):
    installed = load_plugins()
    installed.register(fake_vendor)
    write_trades(bronze, "sse", "600000", trades(3, start=T0 + DAY + 2 * HOUR))
    add_symbols(lake_root, [("sse", "600000", T0 - 365 * DAY, None)])
    assert ingest(bronze, lake_root, plugins=installed, progress=False).ok
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)  # as if not installed
    with pytest.raises(CalendarError, match="pip install 'pointline-core\\[calendars\\]'"):
        materialise_calendar(lake_root, plugins=installed)
    assert main(["calendar", str(lake_root)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "pointline: error: the exchange-calendars package is not installed: install the "
        "calendars extra: pip install 'pointline-core[calendars]' (only '24/7' calendars work "
        "without it)\n"
    )


def test_unknown_calendar_code_is_skipped_with_the_reason(month, plugins):
    """cnx's plugin now names a calendar exchange-calendars does not know: materialising
    skips cnx with that reason, writes utcx's days all the same, and a later run with the
    code fixed writes cnx's sessions."""
    import types

    from pointline_core import hookimpl
    from pointline_core.calendars import sessions
    from pointline_core.models import ExchangeInfo
    from pointline_core.plugins import Plugins

    with pytest.raises(CalendarError, match="declares no trading calendar"):
        sessions(ExchangeInfo("x", "UTC", "equity"), JAN[0], JAN[1])
    module = types.ModuleType("fake_vendor_bad_calendar")
    module.__dict__.update({k: v for k, v in vars(fake_vendor).items() if not k.startswith("__")})
    module.pointline_exchanges = hookimpl(
        lambda: [
            ExchangeInfo("utcx", "UTC", "crypto", calendar="24/7"),
            ExchangeInfo("cnx", "Asia/Shanghai", "equity", calendar="NOPE"),
        ]
    )
    bad = Plugins()
    bad.register(module, name=fake_vendor.VENDOR)
    report = materialise_calendar(month, plugins=bad)
    by_exchange = {r.exchange: r for r in report.exchanges}
    assert "which exchange-calendars does not know" in (by_exchange["cnx"].skipped or "")
    assert by_exchange["utcx"].skipped is None and by_exchange["utcx"].sessions == 31
    written = read_calendar(Lake(month))
    assert set(written["exchange"]) == {"utcx"}
    materialise_calendar(month, plugins=plugins)
    assert set(read_calendar(Lake(month))["exchange"]) == {"utcx", "cnx"}


def test_the_calendar_table_is_not_an_event_table_for_restamps(month, plugins):
    from pointline_core.symbols import restamp_lake

    materialise_calendar(month, plugins=plugins)
    before = read_calendar(Lake(month))
    # B's second window now starts a day later: its rows of 20 Jan are restamped away.
    add_symbols(month, [("utcx", "B", T0 + 20 * DAY, None)])
    results = restamp_lake(month, plugins=plugins, progress=False)
    assert {r.table for r in results} <= {"trades"}
    assert read_calendar(Lake(month)).equals(before)


def test_a_one_sided_range_past_an_exchanges_days_skips_it_and_a_reversed_one_is_refused(
    month, plugins
):
    """cnx's first day in the lake is 2 Jan: --to 1 Jan alone leaves it no day (skipped, with
    the reason, while utcx gets 1 Jan); --from after --to is refused before anything runs."""
    report = materialise_calendar(month, date_to=dt.date(2024, 1, 1), plugins=plugins)
    by_exchange = {e.exchange: e for e in report.exchanges}
    assert by_exchange["cnx"].skipped == "no day of cnx in the lake falls in 2024-01-02..2024-01-01"
    assert (by_exchange["utcx"].skipped, by_exchange["utcx"].sessions) == (None, 1)
    with pytest.raises(CalendarError, match="--from 2024-01-05 is after --to 2024-01-01; give"):
        materialise_calendar(
            month, date_from=dt.date(2024, 1, 5), date_to=dt.date(2024, 1, 1), plugins=plugins
        )
