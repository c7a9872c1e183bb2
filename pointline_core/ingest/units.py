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

#: With several workers, units of small files are never smaller than this (files, decoded
#: bytes): below it the per-unit commit costs more than spreading the work gains.
MIN_UNIT_FILES = 25
MIN_UNIT_BYTES = 4 << 20


@attrs.frozen(slots=True)
class PlannedUnit:
    """Positions (into the planned file list, in order) of one unit's files."""

    files: tuple[int, ...]
    stream: bool


def plan_units(costs: Sequence[int], opts: IngestOptions, workers: int = 1) -> list[PlannedUnit]:
    """Units for files of the given decoded sizes, in file order.

    A file whose cost reaches ``opts.stream_file_bytes`` streams alone. The others are
    grouped in order; a unit closes before a file would take it past ``opts.unit_max_bytes``
    and at ``opts.unit_max_files`` files. With ``workers`` > 1 the small files are spread
    over about four units per worker (never below :data:`MIN_UNIT_FILES` files or
    :data:`MIN_UNIT_BYTES` a unit), so the workers stay busy to the end of the run.
    """
    large = [cost >= opts.stream_file_bytes for cost in costs]
    small = [cost for cost, big in zip(costs, large, strict=True) if not big]
    max_files, max_bytes = opts.unit_max_files, opts.unit_max_bytes
    if workers > 1 and small:
        share = 4 * workers
        max_files = min(max_files, max(MIN_UNIT_FILES, -(-len(small) // share)))
        max_bytes = min(max_bytes, max(MIN_UNIT_BYTES, -(-sum(small) // share)))
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
        if len(unit) >= max_files:
            units.append(PlannedUnit(tuple(unit), stream=False))
            unit, unit_bytes = [], 0
    if unit:
        units.append(PlannedUnit(tuple(unit), stream=False))
    return units


def several_units(costs: Sequence[int], opts: IngestOptions, workers: int) -> bool:
    """Whether these files will make more than one unit (worth starting a worker pool for)."""
    return len(plan_units(costs, opts, workers)) > 1
