"""``pointline calendar`` (materialise sessions) and ``pointline completeness``."""

from __future__ import annotations

import argparse

from pointline_core.cli import exit_codes
from pointline_core.cli.arguments import iso_date, require_lake
from pointline_core.cli.output import print_json, print_table

__all__ = ["register"]


def _calendar(args: argparse.Namespace) -> int:
    from pointline_core.storage.trading_calendar import materialise_calendar

    report = materialise_calendar(
        require_lake(args.lake), date_from=args.date_from, date_to=args.date_to
    )
    if args.json:
        print_json(report)
        return exit_codes.OK
    if not report.exchanges:
        print(f"no event rows in {report.lake_root}: no exchange to write a calendar for")
        return exit_codes.OK
    print(f"calendar {report.path}")
    print_table(
        ["exchange", "calendar", "from", "to", "days", "sessions", "skipped because"],
        [
            [e.exchange, e.calendar, e.date_from, e.date_to, e.days, e.sessions, e.skipped]
            for e in report.exchanges
        ],
    )
    return exit_codes.OK


def _completeness(args: argparse.Namespace) -> int:
    from pointline_core.completeness import completeness

    report = completeness(
        require_lake(args.lake),
        [args.table] if args.table else None,
        exchange=args.exchange,
        symbol=args.symbol,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    if args.json:
        print_json(report)
    else:
        rows = [
            [
                s.table,
                s.exchange,
                s.symbol,
                f"{s.first_day}..{s.last_day}",
                s.expected_sessions,
                s.days_with_rows,
                _days(s.missing),
                _days(s.holiday_rows),
                _days([o.trading_date for o in s.outliers]),
            ]
            for s in report.symbols
            if s.has_findings or args.all
        ]
        if rows:
            print_table(
                [
                    "table",
                    "exchange",
                    "symbol",
                    "span",
                    "sessions",
                    "days with rows",
                    "missing",
                    "rows on non-session",
                    "outliers",
                ],
                rows,
            )
            print()
        print(f"outlier rule: {report.outlier_rule}")
        for exchange in report.exchanges_without_calendar:
            print(
                f"exchange {exchange}: no calendar rows; run `pointline calendar LAKE` (an "
                "exchange whose calendar is unknown stays unchecked)"
            )
        print(report.summary)
    return exit_codes.GAPS_FOUND if report.gaps_found else exit_codes.OK


def _days(days: list) -> str:
    if len(days) > 5:
        return ", ".join(str(d) for d in days[:5]) + f", ... ({len(days)} days)"
    return ", ".join(str(d) for d in days)


def _add_range(p: argparse.ArgumentParser, default: str) -> None:
    for flag, dest, edge in (("--from", "date_from", "first"), ("--to", "date_to", "last")):
        p.add_argument(
            flag,
            dest=dest,
            type=iso_date,
            metavar="DATE",
            help=f"{edge} trading date, inclusive (YYYY-MM-DD; default: {default})",
        )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calendar",
        help="write silver/dim_trading_calendar for the exchanges in the lake",
        description="Resolve each exchange's sessions from the calendar code its plugin "
        "declares (24/7, or an exchange-calendars name: pip install "
        "'pointline-core[calendars]') for the days the lake holds, or --from/--to.",
    )
    p.add_argument("lake", help="lake root")
    _add_range(p, "each exchange's own in the lake")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_calendar)

    p = sub.add_parser(
        "completeness",
        help="missing sessions, rows on non-sessions and outlier days per symbol",
        description="Per (table, exchange, symbol): sessions between its first and last day "
        "inside its dim_symbol windows with no rows, days with rows but no session, and "
        "days whose row count is an outlier against the symbol's median. Needs `pointline "
        "calendar` first. Exit code 3 when any is found.",
    )
    p.add_argument("lake", help="lake root")
    p.add_argument("table", nargs="?", help="event table (default: every one in the lake)")
    p.add_argument("--exchange", help="only this exchange")
    p.add_argument("--symbol", help="only this exchange symbol")
    _add_range(p, "each symbol's own")
    p.add_argument("--all", action="store_true", help="list symbols without findings too")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_completeness)
