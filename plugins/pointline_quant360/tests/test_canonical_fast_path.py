"""The one-query path of ``canonical._finish`` (checked columns read as they came) gives exactly
what mapping the stripped text gives, on every stream, with padded, blank and empty cells
sprinkled in: such cells must either map the same or raise a flag."""

from __future__ import annotations

import io
import random
from pathlib import Path

import polars as pl
import pytest
from pointline_quant360 import canonical, sample

from pointline_core.models import BronzeFile

STREAMS = {
    ("szse", "order_new"): "l3_orders",
    ("sse", "order_new"): "l3_orders",
    ("szse", "tick_new"): "l3_trades",
    ("sse", "tick_new"): "l3_trades",
    ("szse", "L2_new"): "l2_snapshots",
}
DAY = sample.build_day(events=80)


def _members(exchange: str, stream: str) -> list[tuple[str, pl.DataFrame]]:
    tag = "SH" if exchange == "sse" else "SZ"
    (members,) = [m for name, m in DAY.items() if name.startswith(f"{stream}_STK_{tag}_")]
    return [
        (
            name.rsplit("/", 1)[-1].removesuffix(".csv"),
            pl.read_csv(io.BytesIO(data), infer_schema=False),
        )
        for name, data in sorted(members.items())
    ]


def _sprinkle(frame: pl.DataFrame, seed: int, share: float) -> pl.DataFrame:
    """Pad, blank or empty about ``share`` of the cells (seeded)."""
    rng = random.Random(seed)
    edits = [" {}", "{} ", "\t{}", "  ", "", "{}"]
    columns = {}
    for name in frame.columns:
        values = frame.get_column(name).to_list()
        columns[name] = [
            rng.choice(edits).format(v) if v is not None and rng.random() < share else v
            for v in values
        ]
    return pl.DataFrame(columns, schema=frame.schema)


def _both(exchange: str, stream: str, symbol: str, frame: pl.DataFrame):
    mapping = canonical.mapping_for(exchange, stream, STREAMS[(exchange, stream)])
    symbols = pl.repeat(symbol, frame.height, dtype=pl.String, eager=True)
    fast = canonical._finish(frame, mapping, symbols)
    slow = canonical._finish(frame, mapping, symbols, prepare_all=True)
    return fast, slow


@pytest.mark.parametrize(("exchange", "stream"), sorted(STREAMS))
def test_clean_members_take_one_query_and_match_the_prepared_path(exchange, stream):
    for symbol, frame in _members(exchange, stream):
        fast, slow = _both(exchange, stream, symbol, frame)
        assert fast.equals(slow)
        assert fast.get_column("_reject_reason").null_count() == frame.height  # all clean


@pytest.mark.parametrize(("exchange", "stream"), sorted(STREAMS))
@pytest.mark.parametrize("share", [0.002, 0.05])
def test_padded_and_blank_cells_map_like_the_stripped_text(exchange, stream, share):
    flagged = 0
    for seed, (symbol, frame) in enumerate(_members(exchange, stream)):
        dirty = _sprinkle(frame, seed, share)
        fast, slow = _both(exchange, stream, symbol, dirty)
        assert fast.equals(slow), (exchange, stream, symbol)
        flagged += fast.get_column("_reject_reason").is_not_null().sum()
    assert flagged > 0  # the sprinkling did reach checked cells


def test_the_file_meta_symbol_lands_on_each_files_rows():
    files, frames = [], []
    for symbol, frame in _members("sse", "order_new"):
        rel = (
            f"quant360/exchange=sse/type=order_new/date=2024-01-02/symbol={symbol}/{symbol}.csv.gz"
        )
        meta = (("date", "2024-01-02"), ("exchange", "sse"), ("symbol", symbol))
        files.append(BronzeFile("quant360", "order_new", Path(rel), rel, meta))
        frames.append(frame)
    together = canonical.canonicalize_files(files, "l3_orders", frames)
    apart = pl.concat(
        [canonical.canonicalize(f, "l3_orders", x) for f, x in zip(files, frames, strict=True)]
    )
    assert together.equals(apart)
    assert together.get_column("_reject_reason").null_count() == together.height
    assert together.get_column("symbol").unique().sort().to_list() == sorted(
        s for s, _ in _members("sse", "order_new")
    )
