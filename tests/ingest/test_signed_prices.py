"""Issue 17 point 2: spreads and combos trade at zero or negative prices.

The waiver is data: ``ColumnSpec.signed_classes`` on the price columns and the instrument's
point-in-time ``dim_symbol.asset_class``; nothing in the core names a vendor or venue.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from pointline_core import ingest
from pointline_core.ingest.validate import ASSET_CLASS, apply_rules, core_rules
from pointline_core.schemas import SIGNED_PRICE_CLASSES
from pointline_core.schemas.tables import (
    BOOK_SNAPSHOTS,
    LIQUIDATIONS,
    OPTIONS_CHAIN,
    ORDERBOOK_UPDATES,
    TRADES,
)
from pointline_core.storage.dim_symbol import DimSymbolStore
from pointline_core.storage.lake import Lake
from tests.ingest.conftest import DAY, T0
from tests.ingest.fake_vendor import write_trades


def _symbols(lake_root, rows: list[tuple[str, str, int, int | None, str]]) -> None:
    """(exchange, symbol, valid_from, valid_until, asset_class) windows."""
    frame = pl.DataFrame(
        rows,
        schema={
            "exchange": pl.String,
            "exchange_symbol": pl.String,
            "valid_from_ts_us": pl.Int64,
            "valid_until_ts_us": pl.Int64,
            "asset_class": pl.String,
        },
        orient="row",
    )
    DimSymbolStore(Lake(lake_root)).apply(frame)


def _quarantine(lake_root) -> pl.DataFrame:
    return pl.read_delta(str(lake_root / "quarantine" / "trades"))


def test_price_columns_declare_the_classes_that_may_be_signed():
    for spec in (TRADES, ORDERBOOK_UPDATES, LIQUIDATIONS):
        col = spec.column("price")
        assert col.positive and col.signed_classes == SIGNED_PRICE_CLASSES
    for name in ("bid_prices", "ask_prices"):
        col = BOOK_SNAPSHOTS.column(name)
        assert col.positive and col.signed_classes == SIGNED_PRICE_CLASSES
    # a strike is never negative, whatever the instrument
    assert OPTIONS_CHAIN.column("strike_price").signed_classes == ()
    assert set(SIGNED_PRICE_CLASSES) == {"spread", "combo"}


def test_negative_spread_price_lands_and_is_still_quarantined_elsewhere(bronze, lake_root, plugins):
    """A calendar-spread combo trades at -12.5 and 0; the same prices on a spot pair are
    quarantined; a symbol that was spot until T0+2000 and a spread after is judged by the
    class of the window each row falls in (point in time)."""
    _symbols(
        lake_root,
        [
            ("utcx", "BTC-FS-29MAR24_PERP", T0 - DAY, None, "combo"),
            ("utcx", "ETH-USD", T0 - DAY, None, "spot"),
            ("utcx", "RELISTED", T0 - DAY, T0 + 2_000, "spot"),
            ("utcx", "RELISTED", T0 + 2_000, None, "spread"),
        ],
    )
    rows = [(T0 + i * 1_000, p, "1.5", "b", f"t{i}") for i, p in enumerate(["-12.5", "0", "3"])]
    write_trades(bronze, "utcx", "BTC-FS-29MAR24_PERP", rows)
    write_trades(bronze, "utcx", "ETH-USD", rows)
    relisted = [(T0 + i * 1_000, p, "1.5", "s", f"r{i}") for i, p in enumerate(["-1", "-2", "-3"])]
    write_trades(bronze, "utcx", "RELISTED", relisted)
    report = ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert {f.status for f in report.files} == {"success", "quarantined"}

    good = pl.read_delta(str(lake_root / "silver" / "trades")).sort("symbol", "file_seq")
    by_symbol = {
        s: g["price"].to_list() for (s,), g in good.group_by("symbol", maintain_order=True)
    }
    assert by_symbol["BTC-FS-29MAR24_PERP"] == [Decimal("-12.5"), 0, 3]
    assert by_symbol["ETH-USD"] == [3]
    # RELISTED: spot at T0 and T0+1000 (-1, -2 rejected), a spread from T0+2000 (-3 lands)
    assert by_symbol["RELISTED"] == [-3]
    bad = _quarantine(lake_root).sort("symbol", "file_seq")
    assert bad.select("symbol", "file_seq", "reason").rows() == [
        ("ETH-USD", 0, "not_positive:price"),
        ("ETH-USD", 1, "not_positive:price"),
        ("RELISTED", 0, "not_positive:price"),
        ("RELISTED", 1, "not_positive:price"),
    ]
    assert "_asset_class" not in good.columns and "_asset_class" not in bad.columns


def test_rule_without_a_class_column_keeps_rejecting():
    """apply_rules on a frame with no instrument class (no dim_symbol window known): the
    waiver never applies, so nothing is let through by accident."""
    frame = pl.DataFrame({"price": [-1, 0, 5], "qty": [1, 1, 1]}).with_columns(
        pl.lit("x").alias(c) for c in ("exchange", "symbol", "side")
    )
    rules = [r for r in core_rules(TRADES) if r.name == "not_positive:price"]
    out = apply_rules(frame, rules)
    assert out["_reject_reason"].to_list() == ["not_positive:price", "not_positive:price", None]
    assert ASSET_CLASS not in out.columns
    classes = frame.with_columns(pl.Series(ASSET_CLASS, ["combo", None, "spot"]))
    out = apply_rules(classes, rules)
    assert out["_reject_reason"].to_list() == [None, "not_positive:price", None]


def test_level_arrays_are_positive_by_their_smallest_present_level():
    frame = pl.DataFrame(
        {
            "bid_prices": [[5, 4, None], [5, 0], [-2, -3], [None, None]],
            ASSET_CLASS: ["spot", "spot", "spread", "spot"],
        }
    )
    rules = [r for r in core_rules(BOOK_SNAPSHOTS) if r.name == "not_positive:bid_prices"]
    out = apply_rules(frame, rules)
    assert out["_reject_reason"].to_list() == [None, "not_positive:bid_prices", None, None]


def test_class_lookup_only_for_batches_with_a_price_at_or_below_zero():
    from pointline_core.ingest.validate import needs_asset_class

    assert needs_asset_class(TRADES) and not needs_asset_class(OPTIONS_CHAIN)
    assert not needs_asset_class(TRADES, pl.DataFrame({"price": [1, 2, None]}))
    assert needs_asset_class(TRADES, pl.DataFrame({"price": [1, 0]}))
    assert needs_asset_class(BOOK_SNAPSHOTS, pl.DataFrame({"bid_prices": [[3], [2, -1]]}))
    assert not needs_asset_class(BOOK_SNAPSHOTS, pl.DataFrame({"bid_prices": [[3], [None]]}))


def test_a_negative_price_without_any_window_is_symbol_not_covered(bronze, lake_root, plugins):
    """The class of a symbol with no window is unknown: its rows wait as symbol_not_covered
    (which --retry-quarantined revisits after the instruments are imported), not as a price
    error; once the combo's window exists they land."""
    _symbols(lake_root, [("utcx", "OTHER", T0 - DAY, None, "spot")])
    rows = [(T0 + i * 1_000, p, "1.5", "b", f"t{i}") for i, p in enumerate(["-12.5", "3"])]
    write_trades(bronze, "utcx", "NEWCOMBO", rows)
    ingest(bronze, lake_root, plugins=plugins, progress=False)
    assert _quarantine(lake_root)["reason"].to_list() == ["symbol_not_covered"] * 2
    _symbols(lake_root, [("utcx", "NEWCOMBO", T0 - DAY, None, "combo")])
    ingest(bronze, lake_root, plugins=plugins, progress=False, retry_quarantined=True)
    good = pl.read_delta(str(lake_root / "silver" / "trades")).sort("file_seq")
    assert good["price"].to_list() == [Decimal("-12.5"), 3]
