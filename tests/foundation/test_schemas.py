"""Table specs: polars/Arrow round trips, plugin table validation, fixed-point overflow."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from pointline_core.errors import TableSpecError
from pointline_core.fixedpoint import decode, encode, encode_reason
from pointline_core.schemas import (
    COMMON_EVENT_COLUMNS,
    CORE_TABLES,
    EVENT_TABLES,
    ColumnSpec,
    TableRegistry,
    TableSpec,
)
from pointline_core.serde import from_dict, to_dict


@pytest.mark.parametrize("spec", CORE_TABLES, ids=lambda s: s.name)
def test_spec_round_trips_to_polars_and_arrow(spec):
    schema = spec.polars_schema()
    assert list(schema) == list(spec.column_names)
    arrow = spec.arrow_schema()
    assert [arrow.field(i).name for i in range(len(arrow))] == list(spec.column_names)
    assert [arrow.field(i).nullable for i in range(len(arrow))] == [
        c.nullable for c in spec.columns
    ]
    # Arrow -> polars gives back exactly the spec's polars dtypes.
    back = pl.DataFrame(schema=schema).cast(schema)
    assert back.schema == schema
    # The spec serialises and restores unchanged (it is what `pointline tables --json` prints).
    assert from_dict(to_dict(spec), TableSpec) == spec


def test_event_tables_carry_common_columns_and_valid_keys():
    for spec in EVENT_TABLES:
        assert spec.column_names[: len(COMMON_EVENT_COLUMNS)] == COMMON_EVENT_COLUMNS
        assert spec.partition_by == ("exchange", "trading_date")
        assert set(spec.tie_break) <= set(spec.column_names)
        assert "file_seq" in spec.tie_break


def _event(name, columns, **kw):
    base = next(t for t in EVENT_TABLES if t.name == "trades")
    common = tuple(c for c in base.columns if c.name in COMMON_EVENT_COLUMNS)
    kw.setdefault("partition_by", ("exchange", "trading_date"))
    kw.setdefault("tie_break", ("ts_event_us", "file_id", "file_seq"))
    return TableSpec(name, "event", common + columns, **kw)


def test_valid_plugin_table_is_accepted():
    reg = TableRegistry(
        {"plugin x": [_event("bars_1m", (ColumnSpec("close", "Decimal(38,9)", scale=9),))]}
    )
    assert "bars_1m" in reg and reg.owner("bars_1m") == "plugin x"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_event("trades", ()), "already defined"),
        (_event("x_bars", (), tie_break=("nope",)), "tie_break names unknown columns"),
        (TableSpec("x_bars", "event", (ColumnSpec("exchange", "String"),)), "common event columns"),
        (_event("Bad-Name", ()), "lower_snake_case"),
        (_event("x_bars", (ColumnSpec("px", "Float64", scale=2),)), r"must be 'Decimal\(38,2\)'"),
        (
            _event("x_bars", (ColumnSpec("px", "Int64", scale=9),)),
            "Int64 fixed point was plugin API 1.x",
        ),
        (_event("x_bars", (ColumnSpec("px", "Decimal(38,2)"),)), "must set scale= to its decimal"),
        (_event("x_bars", (ColumnSpec("exchange", "String"),)), "duplicate columns"),
        (
            _event("x_bars", (ColumnSpec("px", "Int64", signed_classes=("spread",)),)),
            "signed_classes only waives",
        ),
        (
            _event(
                "x_bars", (ColumnSpec("a", "Int64", added_later=True), ColumnSpec("b", "Int64"))
            ),
            "added_later columns must be nullable and come last",
        ),
        (
            _event("x_bars", (ColumnSpec("a", "Int64", False, added_later=True),)),
            "added_later columns must be nullable and come last",
        ),
    ],
)
def test_invalid_plugin_table_is_rejected(spec, message):
    with pytest.raises(TableSpecError, match=message) as exc:
        TableRegistry({"plugin x": [spec]})
    assert "plugin x" in str(exc.value)


def test_unknown_dtype_is_rejected_at_construction():
    with pytest.raises(ValueError, match="unknown dtype"):
        ColumnSpec("x", "Int65")


def test_decimal_overflow_is_detected_never_wrapped():
    big = "123456789012345678901"  # 21 integer digits: beyond Decimal(38, 18)
    df = pl.DataFrame({"qty": ["35000000000", "500000000000", "1e-10", "0.1", "abc", None, big]})
    out = df.select(v=encode("qty", 18), why=encode_reason("qty", 18, "qty"))
    assert out.schema["v"] == pl.Decimal(38, 18)
    assert out["v"].to_list() == [
        Decimal("35000000000"),
        Decimal("500000000000"),  # 5e11: overflowed the Int64 fixed point (scale 8)
        Decimal("1E-10"),  # rounded to 0 at scale 9
        Decimal("0.1"),
        None,
        None,
        None,
    ]
    assert out["why"].to_list() == [None] * 4 + ["not_a_number:qty", None, "overflow:qty"]
    assert out.select(decode("v", 18))["v"].to_list()[:4] == [35e9, 5e11, 1e-10, 0.1]
    assert out.select(decode("v", 18, exact=True))["v"].equals(out["v"])


def test_spec_difference_names_every_column_field():
    import attrs

    from pointline_core.schemas.registry import spec_difference
    from pointline_core.schemas.spec import ColumnSpec
    from pointline_core.schemas.tables import TRADES

    price = TRADES.column("price")
    changed = {
        "added_later": True,
        "signed_classes": ("spread",),
        "description": "other",
        "positive": False,
    }
    for field, value in changed.items():
        assert field in {f.name for f in attrs.fields(ColumnSpec)}
        other = attrs.evolve(
            TRADES,
            columns=tuple(
                attrs.evolve(c, **{field: value}) if c is price else c for c in TRADES.columns
            ),
        )
        assert spec_difference(TRADES, other).startswith(f"column 'price': {field} "), field
