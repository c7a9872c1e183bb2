"""query.load: windows across timezones, decoding modes, columns, every table, plugin tables,
and errors that say what to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from pointline_core import PLUGIN_API_VERSION, hookimpl, query
from pointline_core.errors import ExchangeNotInTableError, QueryError, UnknownTableError
from pointline_core.models import VendorInfo
from pointline_core.plugins import Plugins
from pointline_core.query.decode import decode_frame, decoded_schema
from pointline_core.schemas.spec import ColumnSpec, TableSpec
from pointline_core.schemas.tables import BOOK_SNAPSHOTS, CORE_TABLES, TRADES
from pointline_core.storage.events import EventStore
from tests.query import vendor
from tests.query.conftest import HOUR, T0, book_rows, ingest, listed, us


@pytest.fixture
def zoned(bronze, lake):
    """Trades near UTC midnights on a UTC, a UTC+9 and a UTC-10 exchange."""
    listed(lake, ("utcx", "AAA"), ("eastx", "AAA"), ("westx", "AAA"))
    times = [
        us(2024, 2, 29, 23, 59, 59) + 999_999,  # last µs before the window
        T0,  # the window's first µs
        T0 + 5 * HOUR,  # westx: 2024-02-29 19:00 local
        T0 + 20 * HOUR,  # eastx: 2024-03-02 05:00 local
        us(2024, 3, 2) - 1,  # the window's last µs
        us(2024, 3, 2),  # end is exclusive
    ]
    for exchange in vendor.TIMEZONES:
        rows = [(t, t + 1, "1.5", "2", "b", f"{exchange}{i}") for i, t in enumerate(times)]
        vendor.write(bronze, exchange, "AAA", "1", rows)
    ingest(bronze, lake)
    return lake, times


def test_utc_window_is_exact_whatever_the_exchange_timezone(zoned):
    lake, times = zoned
    frame = query.load(lake, "trades", start="2024-03-01", end="2024-03-02").collect()
    assert frame.height == 3 * 4
    for exchange in vendor.TIMEZONES:
        rows = frame.filter(pl.col("exchange") == exchange)
        assert sorted(rows["ts_event_us"]) == times[1:5], exchange
    # the exchange-local days really differ from the UTC day
    days = dict(frame.group_by("exchange").agg(pl.col("trading_date").unique().sort()).iter_rows())
    assert days["utcx"] == [dt.date(2024, 3, 1)]
    assert days["eastx"] == [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    assert days["westx"] == [dt.date(2024, 2, 29), dt.date(2024, 3, 1)]


def test_tz_reads_dates_as_local_days(zoned):
    lake, times = zoned
    frame = query.load(
        lake, "trades", exchange="eastx", start="2024-03-02", end="2024-03-03", tz="Asia/Tokyo"
    ).collect()
    assert frame["trading_date"].unique().to_list() == [dt.date(2024, 3, 2)]
    assert frame["ts_event_us"].to_list() == times[3:]


def test_start_inclusive_end_exclusive(zoned):
    lake, times = zoned
    frame = query.load(lake, "trades", exchange="utcx", start=times[1], end=times[5]).collect()
    assert frame["ts_event_us"].to_list() == times[1:5]
    assert query.load(lake, "trades", start=T0, end=T0).collect().height == 0
    later = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
    assert query.load(lake, "trades", exchange="utcx", start=later).collect().height == 1


def test_an_exchange_without_rows_in_the_table_is_refused(zoned, lake):
    lake, _ = zoned
    with pytest.raises(
        ExchangeNotInTableError,
        match=r"'UTCX' has no rows in table 'trades' "
        r"\(did you mean utcx\?\); exchanges in trades: eastx, utcx, westx",
    ):
        query.load(lake, "trades", exchange=["eastx", "UTCX"])
    with pytest.raises(ExchangeNotInTableError, match="'nope' has no rows"):
        query.files(lake, "trades", exchange="nope")
    # a table never written stays an empty frame, whatever the exchange
    assert query.load(lake, "quotes", exchange="nope").collect().height == 0
    assert query.load(lake, "trades", exchange="eastx").collect().height == 6


def test_rows_come_in_tie_break_order_across_exchanges(zoned):
    lake, _ = zoned
    frame = query.load(lake, "trades").collect()
    assert frame.height == 18
    assert frame.equals(frame.sort(list(TRADES.tie_break)))
    assert frame.select(TRADES.tie_break).is_unique().all()


def test_decoding_modes_on_list_columns(lake):
    EventStore(lake, BOOK_SNAPSHOTS).append([book_rows()], file_ids=[1])
    raw = query.load(lake, "book_snapshots").collect()
    assert raw["bid_prices"].to_list() == [[Decimal("61000.5"), None]]  # stored: exact
    floats = query.load(lake, "book_snapshots", decoded=True).collect()
    assert floats.schema == decoded_schema(BOOK_SNAPSHOTS, True)
    assert floats["bid_prices"].to_list() == [[61000.5, None]]
    assert floats["ask_qtys"].to_list() == [[1e-8, 1.23456789]]
    assert floats["depth"].to_list() == [2]  # not fixed point: untouched
    exact = query.load(lake, "book_snapshots", decoded="decimal").collect()
    assert exact.schema["ask_qtys"] == pl.List(pl.Decimal(38, 18))
    assert exact["ask_qtys"][0].to_list() == [Decimal("1E-8"), Decimal("1.23456789")]
    # the same decoding applies to frames read by any other engine
    assert decode_frame(raw, BOOK_SNAPSHOTS).equals(floats)
    with pytest.raises(QueryError, match="decoded='yes'"):
        query.load(lake, "book_snapshots", decoded="yes")


def test_columns_projection(zoned):
    lake, _ = zoned
    frame = query.load(
        lake, "trades", exchange="utcx", columns=["ts_event_us", "price"], decoded=True
    ).collect()
    assert frame.columns == ["ts_event_us", "price"]
    assert frame["price"].to_list() == [1.5] * 6
    assert frame["ts_event_us"].is_sorted()  # sorted before the projection
    with pytest.raises(QueryError, match="no column 'prize'.*columns are exchange"):
        query.load(lake, "trades", columns=["prize"])


@pytest.mark.parametrize("spec", CORE_TABLES, ids=lambda s: s.name)
@pytest.mark.parametrize("decoded", [False, True])
def test_every_core_table_loads_even_before_it_is_written(lake, spec, decoded):
    lake.root.mkdir(parents=True, exist_ok=True)
    frame = query.load(lake, spec.name, decoded=decoded).head(5).collect()
    assert frame.height == 0
    assert frame.schema == decoded_schema(spec, decoded)


def test_dimension_and_control_tables(zoned):
    lake, _ = zoned
    dim = query.load(lake, "dim_symbol", exchange="eastx", decoded=True).collect()
    assert dim["exchange_symbol"].to_list() == ["AAA"] and dim["tick_size"].to_list() == [0.01]
    manifest = query.load(lake, "ingest_manifest").collect()
    assert manifest.height == 3 and manifest["file_id"].is_sorted()
    with pytest.raises(QueryError, match="dimension table: symbol, start/end filter event"):
        query.load(lake, "dim_symbol", symbol="AAA", start="2024-03-01")
    with pytest.raises(QueryError, match="no exchange column"):
        query.load(lake, "ingest_manifest", exchange="utcx")


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(QueryError, match="lake root .* does not exist"):
        query.load(tmp_path / "nope", "trades")
    with pytest.raises(UnknownTableError, match="unknown table 'trade'; known tables"):
        query.load(tmp_path, "trade", plugins=Plugins())
    with pytest.raises(QueryError, match="spec 'trades' was passed for table 'quotes'"):
        query.load(tmp_path, "quotes", spec=TRADES)


TICKS = TableSpec(
    "ticks",
    "event",
    (*TRADES.columns[:8], ColumnSpec("level", "Decimal(38,2)", False, 2)),  # the common columns
    ("exchange", "trading_date"),
    ("ts_event_us", "file_id", "file_seq"),
)


class _TicksVendor:
    @hookimpl
    def pointline_vendor_info(self) -> VendorInfo:
        return VendorInfo("tickvendor", "0", "ticks", ("ticks",), PLUGIN_API_VERSION)

    @hookimpl
    def pointline_table_mapping(self) -> dict[str, str]:
        return {"ticks": "ticks"}

    @hookimpl
    def pointline_tables(self) -> list[TableSpec]:
        return [TICKS]


def test_plugin_tables_by_spec_or_through_plugins(lake):
    rows = pl.DataFrame(
        {
            "exchange": ["exa"] * 2,
            "trading_date": [dt.date(2024, 3, 1)] * 2,
            "symbol": ["AAA"] * 2,
            "symbol_id": [1] * 2,
            "ts_event_us": [T0 + 1, T0],
            "ts_local_us": [None, None],
            "file_id": [1] * 2,
            "file_seq": [0, 1],
            "level": [Decimal("123.45"), Decimal("-0.05")],
        },
        schema=TICKS.polars_schema(),
    )
    EventStore(lake, TICKS).append([rows], file_ids=[1])
    by_spec = query.load(lake, "ticks", spec=TICKS, decoded=True).collect()
    assert by_spec["level"].to_list() == [-0.05, 123.45]
    plugins = Plugins()
    plugins.register(_TicksVendor(), name="tickvendor")
    assert query.load(lake, "ticks", plugins=plugins, decoded=True).collect().equals(by_spec)
    assert query.coverage(lake, "ticks", plugins=plugins)["rows"].to_list() == [2]


def test_a_table_whose_column_types_differ_from_the_spec_is_refused_not_cast(lake):
    """A double ``price`` read as the spec's Decimal would silently round binary fractions."""
    from deltalake import write_deltalake

    from pointline_core.errors import SchemaMismatchError

    frame = (
        book_rows()
        .select(TRADES.column_names[:8])
        .with_columns(
            trade_id=pl.lit("t"),
            side=pl.lit("buy"),
            price=pl.lit(100.5),
            qty=pl.lit(Decimal(1), pl.Decimal(38, 18)),
        )
    )
    path = lake.table_path("trades", "silver")
    path.parent.mkdir(parents=True)
    write_deltalake(str(path), frame, partition_by=list(TRADES.partition_by))
    with pytest.raises(SchemaMismatchError, match=r"price is double \(expected decimal\(38,18\)\)"):
        query.load(lake, "trades")
