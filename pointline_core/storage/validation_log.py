"""``control/validation_log``: one row per (file, table, rule) outcome of a validation run."""

from __future__ import annotations

import time
from collections.abc import Sequence

import attrs
import polars as pl

from pointline_core.errors import StorageError
from pointline_core.schemas.tables import VALIDATION_LOG
from pointline_core.storage.delta import create_table, read_table, write_stream
from pointline_core.storage.environment import on_table
from pointline_core.storage.lake import Lake

TABLE = VALIDATION_LOG.name
SEVERITIES = VALIDATION_LOG.column("severity").allowed or ()
LOCK_NAME = f"control-{TABLE}"


@attrs.frozen(slots=True)
class ValidationOutcome:
    """How many rows of one file broke one rule, with one example for a human."""

    file_id: int
    table_name: str
    rule: str
    severity: str
    count: int
    sample_detail: str | None = None


class ValidationLog:
    """``<lake>/control/validation_log`` (append-only)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.path = lake.table_path(TABLE, "control")
        self.spec = VALIDATION_LOG

    @on_table
    def append(self, outcomes: Sequence[ValidationOutcome]) -> None:
        """Record a batch of outcomes in one commit (nothing to record: no commit)."""
        if not outcomes:
            return
        bad = sorted({o.severity for o in outcomes} - set(SEVERITIES))
        if bad:
            raise StorageError(
                f"validation outcome severity {bad} is not one of {list(SEVERITIES)}; "
                f"nothing was written to {self.path}"
            )
        schema = {
            a.name: self.spec.column(a.name).polars_dtype() for a in attrs.fields(ValidationOutcome)
        }
        frame = pl.DataFrame(
            [attrs.astuple(o) for o in outcomes], schema=schema, orient="row"
        ).with_columns(logged_at_us=pl.lit(time.time_ns() // 1_000, pl.Int64))
        # the table's write lock, which compaction and vacuum of the table take too
        with self.lake.lock(LOCK_NAME):
            create_table(self.path, self.spec)
            write_stream(self.path, self.spec, [frame])

    @on_table
    def frame(self) -> pl.DataFrame:
        """Every outcome, oldest first then by (file_id, table_name, rule)."""
        return read_table(self.path, self.spec).sort("logged_at_us", *self.spec.tie_break)
