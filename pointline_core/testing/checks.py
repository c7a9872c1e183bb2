"""The conformance checks, one function per rule of the plugin contract, in one namespace.

Each check takes the plugin (the object holding its hook implementations, or a loaded
:class:`~pointline_core.plugins.Plugins` registry) and raises :class:`ConformanceFailure`, an
``AssertionError`` whose message names the plugin, says what is wrong and ends with
``How to fix:``. They are plain functions, usable from any test runner or a notebook;
:class:`~pointline_core.testing.PluginConformance` wraps each in a pytest test.

The checks live in three modules by what they need:

* :mod:`~pointline_core.testing.contract`: the plugin object alone (hooks, vendor info,
  tables, data types, exchanges, entry point);
* :mod:`~pointline_core.testing.runtime`: sample files (discover, parse, canonicalize);
* :mod:`~pointline_core.testing.lake_checks`: a temporary lake (ingest counts, reruns,
  determinism, corrupted input).

Functions set ``__tracebackhide__`` (a plain local pytest looks for; nothing is imported) so
a pytest failure shows the test and the message, not the suite's internals.
"""

from __future__ import annotations

from pointline_core.testing.contract import (
    REQUIRED_HOOKS,
    check_api_version,
    check_entry_point,
    check_exchanges,
    check_hook_implementations,
    check_table_mapping,
    check_tables,
    check_vendor_info,
    hook_manager,
    hookspec_names,
    plugin_tables,
    plugin_vendor_info,
    registered,
)
from pointline_core.testing.failures import (
    ConformanceFailure,
    fail,
)
from pointline_core.testing.lake_checks import (
    check_corrupted_sample_fails,
    check_ingest_counts,
    check_rerun_writes_nothing,
    check_same_lake_content,
    import_symbols,
    lake_snapshot,
    run_ingest,
    table_rows,
)
from pointline_core.testing.runtime import (
    WHOLE_FILE_BATCH_ROWS,
    StreamProbe,
    check_canonicalize,
    check_canonicalize_files,
    check_discover,
    check_parse_batches,
    check_parse_files,
    check_parse_streams,
    discover_items,
    parse_frames,
)

__all__ = [
    "ConformanceFailure",
    "REQUIRED_HOOKS",
    "StreamProbe",
    "WHOLE_FILE_BATCH_ROWS",
    "check_api_version",
    "check_canonicalize",
    "check_canonicalize_files",
    "check_corrupted_sample_fails",
    "check_discover",
    "check_entry_point",
    "check_exchanges",
    "check_hook_implementations",
    "check_ingest_counts",
    "check_parse_batches",
    "check_parse_files",
    "check_parse_streams",
    "check_rerun_writes_nothing",
    "check_same_lake_content",
    "check_table_mapping",
    "check_tables",
    "check_vendor_info",
    "discover_items",
    "fail",
    "hook_manager",
    "hookspec_names",
    "import_symbols",
    "lake_snapshot",
    "parse_frames",
    "plugin_tables",
    "plugin_vendor_info",
    "registered",
    "run_ingest",
    "table_rows",
]
