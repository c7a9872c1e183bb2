"""Canonical table schemas: specs, the core tables and the registry."""

from pointline_core.schemas.registry import TableRegistry, validate_table_spec
from pointline_core.schemas.spec import (
    COMMON_EVENT_COLUMNS,
    CORE_DERIVED_COLUMNS,
    SIGNED_PRICE_CLASSES,
    ColumnSpec,
    TableSpec,
    polars_dtype,
)
from pointline_core.schemas.tables import CORE_TABLES, EVENT_TABLES

__all__ = [
    "COMMON_EVENT_COLUMNS",
    "CORE_DERIVED_COLUMNS",
    "CORE_TABLES",
    "EVENT_TABLES",
    "SIGNED_PRICE_CLASSES",
    "ColumnSpec",
    "TableRegistry",
    "TableSpec",
    "polars_dtype",
    "validate_table_spec",
]
