"""prefetch: order kept, producer errors raised in place, no thread left behind."""

from __future__ import annotations

import threading

import pytest

from pointline_core.ingest.prefetch import prefetch


def _threads():
    return [t for t in threading.enumerate() if t.name == "pointline-prefetch"]


def test_items_come_in_order():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))
    assert _threads() == []


def test_producer_error_is_raised_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("bad batch")

    got = []
    with pytest.raises(ValueError, match="bad batch"):
        for item in prefetch(items()):
            got.append(item)
    assert got == [1, 2] and _threads() == []


def test_abandoned_consumer_stops_the_producer():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    stream = prefetch(items(), depth=2)
    assert next(stream) == 0
    stream.close()
    assert _threads() == []
    assert len(produced) < 10, "the producer ran at most a few items ahead"
