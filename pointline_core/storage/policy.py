"""The lake's maintenance policy, kept as data in the lake: ``LAKE/control/policy.toml``.

Every key is optional; a missing file means all defaults (docs/operations.md lists them)::

    [compact]
    older_than_days = 1     # only partitions whose trading_date is at least this many days old
    max_files = 4           # ... and that hold more live files than this
    [checkpoint]
    enabled = true          # write a Delta checkpoint at each table's current version
    [vacuum]
    enabled = true
    retention_hours = 168   # delete unreferenced files older than this (7 days, Delta's default)
    enforce_retention = true  # refuse a retention below the table's own (time travel needs it)
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs
import cattrs

from pointline_core.errors import MaintenanceError
from pointline_core.storage.lake import Lake

POLICY_FILE = "policy.toml"


@attrs.frozen(slots=True)
class CompactPolicy:
    older_than_days: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    max_files: int = attrs.field(default=4, validator=attrs.validators.ge(1))


@attrs.frozen(slots=True)
class CheckpointPolicy:
    enabled: bool = True


@attrs.frozen(slots=True)
class VacuumPolicy:
    enabled: bool = True
    retention_hours: int = attrs.field(default=168, validator=attrs.validators.ge(0))
    enforce_retention: bool = True


@attrs.frozen(slots=True)
class MaintenancePolicy:
    compact: CompactPolicy = CompactPolicy()
    checkpoint: CheckpointPolicy = CheckpointPolicy()
    vacuum: VacuumPolicy = VacuumPolicy()


_strict = cattrs.Converter(forbid_extra_keys=True)


def policy_path(lake: Lake) -> Path:
    return lake.root / "control" / POLICY_FILE


def load_policy(lake: Lake) -> MaintenancePolicy:
    """The lake's policy (defaults when ``control/policy.toml`` does not exist)."""
    path = policy_path(lake)
    if not path.exists():
        return MaintenancePolicy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _strict.structure(data, MaintenancePolicy)
    except (tomllib.TOMLDecodeError, cattrs.BaseValidationError, ValueError, TypeError) as exc:
        detail = "; ".join(_leaves(exc)) or str(exc)
        raise MaintenanceError(
            f"maintenance policy {path} is invalid: {detail}; fix it (keys and defaults: "
            "docs/operations.md) or delete it to use the defaults"
        ) from None


def _describe(exc: BaseException, _type: object) -> str:
    if isinstance(exc, KeyError):
        return "required key missing"
    return str(exc) or type(exc).__name__


def _leaves(exc: BaseException) -> list[str]:
    """The innermost messages of a cattrs error group (which key, what was wrong)."""
    if isinstance(exc, cattrs.BaseValidationError):
        return cattrs.transform_error(exc, format_exception=_describe)
    return []
