"""Stage: validation rules. Bad rows get a reason and go to quarantine; none are dropped."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pointline_core.schemas.spec import TableSpec
from pointline_core.validation_rules import Rule

REASON = "_reject_reason"
# Filled in by the core later (symbol_id) or always valid by construction.
_SKIP = ("trading_date", "symbol_id", "file_id", "file_seq")


def core_rules(spec: TableSpec) -> list[Rule]:
    """The rules every table gets from its spec: nullability, closed sets, positivity."""
    rules: list[Rule] = []
    for col in spec.columns:
        if col.name in _SKIP:
            continue
        c = pl.col(col.name)
        if not col.nullable:
            rules.append(Rule(f"null:{col.name}", c.is_null(), "reject", "required value missing"))
        if col.allowed is not None:
            rules.append(
                Rule(
                    f"invalid_value:{col.name}",
                    c.is_not_null() & ~c.is_in(list(col.allowed)),
                    "reject",
                    f"allowed: {', '.join(col.allowed)}",
                )
            )
        if col.positive:
            rules.append(Rule(f"not_positive:{col.name}", c <= 0, "reject", "must be > 0"))
    return rules


def apply_rules(frame: pl.DataFrame, rules: Sequence[Rule]) -> tuple[pl.DataFrame, dict[str, int]]:
    """Set ``_reject_reason`` (keeping a plugin-given reason first) and count warnings.

    Returns the frame and ``{warn_rule_name: rows}``. Rule order is the reason priority.
    """
    reject = [r for r in rules if r.severity == "reject"]
    warn = [r for r in rules if r.severity == "warn"]
    reasons = [pl.col(REASON)] if REASON in frame.columns else []
    reasons += [pl.when(r.bad.fill_null(False)).then(pl.lit(r.name)) for r in reject]
    out = frame.with_columns(
        pl.coalesce([*reasons, pl.lit(None, pl.String)]).cast(pl.String).alias(REASON)
    )
    warnings: dict[str, int] = {}
    if warn:
        counts = frame.select([r.bad.fill_null(False).sum().alias(r.name) for r in warn]).row(0)
        warnings = {r.name: int(n) for r, n in zip(warn, counts, strict=True) if n}
    return out, warnings
