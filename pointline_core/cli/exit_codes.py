"""Exit codes of every ``pointline`` command (documented in docs/troubleshooting.md).

====  ===========================================================================
 0    done, nothing to report (files ingested, archives extracted, or nothing new)
 1    some files or archives failed (the report lists each with its reason); the
      others landed
 2    usage or environment error: bad arguments, a missing/unwritable/full lake,
      a corrupt table; one ``pointline: error: ...`` line says what and where
 3    ingest: rows were quarantined (the report lists the reasons) but no file failed;
      completeness: missing sessions, rows on non-sessions or outlier days were found
 70   internal error: an unexpected exception (a bug); rerun with ``--debug`` and
      report the traceback
 130  interrupted (Ctrl-C); a rerun finishes the work, nothing is doubled
====  ===========================================================================
"""

from __future__ import annotations

OK = 0
FILES_FAILED = 1
USAGE_OR_ENVIRONMENT = 2
ROWS_QUARANTINED = 3
GAPS_FOUND = 3
INTERNAL_ERROR = 70
INTERRUPTED = 130

#: One-line meaning of each code (the CLI's --help epilog is built from it).
MEANINGS = {
    OK: "done",
    FILES_FAILED: "some files failed",
    USAGE_OR_ENVIRONMENT: "usage or environment error",
    ROWS_QUARANTINED: "rows quarantined (ingest) or gaps found (completeness)",
    INTERNAL_ERROR: "internal error",
    INTERRUPTED: "interrupted",
}
