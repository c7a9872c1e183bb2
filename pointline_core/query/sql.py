"""``query.sql``: DuckDB SQL over every table of the lake (optional extra ``[sql]``).

Each Delta table (Silver, Gold, dimension, control) is a view under its table name
(quarantined rows as ``quarantine_<table>``) over its current snapshot's Parquet files, read by
DuckDB's own Parquet reader, which prunes by partition folders and row-group statistics.
Prices and quantities are stored as exact decimals, so DuckDB sees them as ``DECIMAL(38, 18)``
(amounts ``DECIMAL(38, 8)``) and sums them exactly (an overflow is an error, never a wrapped
number).
Tables with ``*_us`` time columns also get ``<table>_decoded``, the same rows with every such
column as ISO 8601 text in UTC (values out of calendar range, such as an open window end, as
their integer), like ``pointline read`` shows them. Nothing is written: the connection is in
memory and closed after the query.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from deltalake import DeltaTable

from pointline_core.errors import QueryError
from pointline_core.query.discovery import table_dirs
from pointline_core.query.loader import LakeLike, as_lake

#: What to tell a user whose environment lacks DuckDB.
INSTALL_HINT = (
    "pointline sql needs DuckDB and pyarrow, which are not installed: "
    "pip install 'pointline-core[sql]'"
)
# the ISO range of query.time.iso_time: values outside stay integers
_ISO_MIN_US = -62_135_510_400_000_000
_ISO_MAX_US = 253_402_128_000_000_000


def _duckdb() -> Any:
    try:
        import duckdb
        import pyarrow  # noqa: F401  (DuckDB hands its results to polars through it)
    except ImportError:
        raise QueryError(INSTALL_HINT) from None
    return duckdb


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _decoded_column(name: str, dtype: pl.DataType) -> str:
    """The SQL of one column of a decoded view: ``*_us`` times as ISO text, others as is."""
    quoted = _ident(name)
    if name.endswith("_us") and dtype == pl.Int64():
        return (
            f"CASE WHEN {quoted} >= {_ISO_MIN_US} AND {quoted} < {_ISO_MAX_US} "
            f"THEN strftime(make_timestamp({quoted}), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00' "
            f"ELSE CAST({quoted} AS VARCHAR) END AS {quoted}"
        )
    return quoted


def _decoded_view(table: str, schema: pl.Schema) -> str | None:
    columns = [_decoded_column(n, d) for n, d in schema.items()]
    if all(c == _ident(n) for c, n in zip(columns, schema, strict=True)):
        return None
    view = _ident(table + "_decoded")
    return f"CREATE VIEW {view} AS SELECT {', '.join(columns)} FROM {_ident(table)}"


def connect(lake: LakeLike) -> Any:
    """An in-memory DuckDB connection with every lake table (and decoded view) registered.
    Raises :class:`QueryError` with the install hint when DuckDB is missing.
    """
    duckdb = _duckdb()
    dirs = table_dirs(as_lake(lake))  # refuses a missing lake root, naming it
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, zone, path in dirs:
        # quarantine/<table> shares its event table's name: prefix it
        name = f"quarantine_{table}" if zone == "quarantine" else table
        delta = DeltaTable(str(path))  # opened once: the view reads this snapshot's files
        schema = pl.Schema(delta.schema())
        con.execute(_table_view(con, name, delta, schema))
        view = _decoded_view(name, schema)
        if view is not None:
            con.execute(view)
    return con


def _table_view(con: Any, name: str, table: DeltaTable, schema: pl.Schema) -> str:
    """A view of the Delta table's current snapshot read by DuckDB's own Parquet reader.

    Why not a registered pyarrow dataset (the first version): DuckDB 2.0 scans one through a
    Python callback on its worker threads, and a query over such a scan hung now and then in
    a process whose other threads came and went (seen once in this project's test suite;
    reported upstream for any Python-callback Arrow scan). Its native reader calls no Python.
    Partition values come from the hive-style folders this project's writers use (Delta's
    null partition folder reads as NULL); a column no data file has yet (one a table gained
    later) reads as NULL, as Delta readers do.
    """
    files = table.file_uris()
    if not files:
        columns = [f"CAST(NULL AS {_sql_type(d)}) AS {_ident(c)}" for c, d in schema.items()]
        return f"CREATE VIEW {_ident(name)} AS SELECT {', '.join(columns)} WHERE false"
    parts = list(table.metadata().partition_columns)
    hive = ", ".join(f"'{c}': '{_sql_type(schema[c])}'" for c in parts)
    source = (
        f"read_parquet({_sql_list(files)}, union_by_name = true, "
        f"hive_partitioning = {'true' if parts else 'false'}"
        + (f", hive_types = {{{hive}}})" if parts else ")")
    )
    have = {row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    columns = [
        _ident(c) if c in have else f"CAST(NULL AS {_sql_type(d)}) AS {_ident(c)}"
        for c, d in schema.items()
    ]
    return f"CREATE VIEW {_ident(name)} AS SELECT {', '.join(columns)} FROM {source}"


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


_SQL_TYPES = {
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Int8: "TINYINT",
    pl.Int16: "SMALLINT",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.UInt8: "UTINYINT",
    pl.UInt16: "USMALLINT",
    pl.UInt32: "UINTEGER",
    pl.UInt64: "UBIGINT",
    pl.Float32: "FLOAT",
    pl.Float64: "DOUBLE",
    pl.Date: "DATE",
}


def _sql_type(dtype: pl.DataType) -> str:
    """DuckDB's name of a polars dtype (for NULL columns and partition values)."""
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.List):
        return f"{_sql_type(dtype.inner)}[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    base = dtype.base_type()
    if base not in _SQL_TYPES:
        raise QueryError(
            f"pointline sql has no DuckDB type for a {dtype} column; read that table with "
            "`pointline read` or query.load instead"
        )
    return _SQL_TYPES[base]


def sql(lake: LakeLike, query: str) -> pl.DataFrame:
    """Run ``query`` (DuckDB SQL) over the lake's tables and decoded views; a DataFrame.

    Example::

        query.sql(lake, "SELECT symbol, count(*) AS n FROM trades GROUP BY symbol")
    """
    con = connect(lake)
    try:
        try:
            relation = con.sql(query)
        except Exception as exc:  # duckdb raises its own Error classes; keep the message
            raise QueryError(f"SQL failed: {str(exc).splitlines()[0]}") from exc
        if relation is None:
            return pl.DataFrame()
        return relation.pl()
    finally:
        con.close()
