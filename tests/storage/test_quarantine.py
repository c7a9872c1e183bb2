from __future__ import annotations

import polars as pl
import pytest

from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.registry import validate_table_spec
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.quarantine import QuarantineStore, quarantine_spec


def test_quarantine_spec_relaxes_everything_but_lineage():
    spec = quarantine_spec(TRADES)
    assert spec.name == "trades"
    first = tuple(c.name for c in TRADES.columns if not c.added_later)
    later = tuple(c.name for c in TRADES.columns if c.added_later)
    assert spec.column_names == (*first, "reason", "detail", *later)
    assert spec.partition_by == TRADES.partition_by
    not_null = {c.name for c in spec.columns if not c.nullable}
    assert not_null == {"file_id", "file_seq", "reason"}
    assert all(c.allowed is None and not c.positive for c in spec.columns)
    validate_table_spec(spec, "test")


def _bad_rows(trades, file_id: int, n: int) -> pl.DataFrame:
    frame = trades(file_id, n).with_columns(
        reason=pl.lit("non_positive:price"), detail=pl.lit("-1")
    )
    # rows rejected before a trading_date could be derived
    return (
        frame.with_columns(exchange=pl.lit(None, pl.String), trading_date=pl.lit(None, pl.Date))
        .cast(dict(quarantine_spec(TRADES).polars_schema()))
        .select(quarantine_spec(TRADES).column_names)
    )


def test_quarantine_store_lives_under_quarantine_and_takes_null_partitions(lake, trades):
    store = QuarantineStore(lake, TRADES)
    assert store.path == lake.root / "quarantine" / "trades"
    result = store.append([_bad_rows(trades, 3, 4)], [3])
    assert result.rows == 4 and result.version == 1
    assert store.committed_file_ids([3]) == {3}
    rows = store.frame()
    assert rows.height == 4 and rows["exchange"].null_count() == 4
    assert rows["reason"].to_list() == ["non_positive:price"] * 4
    assert store.delete_files([3]) == 4
    assert store.committed_file_ids([3]) == set()


def test_quarantine_rejects_rows_without_reason(lake, trades):
    store = QuarantineStore(lake, TRADES)
    with pytest.raises(SchemaMismatchError, match="reason"):
        store.append([_bad_rows(trades, 1, 2).drop("reason")], [1])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.with_columns(pl.col("file_seq").cast(pl.Int32)), "file_seq is Int32"),
        (lambda f: f.with_columns(pl.col("reason").cast(pl.Categorical)), "reason is Categorical"),
        (lambda f: f.with_columns(rule_id=pl.lit(1)), r"unexpected columns \['rule_id'\]"),
    ],
    ids=["wrong-dtype", "categorical-reason", "extra-column"],
)
def test_quarantine_write_with_wrong_schema_is_rejected_and_table_unchanged(
    lake, trades, change, message
):
    from deltalake import DeltaTable

    store = QuarantineStore(lake, TRADES)
    store.append([_bad_rows(trades, 1, 2)], [1])
    version = DeltaTable(str(store.path)).version()
    with pytest.raises(SchemaMismatchError, match=message):
        store.append([_bad_rows(trades, 2, 2), change(_bad_rows(trades, 2, 2))], [2])
    assert DeltaTable(str(store.path)).version() == version
    assert store.committed_file_ids([1, 2]) == {1}
    assert store.frame().equals(_bad_rows(trades, 1, 2))
