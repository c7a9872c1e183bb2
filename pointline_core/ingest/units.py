"""Plan: which Bronze files are processed together (a unit) and which stream alone.

Units are sized by what they cost in memory, a file's decoded size
(:mod:`~pointline_core.ingest.sizing`), not its bytes on disk, so a unit's peak memory does
not depend on how well its files compress. Unit boundaries never change a row: they decide
where and with whom a file is processed, and how many commits a run makes.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from pointline_core.ingest.work import IngestOptions

#: With several workers, small files are spread over about four units per worker, but a unit
#: never closes below this many decoded bytes (~0.5 s of one process's work on small files):
#: a worker process costs ~0.3 s of CPU to start and import, so a run with less work stays one
#: unit, which runs in the driver (2,000 small files: 0.79 s in one process, 0.91 s with two
#: workers when they were split four ways per worker).
MIN_UNIT_BYTES = 32 << 20


@attrs.frozen(slots=True)
class PlannedUnit:
    """Positions (into the planned file list, in order) of one unit's files."""

    files: tuple[int, ...]
    stream: bool


def plan_units(costs: Sequence[int], opts: IngestOptions, workers: int = 1) -> list[PlannedUnit]:
    """Units for files of the given decoded sizes, in file order.

    A file whose cost reaches ``opts.stream_file_bytes`` streams alone. The others are
    grouped in order; a unit closes before a file would take it past ``opts.unit_max_bytes``
    (memory) and at ``opts.unit_max_files`` files. With ``workers`` > 1 the small files' bytes
    are also shared out evenly over about four units per worker, never fewer than
    :data:`MIN_UNIT_BYTES` a unit (a unit closes once it reaches its share), so the workers
    stay busy to the end of the run and a run of less work than that stays one unit.
    """
    large = [cost >= opts.stream_file_bytes for cost in costs]
    small = [cost for cost, big in zip(costs, large, strict=True) if not big]
    max_files, max_bytes = opts.unit_max_files, opts.unit_max_bytes
    share = _share(sum(small), max_bytes, workers)
    units: list[PlannedUnit] = []
    unit: list[int] = []
    unit_bytes = 0
    for position, (cost, big) in enumerate(zip(costs, large, strict=True)):
        if big:
            units.append(PlannedUnit((position,), stream=True))
            continue
        if unit and unit_bytes + cost > max_bytes:
            units.append(PlannedUnit(tuple(unit), stream=False))
            unit, unit_bytes = [], 0
        unit.append(position)
        unit_bytes += cost
        if len(unit) >= max_files or unit_bytes >= share:
            units.append(PlannedUnit(tuple(unit), stream=False))
            unit, unit_bytes = [], 0
    if unit:
        units.append(PlannedUnit(tuple(unit), stream=False))
    return units


def _share(total: int, max_bytes: int, workers: int) -> int | float:
    """The decoded bytes a unit of small files closes at: ``total`` over as many units as
    the memory bound needs, or as four per worker if that is more, but never so many that a
    unit falls below :data:`MIN_UNIT_BYTES` (an even share: no lone remainder unit forcing a
    pool). No share (infinite) with one worker."""
    if workers <= 1 or total <= 0:
        return float("inf")
    units = max(-(-total // max_bytes), min(4 * workers, total // MIN_UNIT_BYTES), 1)
    return -(-total // units)


def pool_size(costs: Sequence[int], opts: IngestOptions, workers: int) -> int:
    """How many worker processes these files are worth: none for a single unit (it runs in
    the driver), else one per unit up to ``workers`` (a worker without a unit would only
    cost its start-up)."""
    units = len(plan_units(costs, opts, workers))
    return 0 if units <= 1 else min(workers, units)
