"""``pointline extract SOURCE BRONZE``: upstream archives -> extracted Bronze files."""

from __future__ import annotations

import argparse

from pointline_core.cli import exit_codes
from pointline_core.cli.output import print_json, print_table


def _extract(args: argparse.Namespace) -> int:
    from pointline_core.upstream.runner import extract

    report = extract(
        args.source,
        args.bronze,
        vendors=args.vendor or None,
        dry_run=args.dry_run,
        lake_root=args.lake,
        backend=args.backend,
        work_root=args.work_dir,
        rehash=args.rehash,
    )
    if args.json:
        print_json(report)
        return exit_codes.OK if report.ok else exit_codes.FILES_FAILED
    if report.archives:
        print_table(
            ["vendor", "archive", "status", "members", "published", "existing", "rejected", "why"],
            [
                [
                    a.vendor,
                    a.archive,
                    a.status,
                    a.members_total,
                    a.members_published,
                    a.members_existing,
                    a.members_rejected,
                    a.reason or a.note or "",
                ]
                for a in report.archives
            ],
        )
        for a in report.archives:
            for issue in a.issues:
                if issue.status != "published":
                    print(f"  {a.archive}: {issue.member}: {issue.status}: {issue.reason}")
    else:
        print("no archives found")
    for note in report.notes:
        print(f"note: {note}")
    verb = "would publish" if report.dry_run else "published"
    print(
        f"{report.archives_total} archives: {report.archives_succeeded} extracted, "
        f"{report.archives_skipped} skipped, {report.archives_failed} failed; "
        f"{verb} {report.members_published} files, {report.members_existing} already there, "
        f"{report.members_rejected} rejected; {report.archives_hashed} archives hashed; "
        f"ledger {report.ledger_path}; {report.elapsed_s:.2f}s"
    )
    return exit_codes.OK if report.ok else exit_codes.FILES_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="extract vendor archives (SOURCE/<vendor>/...) into Bronze, once and atomically",
    )
    p.add_argument("source", help="folder holding one sub-folder of archives per vendor")
    p.add_argument("bronze", help="Bronze root the extracted files are published under")
    p.add_argument("--vendor", action="append", help="only this vendor (repeatable); default: all")
    p.add_argument("--dry-run", action="store_true", help="plan only; write nothing anywhere")
    p.add_argument(
        "--lake",
        default=None,
        help="keep the upstream ledger in LAKE/control/upstream_ledger instead of "
        "BRONZE/_pointline/upstream_ledger",
    )
    p.add_argument(
        "--backend",
        choices=("auto", "cli", "py7zr"),
        default="auto",
        help="7z extractor: the 7-Zip program if on PATH (auto), or force one",
    )
    p.add_argument(
        "--rehash",
        action="store_true",
        help="hash every archive, even one the ledger already extracted with the same name, "
        "size and modification time (skipped unread by default)",
    )
    p.add_argument(
        "--work-dir",
        default=None,
        help="where archives are decompressed before publishing (default: the system "
        "temporary folder; needs room for the largest archive's uncompressed members)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_extract)
