"""The same Bronze gives the same lake, ids and replay order included, whether it was
ingested in one run or file by file in another order (file_id hashes the file's identity)."""

from __future__ import annotations

import shutil

import polars as pl

from pointline_core import ingest, query
from pointline_core.schemas.tables import TRADES
from tests.ingest.conftest import T0, open_symbols, silver
from tests.ingest.fake_vendor import write_trades


def _bronze_files(root):
    # three files whose events tie on timestamps across files
    for sym, price in (("AAA", "1.5"), ("BBB", "2.5")):
        for part in ("a", "b", "c"):
            rows = [(T0 + (i // 2) * 1_000, price, "1", "b", f"{part}{i}") for i in range(6)]
            write_trades(root, "utcx", sym, rows, suffix=f".{part}")
    return sorted(p.relative_to(root) for p in root.rglob("*.csv"))


def test_one_run_and_file_by_file_runs_in_another_order_give_identical_lakes(tmp_path, plugins):
    full = tmp_path / "bronze_full"
    files = _bronze_files(full)
    one = tmp_path / "lake_one"
    open_symbols(one, ("utcx", "AAA"), ("utcx", "BBB"))
    assert ingest(full, one, plugins=plugins, progress=False).ok

    stepwise = tmp_path / "bronze_steps"
    many = tmp_path / "lake_many"
    open_symbols(many, ("utcx", "AAA"), ("utcx", "BBB"))
    for rel in reversed(files):  # one run per file, in reverse order
        (stepwise / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(full / rel, stepwise / rel)
        assert ingest(stepwise, many, plugins=plugins, progress=False).ok

    key = list(TRADES.tie_break)
    a, b = silver(one).sort(key), silver(many).sort(key)
    assert a.height == 36 and a.equals(b)
    # ties across files exist, and replay breaks them the same way in both lakes
    assert a.select(pl.col("ts_event_us").is_duplicated().any()).item()
    replay_one = query.load(one, "trades").collect()
    replay_many = query.load(many, "trades").collect()
    assert replay_one.equals(replay_many)
    assert replay_one["file_id"].n_unique() == len(files)
