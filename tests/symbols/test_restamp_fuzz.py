"""Seeded random import sequences against real lakes: after every import each stored row is
covered by exactly the window its ts falls in (or is in quarantine), nothing is lost or
doubled, an import applied twice commits nothing, and the same imports in another order give
the same dimension and, after ``--retry-quarantined``, the same stored rows."""

from __future__ import annotations

import random

import polars as pl
import pytest

from pointline_core.symbols import apply_symbols
from tests.symbols.conftest import (
    assert_consistent,
    land,
    rows,
    symbols,
    table_versions,
    us,
    write_trades,
)

SEQUENCES = 8
NAMES = ("AAA", "BBB")
TICKS = ("0.1", "0.5")


def random_import(rng: random.Random, truth: dict) -> pl.DataFrame:
    """1-3 rows per named symbol on days 1..19, some ended; ticks from one 'truth' so that
    imports never contradict each other."""
    out = []
    for name in rng.sample(NAMES, rng.randint(1, 2)):
        days = sorted(rng.sample(range(1, 20), rng.randint(1, 3)))
        for i, day in enumerate(days):
            nxt = days[i + 1] if i + 1 < len(days) else 22
            until = rng.choice([None, None, rng.randint(day + 1, nxt)])
            tick = truth.setdefault((name, day), rng.choice(TICKS))
            end = None if until is None else f"2024-01-{until:02d}"
            out.append(("utcx", name, f"2024-01-{day:02d}", end, tick))
    return symbols(*out)


def sorted_rows(lake_root, zone: str) -> pl.DataFrame:
    frame = rows(lake_root, zone)
    if zone == "quarantine":
        return frame.select("file_id", "file_seq").sort("file_id", "file_seq")
    return frame.sort("file_id", "file_seq")


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_random_import_sequences_never_orphan_a_row(seed, tmp_path, plugins):
    rng = random.Random(16_000 + seed)
    truth: dict = {}
    bronze = tmp_path / "bronze"
    for name in NAMES:
        stamps = sorted({us(rng.randint(1, 20), rng.randint(0, 23)) for _ in range(8)})
        write_trades(bronze, name, stamps)
    total = sum(len(p.read_text().splitlines()) - 1 for p in bronze.rglob("*.csv"))
    first = symbols(
        *(("utcx", n, "2024-01-01", None, truth.setdefault((n, 1), "0.1")) for n in NAMES)
    )
    imports = [random_import(rng, truth) for _ in range(3)]
    finals = []
    moved = 0
    for order in (imports, imports[::-1]):
        lake_root = tmp_path / f"lake{len(finals)}"
        apply_symbols(first, lake_root, progress=False)
        assert land(bronze, lake_root, plugins).ok
        assert_consistent(lake_root, expected_rows=total)
        for i, rows_in in enumerate(order):
            report = apply_symbols(rows_in, lake_root, progress=False)
            moved += report.rows_restamped + report.rows_quarantined
            assert_consistent(lake_root, expected_rows=total)
            before = table_versions(lake_root)
            again = apply_symbols(rows_in, lake_root, progress=False)
            assert again.version is None and again.restamp == ()
            assert table_versions(lake_root) == before
            if report.quarantined_now_covered and i % 2:
                land(bronze, lake_root, plugins, retry_quarantined=True)
                assert_consistent(lake_root, expected_rows=total)
        land(bronze, lake_root, plugins, retry_quarantined=True)
        assert_consistent(lake_root, expected_rows=total)
        dim = pl.read_delta(str(lake_root / "silver" / "dim_symbol")).sort("symbol_id")
        finals.append((dim, sorted_rows(lake_root, "silver"), sorted_rows(lake_root, "quarantine")))
    assert moved > 0  # the sequence did move stored rows (every seed here does)
    (dim_a, silver_a, quarantine_a), (dim_b, silver_b, quarantine_b) = finals
    assert dim_a.equals(dim_b)
    assert silver_a.equals(silver_b)
    assert quarantine_a.equals(quarantine_b)
