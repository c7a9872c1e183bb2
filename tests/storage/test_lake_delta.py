from __future__ import annotations

import polars as pl
import pytest

from pointline_core.errors import SchemaMismatchError
from pointline_core.schemas.tables import TRADES
from pointline_core.storage.delta import check_frame, partition_predicate, sql_literal
from pointline_core.storage.lake import Lake


def test_table_paths_follow_the_documented_layout(tmp_path):
    lake = Lake(tmp_path)
    assert lake.table_path("trades", "silver") == tmp_path / "silver" / "trades"
    assert lake.table_path("trades", "quarantine") == tmp_path / "quarantine" / "trades"
    assert lake.table_path("ingest_manifest", "control") == tmp_path / "control" / "ingest_manifest"
    assert lake.table_path("dim_symbol", "silver") == tmp_path / "silver" / "dim_symbol"
    assert lake.table_path("bars_1m", "gold") == tmp_path / "gold" / "bars_1m"
    with pytest.raises(ValueError, match="zone"):
        lake.table_path("trades", "platinum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid table name"):
        lake.table_path("../x", "silver")


def test_lock_dir_is_created_only_when_a_lock_is_asked_for(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    assert not (tmp_path / "lake").exists()
    lock = lake.lock("ingest")
    assert lock.lock_file == str(tmp_path / "lake" / "_locks" / "ingest.lock")
    with lock, lake.lock("ingest"):  # reentrant within one process
        assert lock.is_locked


def test_check_frame_accepts_exact_schema(trades):
    check_frame(trades(1, 3), TRADES)
    check_frame(trades(1, 3).select("exchange", "price"), TRADES, ["price", "exchange"])


def test_check_frame_names_table_and_each_problem(trades):
    frame = trades(1, 3).with_columns(pl.col("price").cast(pl.Int32), extra=pl.lit(1))
    frame = frame.drop("qty")
    with pytest.raises(SchemaMismatchError) as err:
        check_frame(frame, TRADES)
    msg = str(err.value)
    assert "'trades'" in msg
    assert "missing columns ['qty']" in msg
    assert "unexpected columns ['extra']" in msg
    assert "price is Int32" in msg


def test_check_frame_rejects_nulls_in_non_nullable_columns(trades):
    frame = trades(1, 3).with_columns(price=pl.lit(None, pl.Decimal(38, 18)))
    with pytest.raises(
        SchemaMismatchError, match=r"nulls in non-nullable columns \['price \(3\)'\]"
    ):
        check_frame(frame, TRADES)
    # nullable columns may hold nulls
    check_frame(trades(1, 3).with_columns(trade_id=pl.lit(None, pl.String)), TRADES)


def test_check_frame_rejects_datetime_with_other_timezone():
    from pointline_core.schemas.spec import ColumnSpec, TableSpec

    spec = TableSpec("t", "control", (ColumnSpec("at", "Datetime"),))
    frame = pl.DataFrame({"at": [0]}).with_columns(pl.col("at").cast(pl.Datetime("us")))
    with pytest.raises(SchemaMismatchError, match="at is Datetime"):
        check_frame(frame, spec)


def test_predicate_literals_are_quoted():
    assert sql_literal("o'x") == "'o''x'"
    assert partition_predicate({"exchange": "a", "trading_date": None}) == (
        "exchange = 'a' AND trading_date IS NULL"
    )


def test_lock_excludes_other_threads(tmp_path):
    import threading
    import time

    lake = Lake(tmp_path)
    events: list[tuple[str, int]] = []

    def work(n: int) -> None:
        with lake.lock("t"):
            events.append(("in", n))
            time.sleep(0.05)
            events.append(("out", n))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # never two holders at once: every "in" is followed by its own "out"
    assert all(events[i][1] == events[i + 1][1] for i in range(0, len(events), 2))
