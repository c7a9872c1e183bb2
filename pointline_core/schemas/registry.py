"""The table registry: core tables plus validated tables contributed by plugins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from pointline_core.errors import TableSpecError, UnknownTableError
from pointline_core.schemas.spec import COMMON_EVENT_COLUMNS, ColumnSpec, TableSpec, decimal_dtype
from pointline_core.schemas.tables import CORE_TABLES

#: The owner recorded for core tables.
CORE_OWNER = "pointline_core"


# Derived from the classes, so a field added to a spec is compared too.
_COLUMN_FIELDS = tuple(f.name for f in attrs.fields(ColumnSpec) if f.name != "name")
_TABLE_FIELDS = tuple(
    f.name for f in attrs.fields(TableSpec) if f.name not in ("name", "kind", "columns")
)


def spec_difference(first: TableSpec, second: TableSpec) -> str | None:
    """The first way ``second`` differs from ``first`` (None when they are identical), in
    words: the kind, the first differing column (by position) and field, the keys."""
    if first == second:
        return None
    if first.kind != second.kind:
        return f"kind {first.kind!r} vs {second.kind!r}"
    for i, (a, b) in enumerate(zip(first.columns, second.columns, strict=False)):
        if a.name != b.name:
            return f"column {i + 1} is {a.name!r} vs {b.name!r}"
        for field in _COLUMN_FIELDS:
            if getattr(a, field) != getattr(b, field):
                return f"column {a.name!r}: {field} {getattr(a, field)!r} vs {getattr(b, field)!r}"
    if len(first.columns) != len(second.columns):
        longer = first if len(first.columns) > len(second.columns) else second
        extra = longer.columns[min(len(first.columns), len(second.columns))].name
        return f"{len(first.columns)} vs {len(second.columns)} columns (first extra: {extra!r})"
    for field in _TABLE_FIELDS:
        if getattr(first, field) != getattr(second, field):
            return f"{field} {getattr(first, field)!r} vs {getattr(second, field)!r}"
    return "the specs differ"  # unreachable: every field of both classes is compared above


def validate_table_spec(spec: TableSpec, owner: str) -> None:
    """Raise ``TableSpecError`` naming ``owner`` if ``spec`` is not a usable table."""
    where = f"table {spec.name!r} from {owner}"
    if not spec.name or not spec.name.replace("_", "").isalnum() or spec.name != spec.name.lower():
        raise TableSpecError(f"{where}: name must be lower_snake_case")
    names = spec.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TableSpecError(f"{where}: duplicate columns {dupes}")
    for role, keys in (("partition_by", spec.partition_by), ("tie_break", spec.tie_break)):
        missing = [k for k in keys if k not in names]
        if missing:
            raise TableSpecError(f"{where}: {role} names unknown columns {missing}")
    if spec.kind == "event":
        missing = [c for c in COMMON_EVENT_COLUMNS if c not in names]
        if missing:
            raise TableSpecError(
                f"{where}: event tables must carry the common event columns; missing {missing}"
            )
        if tuple(spec.partition_by) != ("exchange", "trading_date"):
            raise TableSpecError(f"{where}: event tables partition by (exchange, trading_date)")
    for col in spec.columns:
        if col.scale is not None and col.dtype not in (
            decimal_dtype(col.scale),
            f"List[{decimal_dtype(col.scale)}]",
        ):
            raise TableSpecError(
                f"{where}: decimal column {col.name!r} (scale {col.scale}) must be "
                f"{decimal_dtype(col.scale)!r} or 'List[{decimal_dtype(col.scale)}]', not "
                f"{col.dtype!r} (Int64 fixed point was plugin API 1.x; see "
                "docs/numeric-representation.md)"
            )
        if col.scale is None and "Decimal(" in col.dtype:
            raise TableSpecError(
                f"{where}: decimal column {col.name!r} must set scale= to its decimal places"
            )
        if col.signed_classes and not col.positive:
            raise TableSpecError(
                f"{where}: column {col.name!r} names signed_classes but is not positive; "
                "signed_classes only waives the positive rule"
            )
    flags = [c.added_later for c in spec.columns]
    later = flags[flags.index(True) :] if True in flags else []
    if not all(later) or any(c.added_later and not c.nullable for c in spec.columns):
        raise TableSpecError(
            f"{where}: added_later columns must be nullable and come last (a table written "
            "before them is migrated by adding them at its end)"
        )


class TableRegistry:
    """Name -> TableSpec for the core tables and every plugin's extra tables."""

    def __init__(self, extra: Mapping[str, Iterable[TableSpec]] | None = None) -> None:
        self._specs: dict[str, TableSpec] = {t.name: t for t in CORE_TABLES}
        self._owner: dict[str, str] = {t.name: CORE_OWNER for t in CORE_TABLES}
        for owner, specs in (extra or {}).items():
            for spec in specs:
                self.add(spec, owner)

    def add(self, spec: TableSpec, owner: str) -> None:
        if not isinstance(spec, TableSpec):
            raise TableSpecError(f"{owner} returned {type(spec).__name__}, expected TableSpec")
        if spec.name in self._specs:
            taken = self._owner[spec.name]
            advice = (
                "; map your data type to the core table (pointline_table_mapping) instead of "
                "contributing it, or give yours another name"
                if taken == CORE_OWNER
                else ""
            )
            raise TableSpecError(
                f"table {spec.name!r} from {owner} is already defined by {taken}{advice}"
            )
        validate_table_spec(spec, owner)
        self._specs[spec.name] = spec
        self._owner[spec.name] = owner

    def get(self, name: str) -> TableSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownTableError(
                f"unknown table {name!r}; known tables: {', '.join(sorted(self._specs))}"
            ) from None

    def share(self, spec: TableSpec, owner: str) -> None:
        """Record ``owner`` as another contributor of a plugin table already registered with
        exactly this spec (see the sharing rule in :mod:`pointline_core.plugins`)."""
        if self._specs.get(spec.name) != spec or self._owner[spec.name] == CORE_OWNER:
            raise TableSpecError(f"table {spec.name!r} from {owner} cannot share: specs differ")
        self._owner[spec.name] = f"{self._owner[spec.name]}, {owner}"

    def owner(self, name: str) -> str:
        """Who contributed the table: ``pointline_core``, or ``plugin 'x'`` (comma-separated
        when plugins share it)."""
        return self._owner[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def names(self) -> list[str]:
        return sorted(self._specs)

    def specs(self) -> list[TableSpec]:
        return [self._specs[n] for n in self.names()]
