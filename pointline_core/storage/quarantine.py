"""Quarantine tables: rows validation rejected, with the reason, never silently dropped.

A quarantine table mirrors its event table (same name, under ``<lake>/quarantine/``) with
every canonical column nullable, because a rejected row may lack exactly the value whose
absence got it rejected; only the lineage (file_id, file_seq) is always known. Rows are
partitioned like the event table; a null partition value lands in Delta's default
partition (``__HIVE_DEFAULT_PARTITION__``).
"""

from __future__ import annotations

import functools

import attrs

from pointline_core.schemas.spec import ColumnSpec, TableSpec
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake, Zone

LINEAGE_COLUMNS = ("file_id", "file_seq")
QUARANTINE_COLUMNS = (
    ColumnSpec("reason", "String", False, description="first rule the row failed"),
    ColumnSpec("detail", "String", True, description="the offending value or context"),
)


@functools.cache  # asked once per Bronze file; specs are immutable and few
def quarantine_spec(spec: TableSpec) -> TableSpec:
    """The quarantine table of ``spec``: canonical columns relaxed, plus reason and detail."""
    columns = tuple(
        attrs.evolve(
            c,
            nullable=c.name not in LINEAGE_COLUMNS,
            allowed=None,
            positive=False,
            signed_classes=(),
        )
        for c in spec.columns
    )
    # Columns the event table gained later go after reason/detail: the quarantine table of
    # a lake written before them then also only grows at its end (see storage.migrate).
    first = tuple(c for c in columns if not c.added_later)
    later = tuple(c for c in columns if c.added_later)
    return attrs.evolve(
        spec,
        columns=first + QUARANTINE_COLUMNS + later,
        tie_break=("file_id", "file_seq"),
        description=f"Rows of {spec.name} rejected by validation, with the reason.",
    )


class QuarantineStore(EventStore):
    """The quarantine table of one event table at ``<lake>/quarantine/<spec.name>``.

    Same API and atomicity as :class:`EventStore`; ``spec`` is the *event* table's spec.
    """

    zone: Zone = "quarantine"

    def __init__(self, lake: Lake, spec: TableSpec) -> None:
        is_quarantine = all(c in spec.columns for c in QUARANTINE_COLUMNS)
        qspec = spec if is_quarantine else quarantine_spec(spec)
        super().__init__(lake, qspec)
        self.event_spec = spec
