"""ColumnSpec and TableSpec: the declarative description of a canonical table."""

from __future__ import annotations

import re
from typing import Literal

import attrs
import polars as pl

TableKind = Literal["event", "dimension", "control"]

# dtype names are strings so specs serialise with cattrs and read well in `pointline tables`.
_DTYPES: dict[str, pl.DataType] = {
    "Int8": pl.Int8(),
    "Int16": pl.Int16(),
    "Int32": pl.Int32(),
    "Int64": pl.Int64(),
    "UInt64": pl.UInt64(),
    "Float64": pl.Float64(),
    "Boolean": pl.Boolean(),
    "String": pl.String(),
    "Date": pl.Date(),
    "Datetime": pl.Datetime("us", "UTC"),
}
#: Exact decimals are ``Decimal(38,<scale>)``: the core uses scale 18 for prices and
#: quantities and 8 for currency amounts (docs/numeric-representation.md); a plugin table
#: may choose another scale (0..38).
DECIMAL_PRECISION = 38
_DECIMAL = re.compile(r"Decimal\(38,(\d{1,2})\)")


def decimal_dtype(scale: int) -> str:
    """The spec dtype name of an exact decimal column with ``scale`` fractional digits."""
    return f"Decimal({DECIMAL_PRECISION},{scale})"


#: Instrument classes (``dim_symbol.asset_class``) whose prices may be zero or negative: a
#: spread or combo is priced as a difference of legs. The core tables' trade, book-update,
#: liquidation and book-snapshot level prices carry it as ``ColumnSpec.signed_classes``.
SIGNED_PRICE_CLASSES = ("spread", "combo")

#: Columns every event table carries, in this order. The core derives the last four.
COMMON_EVENT_COLUMNS = (
    "exchange",
    "trading_date",
    "symbol",
    "symbol_id",
    "ts_event_us",
    "ts_local_us",
    "file_id",
    "file_seq",
)
#: Event-table columns the ingest runner fills in; canonicalize never returns them.
CORE_DERIVED_COLUMNS = ("trading_date", "symbol_id", "file_id", "file_seq")


def polars_dtype(name: str) -> pl.DataType:
    """Polars dtype for a spec dtype name such as ``Int64``, ``Decimal(38,18)`` or
    ``List[Decimal(38,18)]``."""
    if name.startswith("List[") and name.endswith("]"):
        return pl.List(polars_dtype(name[5:-1]))
    decimal = _DECIMAL.fullmatch(name)
    if decimal and int(decimal.group(1)) <= DECIMAL_PRECISION:
        return pl.Decimal(DECIMAL_PRECISION, int(decimal.group(1)))
    try:
        return _DTYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown dtype {name!r}; use one of {sorted(_DTYPES)}, Decimal(38,<scale 0..38>) "
            "or List[<dtype>]"
        ) from None


def _check_dtype(_instance: object, _attribute: object, value: str) -> None:
    polars_dtype(value)


@attrs.frozen(slots=True)
class ColumnSpec:
    """One column of a canonical table.

    ``scale`` marks an exact decimal column: its dtype is ``Decimal(38,<scale>)`` (or
    ``List[Decimal(38,<scale>)]``, per element) and ``scale`` is its number of decimal
    places; plugins fill it with :func:`pointline_core.fixedpoint.encode`. ``allowed``
    restricts a String column to a closed set; ``positive`` requires values > 0 where not
    null. The core validation rules enforce nullability, ``allowed`` and ``positive``.

    ``signed_classes`` waives ``positive`` per row: a row whose instrument's point-in-time
    ``dim_symbol.asset_class`` is one of these classes may hold a value <= 0 (spreads and
    combos trade at negative prices). It is data on the column, so a table (core or
    contributed) states which instrument classes may do so; plugins only set ``asset_class``
    on their symbols (see :data:`SIGNED_PRICE_CLASSES`).

    ``added_later`` marks a nullable column added to a released table's spec (at the end):
    tables written before lack it until migrated (:mod:`pointline_core.storage.migrate`).
    """

    name: str
    dtype: str = attrs.field(validator=_check_dtype)
    nullable: bool = True
    scale: int | None = None
    allowed: tuple[str, ...] | None = None
    positive: bool = False
    description: str = ""
    signed_classes: tuple[str, ...] = ()
    #: The column joined an already released table later (nullable, at the end of the spec).
    #: Derived tables that append columns of their own (quarantine: ``reason``, ``detail``)
    #: place such columns after theirs, so every table only ever grows at its end.
    added_later: bool = False
    #: The scale this column had when it was stored as Int64 fixed point (plugin API 1.x:
    #: ``round(value * 10**legacy_int64_scale)``); ``pointline migrate --rewrite-decimals``
    #: uses it to rewrite a lake written then. None for columns that were never Int64.
    legacy_int64_scale: int | None = None
    #: A nullable fact only some sources have (nanosecond clocks): ``pointline_canonicalize``
    #: may return it or leave it out (the core fills null), so plugins that never have it
    #: need not know it exists. Not part of :meth:`TableSpec.vendor_columns`.
    optional: bool = False

    def polars_dtype(self) -> pl.DataType:
        return polars_dtype(self.dtype)


@attrs.frozen(slots=True)
class TableSpec:
    """A canonical table: its columns, partitioning and replay order.

    ``tie_break`` is the sort order that makes replay deterministic (readers sort by it,
    compaction writes files in it). ``partition_by`` are the Delta partition columns.
    """

    name: str
    kind: TableKind
    columns: tuple[ColumnSpec, ...]
    partition_by: tuple[str, ...] = ()
    tie_break: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def vendor_columns(self) -> tuple[str, ...]:
        """The columns ``pointline_canonicalize`` must return (all but core-derived ones and
        ``optional`` ones)."""
        if self.kind != "event":
            return self.column_names
        return tuple(
            c.name for c in self.columns if c.name not in CORE_DERIVED_COLUMNS and not c.optional
        )

    def optional_columns(self) -> tuple[str, ...]:
        """Columns ``pointline_canonicalize`` may return or leave out (``ColumnSpec.optional``)."""
        return tuple(c.name for c in self.columns if c.optional)

    def fixed_point_columns(self) -> dict[str, int]:
        return {c.name: c.scale for c in self.columns if c.scale is not None}

    def polars_schema(self, columns: tuple[str, ...] | None = None) -> pl.Schema:
        names = columns if columns is not None else self.column_names
        return pl.Schema({n: self.column(n).polars_dtype() for n in names})

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())

    def arrow_schema(self) -> object:
        """The table's Arrow schema (an ``arro3.core.Schema``), with nullability."""
        from arro3.core import Field, Schema, Table

        arrow = Table.from_arrow(self.empty_frame()).schema
        return Schema(
            [Field(c.name, arrow.field(c.name).type, nullable=c.nullable) for c in self.columns]
        )
