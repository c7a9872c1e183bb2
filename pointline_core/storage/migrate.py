"""Explicit migration of a lake written by an earlier version: the additive kind only.

The one schema change Pointline makes to an existing table is to add nullable columns at the
end of a spec (``orderbook_updates.book_reset`` and ``before_first_snapshot`` were added this
way). Readers fill such columns with nulls and ingest adds them to a table before it appends,
so nothing breaks; maintenance (compaction), which checks the exact schema, needs the
table migrated first. :func:`migrate_lake` does it for every event table and its quarantine.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from pointline_core.plugins import Plugins, load_plugins
from pointline_core.storage.events import EventStore
from pointline_core.storage.lake import Lake
from pointline_core.storage.quarantine import QuarantineStore


@attrs.frozen(slots=True)
class MigrationReport:
    """Tables that gained columns (``zone/table``) and those already current."""

    lake_root: str
    migrated: tuple[str, ...]
    unchanged: tuple[str, ...]


def migrate_lake(lake_root: str | Path, plugins: Plugins | None = None) -> MigrationReport:
    """Add the nullable columns each existing event/quarantine table lacks; idempotent.

    Raises :class:`~pointline_core.errors.SchemaMismatchError` for a table whose difference
    from its spec is not additive (that is not a migration but a wrong lake root).
    """
    lake = Lake(Path(lake_root).resolve())
    plugins = plugins if plugins is not None else load_plugins()
    migrated: list[str] = []
    unchanged: list[str] = []
    for name in plugins.tables.names():
        spec = plugins.tables.get(name)
        if spec.kind != "event":
            continue
        for store in (EventStore(lake, spec), QuarantineStore(lake, spec)):
            if not store.exists():
                continue
            label = f"{store.zone}/{name}"
            (migrated if store.migrate() else unchanged).append(label)
    return MigrationReport(str(lake.root), tuple(migrated), tuple(unchanged))
