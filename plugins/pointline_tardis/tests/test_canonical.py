"""Canonicalize: all nine data types from generated files, value round trips, reject reasons."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from pointline_tardis.canonical import LEVEL_PAIRS, MAPPINGS, canonicalize
from pointline_tardis.formats import DATA_TYPES, SNAPSHOT_DEPTH, TABLE_MAPPING, level_column
from pointline_tardis.naming import discover
from tardis_testkit import assert_round_trip, bronze, run_file, write_csv

from pointline_core.errors import CanonicalizeError
from pointline_core.schemas import EVENT_TABLES

SPECS = {spec.name: spec for spec in EVENT_TABLES}


def _sample_files(sample_root: Path) -> dict[str, list]:
    by_type: dict[str, list] = {}
    for item in discover(sample_root / "tardis", sample_root):
        by_type.setdefault(item.data_type, []).append(item)
    return by_type


def test_sample_day_covers_all_nine_data_types(sample_root):
    assert set(_sample_files(sample_root)) == set(DATA_TYPES)


@pytest.mark.parametrize("data_type", DATA_TYPES)
def test_each_data_type_round_trips_from_a_generated_file(sample_root, plugins, data_type):
    files = _sample_files(sample_root)[data_type]
    table = TABLE_MAPPING[data_type]
    spec = SPECS[table]
    total = 0
    for file in files:
        batches, out = run_file(plugins, file, batch_rows=37)
        if not batches:
            assert file.rel_path.endswith("bitmex_liquidations_2024-03-01_XBTUSD.csv.gz")
            continue
        raw = pl.concat(batches)
        assert out.columns == [*spec.vendor_columns(), "_reject_reason", "_reject_detail"]
        assert out.schema == pl.Schema(
            {
                **spec.polars_schema(spec.vendor_columns()),
                "_reject_reason": pl.String,
                "_reject_detail": pl.String,
            }
        )
        assert out.height == raw.height
        assert out["_reject_reason"].null_count() == out.height, out["_reject_reason"].unique()
        assert_round_trip(data_type, raw, out)
        total += out.height
    assert total > 0


def test_quotes_source_distinguishes_rebuilt_book_and_exchange_feed(sample_root, plugins):
    files = _sample_files(sample_root)
    _, quotes = run_file(plugins, files["quotes"][0])
    _, ticker = run_file(plugins, files["book_ticker"][0])
    assert quotes["source"].unique().to_list() == ["book"]
    assert ticker["source"].unique().to_list() == ["feed"]


def test_grouped_options_chain_file(sample_root, plugins):
    (file,) = _sample_files(sample_root)["options_chain"]
    assert file.meta_dict()["symbol"] == "OPTIONS"
    _, out = run_file(plugins, file)
    assert out["symbol"].n_unique() == 4
    first = out.row(0, named=True)
    assert first["symbol"] == "BTC-29MAR24-60000-C"
    assert first["option_type"] == "call"
    assert first["strike_price"] == Decimal(60_000)
    assert first["expiration_ts_us"] == 1_711_699_200_000_000
    assert first["last_price"] is None  # empty cell
    assert first["underlying_index"] == "BTC-29MAR24"
    assert out.filter(pl.col("option_type") == "put")["symbol"].str.ends_with("-P").all()


def test_exponent_notation_and_empty_derivative_fields(sample_root, plugins):
    (file,) = _sample_files(sample_root)["derivative_ticker"]
    _, out = run_file(plugins, file)
    assert out["funding_rate"][0] == pytest.approx(1e-7)
    assert out["predicted_funding_rate"].null_count() == out.height
    assert out["last_price"].null_count() == out.height // 4
    assert out["funding_ts_us"].unique().to_list() == [1_709_280_000_000_000]


TRADES = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"


def test_trade_ids_stay_text(tmp_path, plugins):
    text = TRADES + (
        "bitmex,XBTUSD,1583020803145000,1583020803307160,"
        "ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf,sell,8531.5,2152\n"
        "binance,BTCUSDT,1583020803145000,1583020803307160,98765432109876543210123,buy,6422,1\n"
        "binance,BTCUSDT,1583020803145000,1583020803307160,007,buy,6422.0,0.5\n"
        "binance,BTCUSDT,1583020803145000,1583020803145000,,unknown,1.2345,10\n"
    )
    _, out = run_file(plugins, bronze(write_csv(tmp_path / "t.csv", text), "trades"))
    assert out["trade_id"].to_list() == [
        "ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf",
        "98765432109876543210123",
        "007",
        None,
    ]
    assert out["price"].to_list() == [Decimal("8531.5"), 6422, 6422, Decimal("1.2345")]
    assert out["side"].to_list() == ["sell", "buy", "buy", "unknown"]
    assert out["_reject_reason"].null_count() == 4


# One bad cell per row; every other row of the file is fine.
REJECT_CASES = [
    ("trades", "x,buy,abc,1", "not_a_number:price"),
    ("trades", "x,buy,100,-1", "negative:amount"),
    ("trades", "x,BUY,100,1", "invalid_value:side"),
    ("trades", "x,,100,1", "missing:side"),
    ("trades", "x,buy,,1", "missing:price"),
    ("trades", "x,buy,1e20,1", "overflow:price"),
    ("trades", "x,buy,100,1.5.5", "not_a_number:amount"),
    ("liquidations", "x,long,100,1", "invalid_value:side"),
    ("liquidations", "x,sell,100,-0.001", "negative:amount"),
    ("incremental_book_L2", "yes,bid,100,1", "invalid_value:is_snapshot"),
    ("incremental_book_L2", "false,buy,100,1", "invalid_value:side"),
    ("incremental_book_L2", "false,bid,100,-5", "negative:amount"),
    ("incremental_book_L2", "false,bid,NaN,5", "not_a_number:price"),
    ("quotes", "-1,100,99,1", "negative:ask_amount"),
    ("book_ticker", "1,100,99.x,1", "not_a_number:bid_price"),
    ("derivative_ticker", "soon,0.0001,,1,1,1,1", "not_a_number:funding_timestamp"),
    ("derivative_ticker", ",abc,,1,1,1,1", "not_a_number:funding_rate"),
    ("derivative_ticker", ",0.0001,,-3,1,1,1", "negative:open_interest"),
]


def _row(data_type: str, values: str) -> str:
    return f"binance,BTCUSDT,1709251200003000,1709251200005129,{values}"


_GOOD = {
    "trades": "1,buy,100,1",
    "liquidations": "1,sell,100,1",
    "incremental_book_L2": "false,bid,100,0",
    "quotes": "1,100,99,1",
    "book_ticker": "1,100,99,1",
    "derivative_ticker": "1709280000000000,0.0001,,1,1,1,1",
}


@pytest.mark.parametrize(("data_type", "values", "reason"), REJECT_CASES)
def test_bad_values_get_a_reason_naming_the_column(tmp_path, plugins, data_type, values, reason):
    from pointline_tardis.formats import expected_columns

    header = ",".join(expected_columns(data_type)) + "\n"
    good = _row(data_type, _GOOD[data_type]) + "\n"
    path = write_csv(tmp_path / "f.csv", header + good + _row(data_type, values) + "\n" + good)
    _, out = run_file(plugins, bronze(path, data_type))
    assert out["_reject_reason"].to_list() == [None, reason, None]


OPTIONS_HEADER = (
    "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,"
    "last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,"
    "underlying_index,underlying_price,delta,gamma,vega,theta,rho\n"
)


@pytest.mark.parametrize(
    ("type_", "strike", "expiration", "iv", "reason"),
    [
        ("call", "65000", "1711699200000000", "57.81", None),
        ("C", "65000", "1711699200000000", "57.81", "invalid_value:type"),
        ("put", "", "1711699200000000", "57.81", "missing:strike_price"),
        ("put", "65000", "", "57.81", "missing:expiration"),
        ("put", "65000", "1711699200000000", "inf", "not_a_number:bid_iv"),
    ],
)
def test_options_chain_reasons(tmp_path, plugins, type_, strike, expiration, iv, reason):
    row = (
        f"deribit,BTC-29MAR24-65000-C,1709251200215000,1709251200219842,{type_},{strike},"
        f"{expiration},1850.3,0.0315,0.0305,12.5,{iv},0.032,8,59.12,0.03125,58.4,BTC-29MAR24,"
        "61420.5,0.38215,0.00003,87.215,-62.118,13.307\n"
    )
    path = write_csv(tmp_path / "o.csv", OPTIONS_HEADER + row)
    _, out = run_file(plugins, bronze(path, "options_chain"))
    assert out["_reject_reason"].to_list() == [reason]


@pytest.mark.parametrize(
    ("timestamp", "local", "reason"),
    [
        ("", "1709251200005129", "missing:timestamp"),
        ("12:00", "1709251200005129", "not_a_number:timestamp"),
        ("1709251200003", "1709251200005129", "out_of_range:timestamp"),
        ("1709251200003000", "1709251200005129000", "out_of_range:local_timestamp"),
    ],
)
def test_timestamp_reasons(tmp_path, plugins, timestamp, local, reason):
    text = TRADES + f"binance,BTCUSDT,{timestamp},{local},1,buy,1,1\n"
    _, out = run_file(plugins, bronze(write_csv(tmp_path / "t.csv", text), "trades"))
    assert out["_reject_reason"].to_list() == [reason]


@pytest.mark.parametrize(
    ("timestamp", "local", "detail"),
    [
        (
            "1709251200003",
            "1709251200005129",
            "1709251200003 is outside 2010-01-01..2100-01-01 in microseconds; "
            "milliseconds? (x1000 = 2024-03-01T00:00:00.003Z)",
        ),
        (
            "1709251200003000",
            "1709251200005129000",
            "1709251200005129000 is outside 2010-01-01..2100-01-01 in microseconds; "
            "nanoseconds? (/1000 = 2024-03-01T00:00:00.005129Z)",
        ),
        (
            "1709251200",
            "1709251200005129",
            "1709251200 is outside 2010-01-01..2100-01-01 in microseconds; "
            "seconds? (x1000000 = 2024-03-01T00:00:00Z)",
        ),
        (
            "-5",
            "1709251200005129",
            "-5 is outside 2010-01-01..2100-01-01 in microseconds; not a time of 2010..2100 "
            "in seconds, milliseconds or nanoseconds",
        ),
        ("1709251200003000", "1709251200005129", None),
        ("x", "1709251200005129", None),
    ],
)
def test_out_of_range_detail_names_value_range_and_likely_unit(
    tmp_path, plugins, timestamp, local, detail
):
    text = TRADES + f"binance,BTCUSDT,{timestamp},{local},1,buy,1,1\n"
    _, out = run_file(plugins, bronze(write_csv(tmp_path / "t.csv", text), "trades"))
    assert out["_reject_detail"].to_list() == [detail]


def test_exchange_reasons(tmp_path, plugins):
    text = TRADES + (
        "binance,BTCUSDT,1709251200003000,1709251200005129,1,buy,1,1\n"
        "binance-us,BTCUSDT,1709251200003000,1709251200005129,1,buy,1,1\n"
        "okx,BTCUSDT,1709251200003000,1709251200005129,1,buy,1,1\n"
        ",BTCUSDT,1709251200003000,1709251200005129,1,buy,1,1\n"
    )
    file = bronze(write_csv(tmp_path / "t.csv", text), "trades", exchange="binance")
    _, out = run_file(plugins, file)
    assert out["_reject_reason"].to_list() == [
        None,
        "exchange_mismatch:exchange",
        "unknown_exchange:exchange",
        "missing:exchange",
    ]


def _snapshot_header(columns: list[str]) -> str:
    return ",".join(["exchange", "symbol", "timestamp", "local_timestamp", *columns]) + "\n"


def test_truncated_asks_only_snapshot_file_works(tmp_path, plugins):
    asks = [level_column("asks", i, f) for i in range(3) for f in ("price", "amount")]
    text = _snapshot_header(asks) + (
        "deribit,BTC-PERPETUAL,1585699200245000,1585699200355684,6421.5,18640,6422,1190,6422.5,1080\n"
        "deribit,BTC-PERPETUAL,1585699200245000,1585699200355684,6421.5,18640,,,,\n"
    )
    path = write_csv(tmp_path / "deribit_book_snapshot_25_2020-04-01_BTC-PERPETUAL.csv", text)
    _, out = run_file(plugins, bronze(path, "book_snapshot_25"))
    assert out["_reject_reason"].null_count() == 2
    assert out["depth"].to_list() == [25, 25]
    first = out.row(0, named=True)
    assert first["ask_prices"][:4] == [Decimal("6421.5"), 6422, Decimal("6422.5"), None]
    assert first["ask_qtys"][:3] == [18640, 1190, 1080]
    assert first["bid_prices"] == [None] * 25 and first["bid_qtys"] == [None] * 25
    assert out.row(1, named=True)["ask_prices"][:2] == [Decimal("6421.5"), None]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("10.5,3,10.4,7,10.6,1,10.3,2", None),
        ("10.5,3,10.4,7,10.6,,10.3,2", "incomplete_level:asks[1]"),
        ("10.5,3,10.4,7,x,1,10.3,2", "not_a_number:asks[1].price"),
        ("10.5,3,10.4,-7,10.6,1,10.3,2", "negative:bids[0].amount"),
        # a level price <= 0 is the core's rule (not_positive:bid_prices unless a spread)
        ("10.5,3,0,7,10.6,1,10.3,2", None),
    ],
)
def test_snapshot_level_reasons(tmp_path, plugins, cells, reason):
    columns = [
        level_column(side, i, f)
        for i in range(2)
        for side in ("asks", "bids")
        for f in ("price", "amount")
    ]
    text = _snapshot_header(columns) + f"binance,X,1709251200003000,1709251200005129,{cells}\n"
    path = write_csv(tmp_path / "s.csv", text)
    _, out = run_file(plugins, bronze(path, "book_snapshot_5"))
    assert out["_reject_reason"].to_list() == [reason]


def test_contract_errors(tmp_path):
    frame = pl.DataFrame({"exchange": ["binance"]}, schema={"exchange": pl.String})
    file = bronze(tmp_path / "t.csv", "trades")
    with pytest.raises(CanonicalizeError, match="maps to table 'trades', not 'quotes'"):
        canonicalize(file, "quotes", frame)
    with pytest.raises(CanonicalizeError, match="column 'symbol'"):
        canonicalize(file, "trades", frame)


def test_whole_numbers_and_exponent_notation_encode_exactly(tmp_path, plugins):
    text = TRADES + (
        "binance,BTCUSDT,1709251200003000,1709251200005129,1,buy,6422,1\n"
        "binance,BTCUSDT,1709251200003000,1709251200005129,2,buy,1e-7,2.5E3\n"
        "binance,BTCUSDT,1709251200003000,1709251200005129,3,buy,6.4215e+3,1E-8\n"
    )
    _, out = run_file(plugins, bronze(write_csv(tmp_path / "t.csv.gz", text), "trades"))
    assert out["price"].to_list() == [6422, Decimal("1E-7"), Decimal("6421.5")]
    assert out["qty"].to_list() == [1, 2500, Decimal("1E-8")]
    assert out["_reject_reason"].null_count() == 3


# --- the per-header plan cache and the quick flags -----------------------------------------


def test_plan_is_cached_per_header_and_the_exchange_check_is_per_file(tmp_path):
    from pointline_tardis import canonical

    text = TRADES + "binance,BTCUSDT,1709251200003000,1709251200005129,1,buy,6422,1\n" * 3
    frame = pl.read_csv(text.encode(), infer_schema=False)
    binance = bronze(tmp_path / "a.csv", "trades", exchange="binance")
    binance_us = bronze(tmp_path / "b.csv", "trades", exchange="binance-us")
    assert canonicalize(binance, "trades", frame)["_reject_reason"].to_list() == [None] * 3
    before = canonical._plan.cache_info()
    # Same header, another file naming another exchange: the plan is reused, the check is not.
    out = canonicalize(binance_us, "trades", frame)
    assert out["_reject_reason"].to_list() == ["exchange_mismatch:exchange"] * 3
    after = canonical._plan.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert canonicalize(binance, "trades", frame)["_reject_reason"].null_count() == 3


_CELLS = [None, "", "abc", "-1", "0", "1e30", "NaN", "inf", "BUY", "sell", "bid", "put", "yes"]
_CELLS += ["true", "1709251200003", "99999999999999999999", "okx", "binance-us", "6422", "+3"]


def _sample_frame(data_type: str) -> pl.DataFrame:
    from pointline_tardis import sample

    make = {
        "trades": lambda: sample.trades(12, "binance", ["BTCUSDT"], 611_680, True),
        "liquidations": lambda: sample.liquidations(12, "binance", ["BTCUSDT"], 611_680),
        "quotes": lambda: sample.quotes(12, "binance", ["BTCUSDT"], 611_680),
        "book_ticker": lambda: sample.quotes(12, "binance", ["BTCUSDT"], 611_680),
        "incremental_book_L2": lambda: sample.incremental_book_l2(12, "binance", "X", 4),
        "derivative_ticker": lambda: sample.derivative_ticker(12, "binance", ["X"], 611_680),
        "options_chain": lambda: sample.options_chain(12, "binance"),
        "book_snapshot_5": lambda: sample.book_snapshot(12, 5, "binance", "X", 611_680, 3),
        "book_snapshot_25": lambda: sample.book_snapshot(12, 25, "binance", "X", 611_680, 4),
    }[data_type]
    from pointline_tardis.formats import expected_columns

    return make().select(expected_columns(data_type))


#: Corruptions the random ones may miss: each is a list of (column, cell) set in one row.
_SNAPSHOT_CORRUPTIONS = [
    [("asks[1].price", "0")],
    [("bids[0].price", "-5")],
    [("bids[0].amount", "-1")],
    [("asks[0].price", None)],
    [("bids[1].amount", None)],
    [("asks[2].price", "abc"), ("asks[2].amount", "")],
    [("bids[1].price", "1e30"), ("bids[1].amount", None)],
]
#: One bad cell per check kind, tried in every column of that kind.
_BAD_BY_KIND = {
    "text": [None],
    "enum": ["BUY", None],
    "bool": ["yes", None],
    "ts": ["1709251200003", "12:00", None],
    "int": ["soon", None],
    "float": ["inf", "abc"],
    "price": ["abc", "1e30", None],
    "qty": ["-1", "abc", None],
    "flag": [],
}


def _corruptions(data_type: str, columns: list[str], rng) -> list[list[tuple[str, object]]]:
    cases = [
        [(col.source, cell)]
        for col in MAPPINGS[data_type]
        if col.source is not None and col.kind != "flag"
        for cell in _BAD_BY_KIND[col.kind]
    ]
    cases += [[(rng.choice(columns), rng.choice(_CELLS))] for _ in range(10)]
    if data_type in SNAPSHOT_DEPTH:
        cases += _SNAPSHOT_CORRUPTIONS
    return cases


@pytest.mark.parametrize("data_type", DATA_TYPES)
def test_quick_flags_never_hide_a_reject_reason(tmp_path, data_type):
    """The cheap batch-level flag decides whether the exact checks run at all: whatever bad
    cells a batch holds, the reasons equal those of the exact checks run unconditionally."""
    import random

    from pointline_tardis import canonical

    rng = random.Random(data_type)
    base = _sample_frame(data_type)
    table = TABLE_MAPPING[data_type]
    cases = _corruptions(data_type, base.columns, rng)
    cases += [[], []]  # no bad cell: only the file's exchange (below) can flag rows
    flagged = 0
    for attempt, cells in enumerate(cases):
        frame = base
        if data_type in SNAPSHOT_DEPTH and attempt % 5 == 4:  # a truncated header
            keep = [c for c in frame.columns if not c.startswith("bids") or rng.random() < 0.5]
            frame = frame.select(keep)
        row = rng.randrange(frame.height)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row)
            .then(pl.lit(cell, pl.String))
            .otherwise(pl.col(column))
            .alias(column)
            for column, cell in cells
            if column in frame.columns
        )
        # The file's exchange flags every row when it differs: only in the last case, so it
        # never masks a quick flag that misses a bad cell.
        expected_exchange = "nope" if attempt == len(cases) - 1 else rng.choice([None, "binance"])
        file = bronze(tmp_path / "f.csv", data_type, exchange=expected_exchange)
        got = canonicalize(file, table, frame)["_reject_reason"].to_list()

        columns = frozenset(frame.columns)
        plan = canonical._plan(data_type, table, columns)
        _, reason = canonical._verdict(data_type, table, columns, expected_exchange)
        work = frame.lazy().with_columns(plan.cells).with_columns(plan.values)
        exact = work.select(reason).collect().to_series().to_list()
        assert got == exact, (row, cells, expected_exchange)
        flagged += any(r is not None for r in got)
    assert flagged >= len(cases) // 2  # the corruptions do produce rejects
    assert got == ["exchange_mismatch:exchange"] * base.height


_CELL_COLUMNS = [
    (data_type, col.source, col.target, col.required)
    for data_type in DATA_TYPES
    for col in MAPPINGS[data_type]
    if col.source is not None and col.kind != "flag"
]


@pytest.mark.parametrize(
    ("data_type", "column", "target", "required"),
    _CELL_COLUMNS,
    ids=[f"{d}.{c}" for d, c, _, _ in _CELL_COLUMNS],
)
def test_empty_cell_is_null_where_allowed_and_missing_where_required(
    tmp_path, data_type, column, target, required
):
    frame = _sample_frame(data_type).head(3)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col(column)).alias(column)
    )
    out = canonicalize(bronze(tmp_path / "f.csv", data_type), TABLE_MAPPING[data_type], frame)
    assert out[target][1] is None
    expected = f"missing:{column}" if required else None
    # one half of a book side's price/amount pair: the level is incomplete (issue 17)
    paired = {c: side for side, *pair in LEVEL_PAIRS.get(data_type, ()) for c in pair}
    if column in paired:
        expected = f"incomplete_level:{paired[column]}"
    assert out["_reject_reason"].to_list() == [None, expected, None]
    if not required:  # a null the format allows must be one the core table accepts
        assert SPECS[TABLE_MAPPING[data_type]].column(target).nullable


@pytest.mark.parametrize("data_type", ["quotes", "book_ticker"])
def test_half_empty_quote_sides_are_incomplete_levels(tmp_path, data_type):
    """Issue 17 point 4. Real header order (ask_amount,ask_price,bid_price,bid_amount): an
    empty side (both cells empty) is valid; a price without its amount, or the reverse, is
    ``incomplete_level:<side>``, as book snapshot levels already are."""
    text = (
        "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
        "binance-futures,BTCUSDT,1709251200184000,1709251200187452,1.2,61168.2,61168.1,3.4\n"
        "binance-futures,BTCUSDT,1709251200185000,1709251200188000,,,61168.1,3.4\n"
        "binance-futures,BTCUSDT,1709251200186000,1709251200189000,1.2,61168.2,61168.1,\n"
        "binance-futures,BTCUSDT,1709251200187000,1709251200190000,,61168.2,61168.1,3.4\n"
        "binance-futures,BTCUSDT,1709251200188000,1709251200191000,1.2,,,\n"
        "binance-futures,BTCUSDT,1709251200189000,1709251200192000,,,,\n"
    )
    path = write_csv(tmp_path / f"binance-futures_{data_type}_2024-03-01_BTCUSDT.csv", text)
    frame = pl.read_csv(path, infer_schema=False)
    out = canonicalize(bronze(path, data_type), "quotes", frame)
    assert out["_reject_reason"].to_list() == [
        None,
        None,  # empty ask side: a one-sided book
        "incomplete_level:bid",
        "incomplete_level:ask",
        "incomplete_level:ask",  # amount without price
        None,  # both sides empty
    ]
    assert out["bid_qty"].to_list()[:2] == [Decimal("3.4"), Decimal("3.4")]


def test_half_empty_option_sides_are_incomplete_levels(tmp_path):
    header = (
        "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,"
        "last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,"
        "underlying_index,underlying_price,delta,gamma,vega,theta,rho"
    )
    common = (
        "deribit,BTC-29MAR24-65000-C,1709251200100000,1709251200101000,call,65000,"
        "1711699200000000,1200"
    )
    rows = [
        ",0.062,0.0615,12,58.1,0.063,5,58.9,0.0622,58.5,BTC-29MAR24,61100,0.42,0.00003,95.1,-60.2,20.1",
        ",,0.0615,,58.1,0.063,5,58.9,0.0622,58.5,BTC-29MAR24,61100,0.42,0.00003,95.1,-60.2,20.1",
        ",,,,,,7,,0.0622,58.5,BTC-29MAR24,61100,,,,,",
        ",,,,,,,,0.0622,58.5,BTC-29MAR24,61100,,,,,",
    ]
    text = "\n".join([header, *(common + r for r in rows)]) + "\n"
    path = write_csv(tmp_path / "deribit_options_chain_2024-03-01_OPTIONS.csv", text)
    frame = pl.read_csv(path, infer_schema=False)
    out = canonicalize(bronze(path, "options_chain"), "options_chain", frame)
    assert out["_reject_reason"].to_list() == [
        None,
        "incomplete_level:bid",
        "incomplete_level:ask",
        None,
    ]
