"""Stage: parse. The owning plugin's ``pointline_parse`` yields a file's raw batches; small
files go through its optional ``pointline_parse_files`` many at a time (:func:`parsed_files`),
falling back to the per-file hook."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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


def parsed_files(
    plugins: Plugins, files: Sequence[BronzeFile], batch_rows: int
) -> list[list[pl.DataFrame]] | None:
    """Small files' batches through the plugin's ``pointline_parse_files`` in one call: one
    list of non-empty batches per file, in order.

    ``None`` means "parse these file by file": the plugin does not implement the hook,
    declined, raised, or answered in another shape. :func:`parsed_batches` then decides, so
    a bad file fails alone with its own reason and a plugin bug in the many-file path costs
    speed, never rows.
    """
    if len(files) < 2 or not plugins.implements(files[0].vendor, "pointline_parse_files"):
        return None
    try:
        answer = plugins.call(
            files[0].vendor, "pointline_parse_files", files=list(files), batch_rows=batch_rows
        )
    except Exception:  # noqa: BLE001 - the per-file hook decides (and names the error)
        return None
    if not isinstance(answer, list | tuple) or len(answer) != len(files):
        return None
    out = []
    for batches in answer:
        if not isinstance(batches, list | tuple) or not all(
            isinstance(b, pl.DataFrame) for b in batches
        ):
            return None
        out.append([b for b in batches if b.height])
    return out
