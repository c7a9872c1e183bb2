from __future__ import annotations

import pytest
from deltalake import DeltaTable

from pointline_core.errors import StorageError
from pointline_core.schemas.tables import VALIDATION_LOG
from pointline_core.storage.validation_log import ValidationLog, ValidationOutcome


def test_outcomes_append_in_one_commit_and_read_back(lake):
    log = ValidationLog(lake)
    assert log.frame().schema == VALIDATION_LOG.polars_schema()
    assert log.frame().height == 0
    log.append([])  # nothing to record: no table, no commit
    assert not log.path.exists()
    log.append(
        [
            ValidationOutcome(1, "trades", "non_positive:price", "reject", 3, "price=-1 at row 7"),
            ValidationOutcome(1, "trades", "crossed_book", "warn", 1, None),
            ValidationOutcome(2, "trades", "null:symbol", "reject", 10),
        ]
    )
    assert log.path == lake.root / "control" / "validation_log"
    assert DeltaTable(str(log.path)).version() == 1  # create + one append
    frame = log.frame()
    assert frame.select("file_id", "rule", "count").rows() == [
        (1, "crossed_book", 1),
        (1, "non_positive:price", 3),
        (2, "null:symbol", 10),
    ]
    assert frame["logged_at_us"].n_unique() == 1
    assert frame["sample_detail"].to_list() == [None, "price=-1 at row 7", None]


def test_unknown_severity_is_rejected(lake):
    with pytest.raises(StorageError, match="severity"):
        ValidationLog(lake).append([ValidationOutcome(1, "trades", "r", "fatal", 1)])


def test_append_waits_for_the_tables_write_lock(lake):
    """Compaction and vacuum of validation_log take this lock; an append must too."""
    import threading

    log = ValidationLog(lake)
    held, release = threading.Event(), threading.Event()
    order: list[str] = []

    def holder() -> None:
        with lake.lock("control-validation_log"):
            held.set()
            release.wait(10)
            order.append("released")

    def append() -> None:
        log.append([ValidationOutcome(1, "trades", "r", "warn", 1)])
        order.append("appended")

    threads = [threading.Thread(target=holder), threading.Thread(target=append)]
    threads[0].start()
    assert held.wait(10)
    threads[1].start()
    threads[1].join(0.5)
    assert order == []  # still waiting for the lock
    release.set()
    for t in threads:
        t.join(30)
    assert order == ["released", "appended"]
    assert log.frame().height == 1
