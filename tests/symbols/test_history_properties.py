"""Property tests of the symbol-history model on thousands of seeded random imports.

The model (pointline_core.storage.symbol_history): an import adds facts (listed with
attributes from valid_from; delisted from an explicit valid_until); at any instant a symbol
has the attributes of its latest fact at or before it; dim_symbol's windows are the maximal
runs of equal attributes. Checked against a brute-force oracle, plus: any import applied
twice equals once, and any order of the same imports gives the same windows.

Each random case is its own exchange ("c0", "c1", ...), so all cases run through the
vectorised merge at once; the model treats every (exchange, symbol) independently.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import polars as pl
import pytest

from pointline_core.errors import SymbolDataError
from pointline_core.storage.dim_symbol import finish_windows, normalize_symbol_rows
from pointline_core.storage.symbol_history import (
    DELISTED,
    OPEN_END_US,
    canonical_observations,
    derive_windows,
    merge_observations,
    observations_from_windows,
)

CASES = 3000
SYMBOLS = ("AAA", "BBB")
TICKS = ("0.1", "0.5")
GRID = 20
KEY = ["exchange", "exchange_symbol"]
COLUMNS = ["exchange", "exchange_symbol", "valid_from", "valid_until", "tick_size"]


class Truth:
    """Per case and symbol, the tick size in force from each grid instant: imports drawn
    from it never contradict each other (contradictions are tested on their own)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ticks: dict[tuple[int, str, int], str] = {}

    def tick(self, case: int, symbol: str, start: int) -> str:
        return self.ticks.setdefault((case, symbol, start), self.rng.choice(TICKS))


def random_import(rng: random.Random, truth: Truth, cases: range) -> pl.DataFrame:
    """One symbols file per case (all in one frame): 1-3 rows per named symbol, some ended."""
    rows = []
    for case in cases:
        for symbol in rng.sample(SYMBOLS, rng.randint(1, len(SYMBOLS))):
            starts = sorted(rng.sample(range(GRID), rng.randint(1, 3)))
            for i, start in enumerate(starts):
                nxt = starts[i + 1] if i + 1 < len(starts) else GRID + 5
                until = rng.choice([None, None, rng.randint(start + 1, nxt)])
                tick = truth.tick(case, symbol, start)
                rows.append((f"c{case}", symbol, str(start), until and str(until), tick))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def apply(known: pl.DataFrame, rows: pl.DataFrame, replace: bool = False) -> pl.DataFrame:
    new = observations_from_windows(normalize_symbol_rows(rows))
    touched = new.select(KEY).unique()
    mine = known.join(touched, on=KEY, how="semi")
    rest = known.join(touched, on=KEY, how="anti")
    merged = merge_observations(mine, new, replace=replace, source="test")
    return canonical_observations(pl.concat([rest, merged]))


def windows(obs: pl.DataFrame) -> pl.DataFrame:
    return finish_windows(derive_windows(obs))


def apply_rows(files: list[pl.DataFrame], replace: bool = False) -> pl.DataFrame:
    obs = canonical_observations(
        observations_from_windows(
            normalize_symbol_rows(
                pl.DataFrame([("c", "A", "1", None, None)], COLUMNS, orient="row")
            )
        ).clear()
    )
    for rows in files:
        obs = apply(obs, rows, replace)
    return obs


def oracle_ticks(obs: pl.DataFrame) -> dict[tuple[str, str, int], int | None]:
    """Tick size at each grid instant by the definition (latest fact at or before it; a
    listing beats a delisting at the same instant)."""
    facts: dict[tuple[str, str], dict[int, tuple[str, int | None]]] = defaultdict(dict)
    for e, s, ts, kind, tick in obs.select(*KEY, "ts_us", "kind", "tick_size").iter_rows():
        at = facts[(e, s)]
        if ts not in at or at[ts][0] == DELISTED:
            at[ts] = (kind, tick)
    out: dict[tuple[str, str, int], int | None] = {}
    for (e, s), at in facts.items():
        for t in range(GRID + 6):
            past = [ts for ts in at if ts <= t]
            kind, tick = at[max(past)] if past else (DELISTED, None)
            out[(e, s, t)] = None if kind == DELISTED else tick
    return out


def dim_ticks(dim: pl.DataFrame) -> dict[tuple[str, str, int], int | None]:
    out: dict[tuple[str, str, int], int | None] = {}
    for e, s, lo, hi, tick in dim.select(
        *KEY, "valid_from_ts_us", "valid_until_ts_us", "tick_size"
    ).iter_rows():
        for t in range(max(lo, 0), min(hi, GRID + 6)):
            assert (e, s, t) not in out, f"windows of {e}:{s} overlap at {t}"
            out[(e, s, t)] = tick
    return out


def test_windows_follow_the_latest_fact_and_are_canonical():
    rng = random.Random(1601)
    truth = Truth(rng)
    obs = apply_rows([random_import(rng, truth, range(CASES)) for _ in range(3)])
    dim = windows(obs)
    expected = {k: v for k, v in oracle_ticks(obs).items() if v is not None}
    assert dim_ticks(dim) == expected
    # canonical: two touching windows of a symbol never carry the same attributes
    touching = dim.sort(*KEY, "valid_from_ts_us").with_columns(
        prev_until=pl.col("valid_until_ts_us").shift(1).over(KEY),
        prev_tick=pl.col("tick_size").shift(1).over(KEY),
    )
    touching = touching.filter(pl.col("prev_until") == pl.col("valid_from_ts_us"))
    assert touching.height > 100
    assert (touching["prev_tick"] != touching["tick_size"]).all()
    assert dim["is_current"].to_list() == [u == OPEN_END_US for u in dim["valid_until_ts_us"]]


@pytest.mark.parametrize("replace", [False, True])
def test_any_import_applied_twice_is_applied_once(replace):
    rng = random.Random(1602 + replace)
    truth = Truth(rng)
    before = apply_rows([random_import(rng, truth, range(CASES)) for _ in range(2)])
    rows = random_import(rng, truth, range(0, CASES, 2))
    once = apply(before, rows, replace)
    twice = apply(once, rows, replace)
    assert twice.equals(once)
    assert windows(twice).equals(windows(once))
    assert not windows(once).equals(windows(before))  # the import did change something


def test_imports_commute():
    rng = random.Random(1603)
    truth = Truth(rng)
    files = [random_import(rng, truth, range(CASES)) for _ in range(3)]
    results = [windows(apply_rows(order)) for order in (files, files[::-1], files[1:] + files[:1])]
    assert results[0].equals(results[1]) and results[0].equals(results[2])
    assert results[0]["exchange"].n_unique() == CASES


def test_replace_makes_the_file_the_whole_history_of_its_symbols():
    rng = random.Random(1604)
    truth = Truth(rng)
    before = apply_rows([random_import(rng, truth, range(CASES)) for _ in range(2)])
    rows = random_import(random.Random(7), Truth(random.Random(8)), range(CASES))  # a correction
    after = windows(apply(before, rows, replace=True))
    alone = windows(apply_rows([rows]))
    named = rows.select(KEY).unique()
    assert after.join(named, on=KEY, how="semi").equals(alone)
    untouched = windows(before).join(named, on=KEY, how="anti")
    assert after.join(named, on=KEY, how="anti").equals(untouched)


def test_a_contradiction_names_the_symbol_and_the_instant_in_iso():
    first = pl.DataFrame([("x", "AAA", "2024-01-10", None, "0.1")], COLUMNS, orient="row")
    second = first.with_columns(tick_size=pl.lit("0.2"))
    obs = apply_rows([first])
    with pytest.raises(SymbolDataError, match=r"x:AAA \(ts_us=2024-01-10T00:00:00Z\).*--replace"):
        apply(obs, second)
    assert windows(apply(obs, second, replace=True))["tick_size"].to_list() == [Decimal("0.2")]
