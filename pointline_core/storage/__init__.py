"""Delta Lake storage: one module per concern.

* :mod:`~pointline_core.storage.lake` -- the lake root, table paths, cross-process locks
* :mod:`~pointline_core.storage.delta` -- schema-checked, streamed Delta writes and reads
* :mod:`~pointline_core.storage.manifest` -- Bronze file identity -> file_id and status
* :mod:`~pointline_core.storage.events` -- event tables with exactly-once file markers
* :mod:`~pointline_core.storage.quarantine` -- rejected rows, with reasons
* :mod:`~pointline_core.storage.dim_symbol` -- SCD2 symbol dimension and PIT lookup
* :mod:`~pointline_core.storage.validation_log` -- rule outcomes per file
* :mod:`~pointline_core.storage.maintenance` -- partition compaction and vacuum

See docs/storage.md for the layout and the exactly-once argument.
"""
