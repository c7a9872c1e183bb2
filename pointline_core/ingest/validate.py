"""Stage: validation rules. Bad rows get a reason and go to quarantine; none are dropped."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import polars as pl

from pointline_core.ingest.calendar import NO_TRADING_DATE
from pointline_core.ingest.failure import FileFailed, hook_error
from pointline_core.models import BronzeFile
from pointline_core.plugins import Plugins
from pointline_core.schemas.spec import TableSpec
from pointline_core.validation_rules import Rule

REASON = "_reject_reason"
#: Optional plugin column: the quarantine ``detail`` of a row the plugin flagged (the value
#: and its likely cause); ignored on rows without a plugin reason.
DETAIL = "_reject_detail"
#: Working column: the row's point-in-time ``dim_symbol.asset_class`` (null when no window
#: covers the row), present while the rules run; see ``ColumnSpec.signed_classes``.
ASSET_CLASS = "_asset_class"
#: Working column while the rules run: no dim_symbol window covers the row (yet).
NO_WINDOW = "_no_window"
# Filled in by the core later (symbol_id) or always valid by construction.
_SKIP = ("trading_date", "symbol_id", "file_id", "file_seq")


def core_rules(spec: TableSpec) -> list[Rule]:
    """The rules every table gets from its spec: nullability, closed sets, positivity, and
    a storable trading_date (:data:`~pointline_core.ingest.calendar.NO_TRADING_DATE`)."""
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
        # A level array is positive when its smallest present level is (nulls = empty levels).
        value = _sign_value(col.name, col.dtype)
        if col.positive and col.signed_classes:
            # No window yet: the class is unknown, so the row is judged symbol_not_covered
            # (after the rules), which --retry-quarantined revisits once symbols are imported.
            known = pl.col(ASSET_CLASS).is_in(list(col.signed_classes)).fill_null(False)
            signed = known | pl.col(NO_WINDOW)
            rules.append(
                Rule(
                    f"not_positive:{col.name}",
                    (value <= 0) & ~signed,
                    "reject",
                    f"must be > 0 unless the instrument's asset_class is one of "
                    f"{', '.join(col.signed_classes)}",
                )
            )
        elif col.positive:
            rules.append(Rule(f"not_positive:{col.name}", value <= 0, "reject", "must be > 0"))
    if "trading_date" in spec.column_names and "ts_event_us" in spec.column_names:
        # The calendar stage leaves trading_date null for a day no reader can store.
        rules.append(
            Rule(
                NO_TRADING_DATE,
                pl.col("trading_date").is_null() & pl.col("ts_event_us").is_not_null(),
                "reject",
                "ts_event_us has no storable trading_date (years 1..9999)",
            )
        )
    return rules


def _sign_value(name: str, dtype: str) -> pl.Expr:
    c = pl.col(name)
    return c.list.min() if dtype.startswith("List[") else c


def needs_asset_class(spec: TableSpec, frame: pl.DataFrame | None = None) -> bool:
    """Whether ``spec``'s rules read the row's instrument class (:data:`ASSET_CLASS`): some
    column waives its positive rule for ``signed_classes`` and (given ``frame``) some row
    holds a value <= 0 there. Batches of positive prices, the norm, skip the class lookup."""
    cols = [c for c in spec.columns if c.positive and c.signed_classes]
    if not cols:
        return False
    if frame is None:
        return True
    present = [c for c in cols if c.name in frame.columns]
    if not present:
        return False
    checks = [(_sign_value(c.name, c.dtype) <= 0).fill_null(False).any() for c in present]
    return bool(frame.select(pl.any_horizontal(checks)).item())


def apply_rules(frame: pl.DataFrame, rules: Sequence[Rule]) -> pl.DataFrame:
    """Set ``_reject_reason``: a plugin-given reason first, then the rejecting rules in order.

    Warning rules do not touch the frame; the runner counts them per file.
    """
    no_window = pl.col("symbol_id").is_null() if "symbol_id" in frame.columns else pl.lit(False)
    working = [no_window.alias(NO_WINDOW)]
    if ASSET_CLASS not in frame.columns:
        working.append(pl.lit(None, pl.String).alias(ASSET_CLASS))
    added = [e.meta.output_name() for e in working]
    frame = frame.with_columns(working)
    reasons = [pl.col(REASON)] if REASON in frame.columns else []
    reasons += [
        pl.when(r.bad.fill_null(False)).then(pl.lit(r.name))
        for r in rules
        if r.severity == "reject"
    ]
    out = frame.with_columns(
        pl.coalesce([*reasons, pl.lit(None, pl.String)]).cast(pl.String).alias(REASON)
    )
    return out.drop(added)


@functools.cache
def _core_rules(spec: TableSpec) -> tuple[Rule, ...]:
    return tuple(core_rules(spec))


def plugin_rules(plugins: Plugins, file: BronzeFile, spec: TableSpec) -> list[Rule]:
    """The owning plugin's ``pointline_validation_rules`` for this file, checked."""
    if not plugins.implements(file.vendor, "pointline_validation_rules"):
        return []
    try:
        rules = plugins.call(file.vendor, "pointline_validation_rules", file=file, table=spec.name)
    except Exception as exc:  # noqa: BLE001 - a plugin failure fails this file only
        raise hook_error(file.vendor, "validation_rules", exc) from exc
    rules = list(rules or ())
    bad = [r for r in rules if not isinstance(r, Rule)]
    if bad:
        raise FileFailed(
            f"validation_rules_error: plugin {file.vendor!r} returned {bad[0]!r}, expected Rule"
        )
    return rules


def rules_for(spec: TableSpec, extra: Sequence[Rule]) -> tuple[Rule, ...]:
    """The core rules of ``spec`` (built once per spec) followed by the plugin's."""
    return (*_core_rules(spec), *extra)
