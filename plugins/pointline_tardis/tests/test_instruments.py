"""Instrument metadata JSON -> symbol rows with point-in-time validity windows."""

from __future__ import annotations

import json

import polars as pl
import pytest
from pointline_tardis.instruments import OUTPUT_COLUMNS, output_schema, read_instruments

from pointline_core.errors import ParseError

# µs since epoch of the ISO datetimes used below.
T2019 = 1_573_948_800_000_000  # 2019-11-17
T2020 = 1_590_969_600_000_000  # 2020-06-01
T2021 = 1_609_459_200_000_000  # 2021-01-01
T2022 = 1_640_995_200_000_000  # 2022-01-01

BTCUSDT = {
    "id": "BTCUSDT",
    "exchange": "binance-futures",
    "baseCurrency": "BTC",
    "quoteCurrency": "USDT",
    "type": "perpetual",
    "active": True,
    "availableSince": "2019-11-17T00:00:00.000Z",
    "priceIncrement": 0.1,
    "amountIncrement": 0.001,
    "minTradeAmount": 0.001,
    "makerFee": 0.0002,
    "takerFee": 0.0004,
    "inverse": False,
    "contractMultiplier": 1,
    "changes": [{"until": "2020-06-01T00:00:00.000Z", "priceIncrement": 0.01}],
}


def _write(tmp_path, records, lines: bool = False):
    path = tmp_path / ("i.jsonl" if lines else "i.json")
    if lines:
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    else:
        path.write_text(json.dumps(records, indent=2))
    return path


def test_doc_example_gives_two_windows(tmp_path, plugins):
    path = _write(tmp_path, [BTCUSDT])
    out = plugins.call("tardis", "pointline_read_symbols", path=path)
    assert out.schema == output_schema()
    assert out.columns == list(OUTPUT_COLUMNS)
    assert out.rows() == [
        (
            "binance-futures",
            "BTCUSDT",
            T2019,
            T2020,
            "perpetual",
            "BTC",
            "USDT",
            "0.01",
            "0.001",
            "1",
        ),
        (
            "binance-futures",
            "BTCUSDT",
            T2020,
            None,
            "perpetual",
            "BTC",
            "USDT",
            "0.1",
            "0.001",
            "1",
        ),
    ]


def test_json_lines_equals_array(tmp_path):
    spot = {
        "id": "ETHBTC",
        "exchange": "binance",
        "type": "spot",
        "baseCurrency": "ETH",
        "quoteCurrency": "BTC",
        "availableSince": "2019-01-01T00:00:00.000Z",
        "availableTo": "2022-01-01T00:00:00.000Z",
        "priceIncrement": 1e-6,
        "amountIncrement": 0.001,
    }
    array = read_instruments(_write(tmp_path, [BTCUSDT, spot]))
    lines = read_instruments(_write(tmp_path, [BTCUSDT, spot], lines=True))
    assert array.equals(lines)
    eth = array.filter(pl.col("exchange_symbol") == "ETHBTC").row(0, named=True)
    assert eth["valid_until_ts_us"] == T2022
    assert eth["tick_size"] == "1e-06"  # exact JSON text, no float rounding
    assert eth["contract_size"] is None


def test_changes_sorted_clipped_and_fields_carried_back(tmp_path):
    record = dict(BTCUSDT)
    record["availableTo"] = "2022-01-01T00:00:00.000Z"
    record["changes"] = [
        # unsorted on purpose; the first lies before availableSince and is dropped
        {"until": "2021-01-01T00:00:00.000Z", "amountIncrement": 0.01, "contractMultiplier": 10},
        {"until": "2018-01-01T00:00:00.000Z", "priceIncrement": 5},
        {"until": "2020-06-01T00:00:00.000Z", "priceIncrement": 0.01},
    ]
    out = read_instruments(_write(tmp_path, [record]))
    assert out.select(
        "valid_from_ts_us", "valid_until_ts_us", "tick_size", "lot_size", "contract_size"
    ).rows() == [
        # before 2020-06: the older tick; lot and multiplier from the 2021 change, which held
        # until 2021 (a change lists only what differed before its `until`)
        (T2019, T2020, "0.01", "0.01", "10"),
        (T2020, T2021, "0.1", "0.01", "10"),
        (T2021, T2022, "0.1", "0.001", "1"),
    ]


def test_windows_are_half_open_and_contiguous(sample_root):
    out = read_instruments(sample_root / "tardis_instruments.json")
    checks = out.group_by("exchange", "exchange_symbol").agg(
        (pl.col("valid_from_ts_us").slice(1) == pl.col("valid_until_ts_us").slice(0, pl.len() - 1))
        .all()
        .alias("contiguous")
    )
    assert checks["contiguous"].all()
    assert (
        out["valid_until_ts_us"].is_null() | (out["valid_until_ts_us"] > out["valid_from_ts_us"])
    ).all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "X", "exchange": "binance"', "invalid JSON"),
        ('{"id": "X"}\nnot json\n', "invalid JSON"),
        ("[1, 2]", "instrument #0 is a str"),
        ('[{"id": "X", "exchange": "binance"}]', "has no 'availableSince'"),
        (
            '[{"id": "X", "exchange": "binance", "availableSince": "yesterday"}]',
            "not an ISO datetime",
        ),
        (
            '[{"id": "X", "exchange": "binance", "availableSince": "2020-01-01", '
            '"changes": [{"priceIncrement": 1}]}]',
            "change `until`",
        ),
    ],
)
def test_bad_files_raise_parse_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ParseError, match=message) as info:
        read_instruments(path)
    assert str(path) in str(info.value)


def test_invalid_json_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(BTCUSDT) + "\n\n{oops}\n")
    with pytest.raises(ParseError) as info:
        read_instruments(path)
    assert info.value.line == 3


def test_empty_array(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("[]")
    out = read_instruments(path)
    assert out.height == 0 and out.schema == output_schema()


def test_single_pretty_printed_object(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(BTCUSDT, indent=2))
    assert read_instruments(path).equals(read_instruments(_write(tmp_path, [BTCUSDT])))


# An exchange-details API response (/v1/exchanges/<exchange>), shortened; values made up.
DETAILS = {
    "id": "binance-futures",
    "name": "Binance USDT Futures",
    "enabled": True,
    "availableSince": "2019-11-17T00:00:00.000Z",
    "availableChannels": ["trade", "depth"],
    "availableSymbols": [
        {"id": "btcusdt", "type": "perpetual", "availableSince": "2019-11-17T00:00:00.000Z"},
    ],
    "datasets": {
        "formats": ["csv"],
        "exportedFrom": "2019-11-17T00:00:00.000Z",
        "exportedUntil": "2024-03-02T00:00:00.000Z",
        "symbols": [
            {
                "id": "PERPETUALS",
                "type": "perpetual",
                "availableSince": "2019-11-17T00:00:00.000Z",
                "dataTypes": ["trades"],
            },
            {
                "id": "BTCUSDT",
                "type": "perpetual",
                "availableSince": "2019-11-17T00:00:00.000Z",
                "dataTypes": ["trades", "quotes"],
                "stats": {"trades": 1, "bookChanges": 2},
            },
            {
                "id": "btcusdt_210326",
                "type": "future",
                "availableSince": "2021-01-01T00:00:00.000Z",
                "availableTo": "2022-01-01T00:00:00.000Z",
            },
        ],
    },
    "incidentReports": [],
}


def test_exchange_details_response_gives_windows_per_symbol(tmp_path):
    path = tmp_path / "binance-futures.json"
    path.write_text(json.dumps(DETAILS, indent=2))
    out = read_instruments(path)
    assert out.select(
        "exchange", "exchange_symbol", "valid_from_ts_us", "valid_until_ts_us", "asset_class"
    ).rows() == [
        ("binance-futures", "BTCUSDT", T2019, None, "perpetual"),
        ("binance-futures", "BTCUSDT_210326", T2021, T2022, "future"),  # upper-cased
    ]  # the grouped PERPETUALS is a download name, not an instrument
    assert out["tick_size"].null_count() == out.height  # that API has no sizes
    # availableSymbols when there are no datasets; several responses as JSON lines
    other = {"id": "bitmex", "availableSymbols": [DETAILS["availableSymbols"][0]]}
    lines = tmp_path / "exchanges.jsonl"
    lines.write_text(json.dumps(DETAILS) + "\n" + json.dumps(other) + "\n")
    both = read_instruments(lines)
    assert both.select("exchange", "exchange_symbol").rows() == [
        ("binance-futures", "BTCUSDT"),
        ("binance-futures", "BTCUSDT_210326"),
        ("bitmex", "BTCUSDT"),
    ]


def test_exchange_details_without_symbols_is_a_parse_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "deribit", "datasets": {"formats": ["csv"]}}))
    with pytest.raises(ParseError, match="datasets.symbols"):
        read_instruments(path)
