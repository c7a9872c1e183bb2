"""Exception classes. Every message says what was wrong, where, and what to do."""

from __future__ import annotations


class PointlineError(Exception):
    """Base class of every error Pointline raises on purpose."""


# --- plugins -------------------------------------------------------------------------------


class PluginLoadError(PointlineError):
    """One or more plugins could not be loaded (raised in strict mode)."""


class PluginAPIVersionError(PointlineError):
    """A plugin was built for an incompatible major version of the plugin API."""


class PluginContractError(PointlineError):
    """A plugin's hook returned something that breaks the contract (wrong type, bad table)."""


class UnknownVendorError(PointlineError):
    """A vendor name was asked for that no loaded plugin provides."""


# --- schemas and exchanges -----------------------------------------------------------------


class TableSpecError(PointlineError):
    """A table spec is invalid (duplicate name, missing key column, missing common column)."""


class UnknownTableError(PointlineError):
    """A table name was asked for that is neither a core table nor a plugin table."""


class ExchangeConflictError(PointlineError):
    """Two plugins describe the same exchange differently (for example another timezone)."""


class UnknownExchangeError(PointlineError):
    """An exchange name was asked for that no plugin declares."""


# --- files and data ------------------------------------------------------------------------


class ParseError(PointlineError):
    """A plugin could not parse a Bronze file. Carry the file and, where known, line/column."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        where = []
        if path:
            where.append(path)
        if line is not None:
            where.append(f"line {line}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.path = path
        self.line = line
        self.column = column


class CanonicalizeError(PointlineError):
    """A plugin's frames cannot be turned into the mapped table's canonical columns."""


class SchemaMismatchError(PointlineError):
    """A frame does not match its TableSpec (missing/extra column, wrong dtype)."""


class FixedPointOverflowError(PointlineError):
    """A decimal value does not fit the fixed-point Int64 encoding of its column."""


class ArchiveNameError(PointlineError):
    """An upstream archive's name does not follow the vendor's naming rules."""


class MemberRejected(PointlineError):
    """An archive member cannot be published (malformed path, invalid symbol)."""


class UpstreamError(PointlineError):
    """An upstream (archive extraction) run cannot start, e.g. its source folder is missing."""


class RootLayoutError(PointlineError):
    """A source or Bronze root is missing, or holds no vendor folder: typically a vendor's
    own folder was passed instead of the folder that holds one sub-folder per vendor."""


class SelectionError(PointlineError):
    """A targeted ingest's filters cannot select anything (a date range that ends before it
    starts)."""


class CalendarError(PointlineError):
    """Trading sessions cannot be resolved: an exchange declares no calendar code, the code is
    unknown, or the optional ``exchange-calendars`` package is not installed."""


class ArchiveError(UpstreamError):
    """An upstream archive cannot be read or extracted (corrupt, truncated, unknown format)."""


# --- storage -------------------------------------------------------------------------------


class StorageError(PointlineError):
    """A lake table cannot be read or written as asked (missing table, bad lineage, ...)."""


class ManifestError(StorageError):
    """An ingest-manifest operation was asked for something impossible (unknown file_id)."""


class SymbolDataError(StorageError):
    """Symbol rows (a symbols file or a vendor's rows) cannot become dim_symbol windows."""


class MaintenanceError(StorageError):
    """A compaction or vacuum request is invalid (unknown partition key, retention too short)."""


class PartitionValueError(StorageError):
    """A row's partition value cannot be stored (a date outside years 1..9999)."""


class LakePathError(PointlineError):
    """The lake root path cannot hold Delta tables that readers can read back."""


class LakeEnvironmentError(StorageError):
    """The file system refuses the lake: its root is a file, it is read-only, or this user
    may not write it. The message names the path and what to change; nothing was committed."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class DiskFullError(LakeEnvironmentError):
    """No space left on the file system being written (the lake, Bronze or a work folder).
    The failed write committed nothing: free space and rerun the same command."""


class CorruptTableError(StorageError):
    """A Delta table's own files are damaged: a commit file of its ``_delta_log`` cannot be
    parsed, or a data file its log references is missing. The message names the file."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


# --- query (read side) ---------------------------------------------------------------------


class QueryError(PointlineError):
    """A read request cannot be answered as asked (bad filter for the table, missing lake)."""


class TimeRangeError(QueryError):
    """``start``/``end`` cannot be read as instants, or ``end`` is before ``start``."""


class UnknownSymbolError(QueryError):
    """A symbol or symbol_id was asked for that dim_symbol does not know."""


class ExchangeNotInTableError(QueryError):
    """An exchange was asked for that has no rows in the table read (so a typo never looks
    like an empty table); the message lists the exchanges the table holds."""


class ExecutorError(PointlineError):
    """An ingest executor cannot be used as asked (bad worker count, Ray missing or
    unreachable)."""
