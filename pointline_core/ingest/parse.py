"""Stage: parse. The owning plugin's ``pointline_parse`` yields a file's raw batches."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from pointline_core.ingest.failure import FileFailed, hook_error
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins


def parsed_batches(plugins: Plugins, file: BronzeFile, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The plugin's batches in file order; anything it raises fails the file, naming it."""
    try:
        batches = plugins.call(file.vendor, "pointline_parse", file=file, batch_rows=batch_rows)
        for batch in batches or ():
            if not isinstance(batch, pl.DataFrame):
                raise FileFailed(
                    f"parse_error: plugin {file.vendor!r} yielded {type(batch).__name__}, "
                    "expected a polars DataFrame"
                )
            yield batch
    except FileFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin failure fails this file only
        raise hook_error(file.vendor, "parse", exc) from exc
