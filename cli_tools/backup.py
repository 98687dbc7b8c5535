"""Back up, list, verify and restore the database from the command line.

    python cli_tools/backup.py create              # prints the new backup's path last
    python cli_tools/backup.py list
    python cli_tools/backup.py verify FILE
    python cli_tools/backup.py restore FILE        # asks first; --yes to skip the question
    python cli_tools/backup.py cleanup             # 30 days of backups + one per month

The database is the app's (``DATABASE_URL``, else instance/compensation.db); backups go
to ``--dir`` (default ``BACKUP_DIR``, else ``backups/``). Exit status: 0 ok, 1 a failed
backup, verification or restore (or a restore not confirmed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.backup import BackupError, DatabaseBackup, default_backup_dir  # noqa: E402
from data.db import SQLITE_DATABASE_ERRORS, default_database_url  # noqa: E402

OK, FAILED, BAD_ARGUMENTS = 0, 1, 2


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dir",
        default=None,
        help="backup folder (default: BACKUP_DIR, else backups/ in the project)",
    )
    common.add_argument(
        "--database-url",
        default=None,
        help="database (default: DATABASE_URL, else instance/compensation.db)",
    )
    parser = argparse.ArgumentParser(
        prog="backup.py",
        description="Back up and restore the compensation database (SQLite). Backups are "
        "consistent while the app writes, integrity-checked, gzipped, with a SHA-256 file.",
        epilog="Exit status: 0 ok; 1 backup, verification or restore failed (or not "
        "confirmed); 2 bad arguments.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    create = commands.add_parser("create", parents=[common], help="make a backup now")
    create.add_argument("--no-compress", action="store_true", help="keep the copy ungzipped")
    commands.add_parser("list", parents=[common], help="list backups, newest first")
    verify = commands.add_parser(
        "verify", parents=[common], help="re-hash a backup and integrity-check its database"
    )
    verify.add_argument("file", metavar="FILE", help="backup file (path, or name in --dir)")
    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="replace the database by a backup (verified first; a restore point is kept)",
    )
    restore.add_argument("file", metavar="FILE", help="backup file (path, or name in --dir)")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.add_argument(
        "--no-checksum",
        action="store_true",
        help="restore a backup that has no .sha256 file (its database is still checked)",
    )
    cleanup = commands.add_parser("cleanup", parents=[common], help="apply the retention policy")
    cleanup.add_argument(
        "--keep-daily", type=int, default=30, help="keep every backup of the last N days (30)"
    )
    cleanup.add_argument(
        "--keep-monthly",
        default="all",
        help="of older backups keep the newest of each month: 'all' (default) or N months",
    )
    return parser


def _resolve(raw: str, folder: Path) -> Path | None:
    for candidate in (Path(raw), folder / raw):
        if candidate.is_file():
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url()
    try:
        backups = DatabaseBackup(url, args.dir or default_backup_dir(url))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_ARGUMENTS
    folder = backups.backup_dir
    target = None
    if args.command in ("verify", "restore"):
        target = _resolve(args.file, folder)
        if target is None:
            print(f"error: no backup file {args.file} (nor in {folder})", file=sys.stderr)
            return BAD_ARGUMENTS
    try:
        if args.command == "create":
            return _create(backups, not args.no_compress)
        if args.command == "list":
            return _list(backups)
        if args.command == "verify":
            return _verify(backups, target)
        if args.command == "restore":
            return _restore(backups, target, args)
        return _cleanup(backups, args)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return FAILED
    except (sqlite3.Error, *SQLITE_DATABASE_ERRORS) as exc:  # plain or SQLCipher
        print(f"error: SQLite: {exc}", file=sys.stderr)
        return FAILED


def _create(backups: DatabaseBackup, compress: bool) -> int:
    print(f"Backing up {backups.database} ...", flush=True)
    path = backups.create_backup(None, compress=compress)
    info = next(i for i in backups.list_backups() if i.path == path)
    print(
        f"Integrity check ok; schema {info.schema_version}, {info.packets} packets, "
        f"{_size(info.size)}, sha256 {info.sha256}"
    )
    print(path)
    return OK


def _list(backups: DatabaseBackup) -> int:
    found = backups.list_backups()
    if not found:
        print(f"No backups of {backups.database.name} in {backups.backup_dir}.")
        return OK
    print(f"Backups of {backups.database.name} in {backups.backup_dir} (newest first):")
    header = (
        f"{'file':<44} {'date':<19} {'size':>9} {'schema':<6} {'packets':>7} "
        f"{'verified':<8}  sha256"
    )
    print(header)
    for info in found:
        checksum = (info.sha256 or "missing")[:16]
        packets = "?" if info.packets is None else info.packets
        verified = {True: "ok", False: "FAILED", None: "-"}[info.verified]
        print(
            f"{info.name:<44} {info.created:%Y-%m-%d %H:%M:%S} {_size(info.size):>9} "
            f"{info.schema_version or '?':<6} {packets:>7} {verified:<8}  {checksum}"
        )
    return OK


def _verify(backups: DatabaseBackup, target: Path) -> int:
    result = backups.verify(target)
    if not result.ok:
        print(f"FAILED {target.name}: {result.message}")
        return FAILED
    print(
        f"OK {target.name}: checksum matches, integrity check ok, schema "
        f"{result.schema_version}, {result.packets} packets"
    )
    return OK


def _restore(backups: DatabaseBackup, target: Path, args: argparse.Namespace) -> int:
    if not args.yes:
        question = (
            f"Replace {backups.database} with {target.name}? The current database is "
            "backed up first. [y/N] "
        )
        try:
            answer = input(question)
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was restored (answer y to restore, or pass --yes).")
            return FAILED
    result = backups.restore_backup(target, verify_checksum=not args.no_checksum)
    print(result.message)
    return OK


def _cleanup(backups: DatabaseBackup, args: argparse.Namespace) -> int:
    monthly: int | str = args.keep_monthly
    if monthly != "all":
        try:
            monthly = int(monthly)
        except ValueError:
            print("error: --keep-monthly is 'all' or a number", file=sys.stderr)
            return BAD_ARGUMENTS
    if args.keep_daily < 1 or (monthly != "all" and monthly < 0):
        print("error: --keep-daily must be 1 or more, --keep-monthly 0 or more", file=sys.stderr)
        return BAD_ARGUMENTS
    removed = backups.cleanup_old_backups(args.keep_daily, monthly)
    for path in removed:
        print(f"removed {path.name}")
    kept = len(backups.list_backups())
    print(f"Removed {len(removed)} backups; {kept} kept.")
    return OK


if __name__ == "__main__":
    sys.exit(main())
