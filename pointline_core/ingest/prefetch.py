"""Overlap a file's parsing with the rest of its pipeline.

A streamed file's batches are parsed and canonicalized by the plugin on a background thread
while the core validates and writes the previous batch: polars releases the GIL in its heavy
work, so the two halves run on different cores. At most ``depth`` batches wait in between,
so memory stays bounded; an exception in the producer is raised in the consumer, in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` in order while a background thread computes up to ``depth`` ahead."""
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slots.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            slots.put(_Raised(exc))
        finally:
            slots.put(_DONE)

    worker = threading.Thread(target=produce, name="pointline-prefetch", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not _DONE:
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        # The consumer stopped (done, failed or abandoned): let the producer finish its put
        # and exit, so no thread outlives the file.
        stop.set()
        while worker.is_alive():
            try:
                slots.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
