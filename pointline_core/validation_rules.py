"""The validation-rule record shared by core rules and plugin-contributed rules."""

from __future__ import annotations

from typing import Literal

import attrs
import polars as pl

Severity = Literal["reject", "warn"]


@attrs.frozen(slots=True)
class Rule:
    """One row-level check.

    ``bad`` is a polars expression over the canonical frame that is true for rows that break
    the rule (null counts as not broken). A ``reject`` rule sends such rows to quarantine with
    ``name`` as the reason; a ``warn`` rule only counts them in the validation log.
    """

    name: str
    bad: pl.Expr = attrs.field(eq=False)
    severity: Severity = "reject"
    description: str = ""
