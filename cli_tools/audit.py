"""Audit billing against your own case log, from the command line.

    python cli_tools/audit.py CASELOG.csv [--from DATE --to DATE] [--out report.pdf|.xlsx|.csv]
                              [--json] [--include-names] [--database-url URL]

Reads the case log (CSV or .xlsx), stores its rows (rows already stored are not added
again), matches them with the billed cases of the imported packets and lists what it
finds: cases missing from billing (pending or overdue), billed cases not in the log,
mismatches, duplicates and the rest (docs/audit.md). A log with any bad row is refused
whole: the bad rows are listed and nothing is stored.

Exit status: 0 the audit ran; 1 the log was refused (bad file or bad rows); 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.audit import KIND_LABELS, BillingAudit  # noqa: E402
from analytics.caselog import CaseLogError, parse_case_log  # noqa: E402
from data.db import (  # noqa: E402
    default_database_url,
    make_engine,
    make_session_factory,
    session_scope,
)
from exports.audit_report import FORMATS, audit_report_bytes  # noqa: E402
from setup_app import initialize_database  # noqa: E402


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2025-03-31") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit.py",
        description=(
            "Check that every case in your case log was billed, and billed right: missing "
            "cases (pending or overdue), billed cases not in your log, CPT/ticket/minute "
            "mismatches, duplicates, time arithmetic, overlaps, base units, zeroed units, "
            "ticket gaps."
        ),
        epilog=(
            "The log's first row names its columns: date, ticket, cpt_codes, and optionally "
            "start_time, stop_time, patient, notes (synonyms and any case accepted). "
            "Exit status: 0 audited; 1 the log was refused; 2 bad arguments."
        ),
    )
    parser.add_argument("caselog", metavar="CASELOG", help="your case log, .csv or .xlsx")
    parser.add_argument(
        "--from", dest="start", type=_date, help="first date of service (default: the log's)"
    )
    parser.add_argument(
        "--to", dest="end", type=_date, help="last date of service (default: the log's)"
    )
    parser.add_argument(
        "--out", metavar="FILE", help="write the audit report: .pdf, .xlsx or .csv by extension"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the findings as JSON (kind, ticket, date_of_service, cpt_codes, detail, ...)",
    )
    parser.add_argument(
        "--include-names",
        action="store_true",
        help="put patient names in the report and JSON (left out by default)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="database (default: DATABASE_URL, else instance/compensation.db)",
    )
    return parser


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    path = Path(args.caselog)
    if not path.is_file():
        parser.error(f"not found: {args.caselog}")
    fmt = None
    if args.out:
        fmt = Path(args.out).suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            parser.error("--out must end in .pdf, .xlsx or .csv")
    if args.start and args.end and args.end < args.start:
        parser.error("--to is before --from")

    try:
        parsed = parse_case_log(path.read_bytes(), path.name)
    except CaseLogError as error:
        print(f"Nothing was stored: {error.message}", file=sys.stderr)
        return 1
    if parsed.rejected:
        print(
            f"Nothing was stored: {len(parsed.rejected)} row(s) of {path.name} are refused. "
            "Fix them and run again:",
            file=sys.stderr,
        )
        for row in parsed.rejected:
            print(f"  line {row.row_number}: {row.reason}  [{row.values}]", file=sys.stderr)
        return 1

    first, last = parsed.date_span
    start = args.start or first.replace(day=1)
    end = args.end or _month_end(last)
    engine = make_engine(args.database_url or default_database_url())
    try:
        initialize_database(engine)
        with session_scope(make_session_factory(engine)) as session:
            audit = BillingAudit(session)
            stored = audit.store_log(parsed)
            report = audit.generate_audit_report((start, end), save_matches=True)
            if args.out:
                data = audit_report_bytes(report, fmt, include_names=args.include_names)
                Path(args.out).write_bytes(data)
    finally:
        engine.dispose()

    if args.json:
        findings = [f.to_dict(args.include_names) for f in report.findings]
        print(json.dumps(findings, indent=1, ensure_ascii=False))
    else:
        print(
            f"{path.name}: {len(parsed.rows)} case(s); stored {stored.added} new, "
            f"{stored.already} already stored."
        )
        print(
            f"Audited {start} to {end}: {report.log_rows} logged, {report.billed_cases} billed, "
            f"{len(report.matches)} matched."
        )
        for kind, count in report.counts().items():
            if count:
                print(f"  {count:5d}  {KIND_LABELS[kind]} ({kind})")
        if report.not_covered:
            print(
                f"  {report.not_covered} logged case(s) not judged: served before the first "
                "imported packet's month, or no packets are imported."
            )
        elif not report.findings:
            print("  No findings: every logged case was billed as logged.")
    if args.out:
        print(f"Report written: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
