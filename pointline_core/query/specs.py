"""Which TableSpec describes a table name, and where in the lake the table lives.

Core tables are known without loading any plugin; a name that is not a core table is looked
up in the given ``plugins`` (or, by default, in the installed plugins, loaded on first need).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pointline_core.errors import QueryError
from pointline_core.gold.specs import GOLD_TABLES
from pointline_core.schemas.spec import TableSpec
from pointline_core.schemas.tables import CORE_TABLES
from pointline_core.storage.lake import Zone

if TYPE_CHECKING:
    from pointline_core.plugins import Plugins

_CORE: dict[str, TableSpec] = {spec.name: spec for spec in CORE_TABLES}


def table_spec(
    table: str, *, spec: TableSpec | None = None, plugins: Plugins | None = None
) -> TableSpec:
    """The spec of ``table``: ``spec`` if given, else a core table, else a plugin table.

    Raises :class:`~pointline_core.errors.UnknownTableError` naming the known tables, or
    :class:`~pointline_core.errors.QueryError` if ``spec`` names another table.
    """
    if spec is not None:
        if spec.name != table:
            raise QueryError(f"spec {spec.name!r} was passed for table {table!r}")
        return spec
    if plugins is None and table in _CORE:
        return _CORE[table]
    if table in GOLD_TABLES:
        return GOLD_TABLES[table]
    if plugins is None:
        from pointline_core.plugins import load_plugins

        plugins = load_plugins()
    return plugins.tables.get(table)


def table_zone(spec: TableSpec) -> Zone:
    """Control tables live in ``control/``, Gold tables (bars) in ``gold/``; event tables and
    dimensions in ``silver/``."""
    if GOLD_TABLES.get(spec.name) == spec:
        return "gold"
    return "control" if spec.kind == "control" else "silver"
