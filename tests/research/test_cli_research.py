"""pointline replay / derive bars / read of Gold bars on the demo lake, through main()."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pointline_core import query
from pointline_core.cli import main
from pointline_core.errors import ExchangeNotInTableError

WINDOW = ["--start", "2024-03-01", "--end", "2024-03-02"]


def test_replay_csv_and_parquet_equal_query_replay(
    demo_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = str(demo_lake)
    args = ["replay", lake, "--tables", "trades,quotes", "--exchange", "binance-futures"]
    assert main([*args, "--symbol", "BTCUSDT", *WINDOW]) == 0
    printed = pl.read_csv(io.StringIO(capsys.readouterr().out))
    want = query.replay(
        lake,
        ["trades", "quotes"],
        exchange="binance-futures",
        symbols="BTCUSDT",
        start="2024-03-01",
        end="2024-03-02",
        decoded=True,
    ).collect()
    assert printed.height == want.height == 390  # 240 trades + 150 quotes
    assert printed["table"].to_list() == want["table"].to_list()
    assert printed["ts_replay_us"].to_list() == want["ts_replay_us"].to_list()
    out = tmp_path / "r.parquet"
    assert main([*args, *WINDOW, "--format", "parquet", "--output", str(out)]) == 0
    assert pl.read_parquet(out).height == 240 + 120 + 150  # both symbols
    assert main([*args, "--format", "parquet"]) == 2
    assert "name a file with --output" in capsys.readouterr().err


def test_replay_skips_tables_without_the_exchange_but_not_a_typo(demo_lake: Path) -> None:
    """deribit publishes trades but no quotes in the demo: its replay is its trades; an
    exchange no table holds is an error, never an empty stream."""
    stream = query.replay(demo_lake, ["trades", "quotes"], exchange="deribit").collect()
    assert set(stream["table"]) == {"trades"} and stream.height == 100
    assert "bid_price" in stream.columns  # the union of both tables' columns all the same
    both = query.replay(demo_lake, ["quotes"], exchange=["deribit", "bitmex"]).collect()
    assert set(both["exchange"]) == {"bitmex"}
    with pytest.raises(ExchangeNotInTableError, match="did you mean deribit"):
        query.replay(demo_lake, ["trades", "quotes"], exchange="derbit")


def test_trades_with_quotes_of_an_exchange_without_quotes(demo_lake: Path) -> None:
    """deribit's sample publishes trades only: its trades keep null quote_ columns (replay
    tolerates such a table too), next to bitmex's trades that do find quotes; a typo still
    fails naming the closest exchange."""
    both = query.trades_with_quotes(demo_lake, exchange=["deribit", "bitmex"]).collect()
    found = both.group_by("exchange").agg(pl.col("quote_ts_event_us").is_not_null().sum())
    counts = dict(found.iter_rows())
    assert counts["deribit"] == 0 and counts["bitmex"] > 0
    alone = query.trades_with_quotes(demo_lake, exchange="deribit").collect()
    assert alone.height == query.load(demo_lake, "trades", exchange="deribit").collect().height
    with pytest.raises(ExchangeNotInTableError, match="did you mean deribit"):
        query.trades_with_quotes(demo_lake, exchange="derbit")


def test_derive_bars_then_read_them(
    own_demo_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = str(own_demo_lake)
    assert main(["derive", "bars", lake, "--interval", "1h", "--exchange", "deribit"]) == 0
    assert "bars_1h: 1 partition(s) rebuilt, 0 up to date" in capsys.readouterr().out
    assert main(["derive", "bars", lake, "--interval", "1h", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(p["exchange"], p["skipped"]) for p in report["partitions"]] == [
        ("binance-futures", False),
        ("bitmex", False),
        ("deribit", True),
        ("glbx", False),
        ("xnas", False),
    ]
    read = ["read", lake, "bars_1h", "--exchange", "deribit", "--format", "csv", "--decimal"]
    assert main(read) == 0
    frame = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema=False)
    want = query.bars(lake, interval="1h", exchange="deribit", decoded="decimal").collect()
    assert frame["close"].to_list() == [str(v) for v in want["close"].to_list()]
    assert frame["trade_count"].cast(pl.Int64).sum() == 100
    assert_frame_equal(
        query.load(lake, "bars_1h", exchange="deribit").collect().drop("source_version"),
        query.bars(lake, interval="1h", exchange="deribit").collect().drop("source_version"),
    )
    assert (
        main(
            [
                "derive",
                "bars",
                lake,
                "--interval",
                "1h",
                "--from",
                "2024-03-02",
                "--to",
                "2024-03-01",
            ]
        )
        == 2
    )
    assert "is before --from" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # a bad date is argparse's one-line usage error
        main(["derive", "bars", lake, "--interval", "1h", "--from", "2024-13-01"])
    assert usage.value.code == 2
    assert "is not a date; write YYYY-MM-DD" in capsys.readouterr().err
