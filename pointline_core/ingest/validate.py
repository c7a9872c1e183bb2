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


def apply_rules(frame: pl.DataFrame, rules: Sequence[Rule]) -> pl.DataFrame:
    """Set ``_reject_reason``: a plugin-given reason first, then the rejecting rules in order.

    Warning rules do not touch the frame; the runner counts them per file.
    """
    reasons = [pl.col(REASON)] if REASON in frame.columns else []
    reasons += [
        pl.when(r.bad.fill_null(False)).then(pl.lit(r.name))
        for r in rules
        if r.severity == "reject"
    ]
    return frame.with_columns(
        pl.coalesce([*reasons, pl.lit(None, pl.String)]).cast(pl.String).alias(REASON)
    )
