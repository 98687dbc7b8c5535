"""Export data from the command line: the same files as the web app's Export button.

    python cli_tools/export.py --type=excel --entity=compensation --range=2024
    python cli_tools/export.py --type=csv --entity=transactions --range=2024-01:2024-06
    python cli_tools/export.py --template tax_prep --range=2024 --out ~/taxes/2024.xlsx
    python cli_tools/export.py --type=pdf --entity=monthly_summary --range=2024-06
    python cli_tools/export.py --list

Each file is recorded in the download history (the Exports page). Patient names are left
out unless --include-names is given (never with tax_prep).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.db import default_database_url, make_engine, make_session_factory, session_scope  # noqa: E402
from exports.service import (  # noqa: E402
    ENTITY_LABELS,
    ExportData,
    ExportError,
    ExportRequest,
    build_export,
    parse_date_range,
    record_export,
)
from setup_app import initialize_database  # noqa: E402

TYPES = {"csv": "csv", "excel": "excel", "xlsx": "excel", "pdf": "pdf"}


def _data(session, args: argparse.Namespace) -> tuple[ExportData, str]:  # noqa: ANN001
    """The export's data and format, from a template or from --type/--entity."""
    from exports.templates import find_template, template_data

    if args.template:
        spec = find_template(session, args.template)
        if spec is None:
            raise ExportError(f"There is no template called {args.template}; see --list.")
        return template_data(session, spec, args.range), spec.export_format
    if not args.type or not args.entity:
        raise ExportError("Give --type and --entity, or --template (see --help).")
    fmt = TYPES[args.type]
    fields = [f.strip() for f in (args.fields or "").split(",") if f.strip()]
    request = ExportRequest(
        date_range=parse_date_range(args.range), fields=fields, include_names=args.include_names
    )
    return build_export(session, args.entity, request), fmt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Export compensation data to CSV, Excel or PDF (the web app's exports).",
        epilog="Entities: " + ", ".join(sorted(ENTITY_LABELS)) + ". "
        "Ranges: a year (2024), a month (2024-06), 2024-01:2024-06, or all.",
    )
    parser.add_argument("--type", choices=sorted(TYPES), help="file format")
    parser.add_argument("--entity", help="what to export (see below)")
    parser.add_argument("--range", default="all", help="date range (default: all)")
    parser.add_argument(
        "--out", type=Path, help="file to write (default: ./<entity>-<range>.<ext>)"
    )
    parser.add_argument(
        "--template", help="run a saved export template (tax_prep, billing_audit, ...)"
    )
    parser.add_argument("--fields", help="comma-separated columns of the main table")
    parser.add_argument(
        "--include-names", action="store_true", help="include patient names (PHI; off by default)"
    )
    parser.add_argument("--list", action="store_true", help="list the export templates and exit")
    parser.add_argument(
        "--database-url", help="database (default: DATABASE_URL, else instance/compensation.db)"
    )
    args = parser.parse_args(argv)

    engine = make_engine(args.database_url or default_database_url())
    try:
        initialize_database(engine)
        factory = make_session_factory(engine)
        if args.list:
            from exports.templates import list_templates

            with session_scope(factory) as session:
                for spec in list_templates(session):
                    print(
                        f"{spec.name:20} {spec.export_format:6} {spec.entity_type:14} "
                        f"{spec.date_range:18} {spec.description}"
                    )
            return 0
        with session_scope(factory) as session:
            data, fmt = _data(session, args)
            from exports.templates import write_export

            out = args.out or Path(data.file_name(fmt))
            path = write_export(data, fmt, out.expanduser())
            size = path.stat().st_size
            record_export(session, data, fmt, path.name, size, template=args.template)
    except ExportError as error:
        print(f"Cannot export: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Cannot write the file: {error.strerror or error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    rows = sum(len(t.rows) for t in data.tables)
    print(f"Wrote {path} ({fmt}, {size:,} bytes, {rows:,} rows, range {data.date_range.text}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
