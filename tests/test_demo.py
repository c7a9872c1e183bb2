"""The README's demo runs end to end and lands the three vendors' sample days."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import polars as pl

DEMO = Path(__file__).resolve().parents[1] / "scripts" / "demo.py"


def test_demo_ingests_the_three_sample_days(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("pointline_demo", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.main(["--root", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^files: \d+ success$", out, flags=re.M), out
    assert "failed files:" not in out and "nothing new" in out
    lake = tmp_path / "demo" / "lake"
    tables = {p.name for p in (lake / "silver").iterdir()}
    assert {"trades", "orderbook_updates", "l3_orders", "l3_trades", "l2_snapshots"} <= tables
    exchanges = set(pl.read_delta(str(lake / "silver" / "trades"))["exchange"])
    assert {"binance-futures", "deribit", "glbx", "xnas"} <= exchanges
    assert {"bars", "book_snapshots", "quotes"} <= tables
    l3_exchanges = set(pl.read_delta(str(lake / "silver" / "l3_orders"))["exchange"])
    assert l3_exchanges == {"sse", "szse", "glbx"}
