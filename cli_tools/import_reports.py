"""Import packet PDFs from the command line.

    python cli_tools/import_reports.py PATH... [--replace] [--password PW]

PATH is a packet PDF or a folder (searched recursively for *.pdf). Each file is one
transaction: imported whole or not at all. Exit status: 0 when every file was imported
or was already there, 1 when any failed or needs --replace, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from data.backup import BackupError, backup_before  # noqa: E402
from data.db import default_database_url, make_engine, make_session_factory  # noqa: E402
from data_loader import ImportResult, PacketLoader  # noqa: E402
from setup_app import initialize_database  # noqa: E402


def collect_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    """PDF files named or found under the folders named, in order; and the paths missing."""
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf"))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(raw)
    return files, missing


def _line(result: ImportResult) -> str:
    text = f"{result.file_name}: {result.status.replace('_', ' ')} - {result.message}"
    if result.failed_checks:
        text += "".join(f"\n    failed check: {check}" for check in result.failed_checks)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="import_reports.py",
        description="Import monthly compensation packet PDFs (files or folders).",
        epilog="Exit status: 0 all imported or already there; 1 some failed; 2 bad arguments.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="packet PDF or folder of PDFs")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace a stored packet of the same physician and month",
    )
    parser.add_argument("--password", default=None, help="password of protected packets")
    parser.add_argument(
        "--database-url",
        default=None,
        help="database (default: DATABASE_URL, else instance/compensation.db)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    files, missing = collect_files(args.paths)
    if missing:
        parser.error("not found: " + ", ".join(missing))
    if not files:
        parser.error("no PDF files found in the paths given")

    url = args.database_url or default_database_url()
    engine = make_engine(url)
    try:
        try:
            initialize_database(engine)
        except SQLAlchemyError as exc:  # e.g. a wrong DATABASE_KEY, a damaged file
            reason = getattr(exc, "orig", None) or exc
            print(f"Nothing was imported: cannot open the database ({reason})", file=sys.stderr)
            return 1
        if len(files) > 1 or args.replace:  # bulk, or may replace: keep the database first
            reason = "before importing several packets" if len(files) > 1 else "before replacing"
            try:
                made = backup_before(reason, url)
            except BackupError as exc:
                print(f"Nothing was imported: the backup first failed ({exc})", file=sys.stderr)
                return 1
            if made and not args.quiet:
                print(f"Backed up first: {made}", file=sys.stderr)
        loader = PacketLoader(make_session_factory(engine))
        results = _import_all(loader, files, args)
        from exports.monthly import summary_after_cli_import

        stored = [r.period for r in results if r.ok and r.period]
        kept = summary_after_cli_import(loader.session_factory, stored, url)
        if kept and not args.quiet:
            print(f"Monthly summary kept: {kept}", file=sys.stderr)
    finally:
        engine.dispose()

    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
    print(f"Summary: {len(results)} files: {summary}")
    return 0 if all(result.ok for result in results) else 1


def _import_all(
    loader: PacketLoader, files: list[Path], args: argparse.Namespace
) -> list[ImportResult]:
    from tqdm import tqdm

    results = []
    with tqdm(files, unit="packet", disable=args.quiet, file=sys.stderr) as bar:
        for path in bar:
            result = loader.import_file(path, replace=args.replace, password=args.password)
            results.append(result)
            bar.write(_line(result))
    return results


if __name__ == "__main__":
    sys.exit(main())
