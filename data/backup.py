"""Backups of the SQLite database: made while the app writes, checked, and restorable
without ever leaving a half-written database.

A backup is ``<db>_backup_YYYYMMDD_HHMMSS.db.gz`` (``.db`` uncompressed) with two sidecars:
``.sha256`` (the stored file's SHA-256 in ``sha256sum`` format, so ``sha256sum -c`` works
too) and ``.json`` (when, why, schema version, packet count, last verification). Files
are written under a temporary name and renamed only when complete, so a crash never
leaves something that looks like a backup but is not one.

- :meth:`DatabaseBackup.create_backup` copies through SQLite's online backup (one read
  transaction: a consistent snapshot while other connections write), runs
  ``PRAGMA integrity_check`` on the copy, compresses and checksums it.
- :meth:`DatabaseBackup.restore_backup` verifies first, keeps a restore point of the
  current database, migrates an older schema on the copy (refuses a newer one), and swaps
  the file in with one ``os.replace``: a crash at any moment leaves the old or the new
  database, never a mix.
- :func:`backup_before` is what imports, deletes and migrations call; :class:`BackupScheduler`
  makes the daily 2 AM backup while the app runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from data.db import (
    INSTANCE_DIR,
    PROJECT_ROOT,
    SQLITE_DATABASE_ERRORS,
    SQLITE_OPERATIONAL_ERRORS,
    connect_sqlite,
    default_database_url,
    sqlite_path,
)

log = logging.getLogger("compensation.backup")

DEFAULT_BACKUP_DIR = PROJECT_ROOT / "backups"
TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S"
_NAME_RE = re.compile(r"^(?P<stem>.+)_backup_(?P<ts>\d{8}_\d{6})(?:-(?P<n>\d+))?\.db(?:\.gz)?$")
_TEMP_PREFIX = ".tmp-"
_RESTORE_PREFIX = ".restore-"
_COPY_CHUNK = 1 << 20
#: One backup or restore at a time in this process (the page, the scheduler, an import).
_LOCK = threading.RLock()


class BackupError(Exception):
    """A backup, verification or restore that did not happen; the message says why."""


@dataclass
class BackupInfo:
    """One backup file and what its sidecars say about it."""

    path: Path
    created: dt.datetime
    size: int
    sha256: str | None
    schema_version: str | None = None
    packets: int | None = None
    reason: str | None = None
    verified: bool | None = None
    verified_at: str | None = None
    verify_message: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        return {
            "file": self.name,
            "date": self.created.isoformat(timespec="seconds"),
            "size": self.size,
            "sha256": self.sha256,
            "schema_version": self.schema_version,
            "packets": self.packets,
            "reason": self.reason,
            "verified": self.verified,
            "verified_at": self.verified_at,
            "verify_message": self.verify_message,
        }


@dataclass
class Verification:
    """What :meth:`DatabaseBackup.verify` found."""

    ok: bool
    message: str
    schema_version: str | None = None
    packets: int | None = None


@dataclass
class RestoreResult:
    """A finished restore: what came back and where the previous database was kept."""

    restored_from: Path
    restore_point: Path | None
    schema_before: str | None
    schema_now: str | None
    packets: int
    migrated: bool
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"Restored {self.restored_from.name}: {self.packets} packets"
        if self.migrated:
            text += f", upgraded from schema {self.schema_before} to {self.schema_now}"
        if self.restore_point:
            text += f". The database as it was is kept in {self.restore_point.name}"
        return text + "."


# --------------------------------------------------------------------------- small helpers


def default_backup_dir(database_url: str | None = None) -> Path:
    """``BACKUP_DIR`` if set; else ``backups/`` in the project for the app's own databases
    (in ``instance/``), and a ``backups`` folder beside any other database file."""
    if os.environ.get("BACKUP_DIR"):
        return Path(os.environ["BACKUP_DIR"]).resolve()
    path = sqlite_path(database_url or default_database_url())
    if path is None or path.parent == INSTANCE_DIR.resolve():
        return DEFAULT_BACKUP_DIR
    return path.parent / "backups"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _temp_name(folder: Path, name: str) -> Path:
    """A temporary file of this process (its id in the name tells a later cleanup whether
    the writer still runs)."""
    return folder / f"{_TEMP_PREFIX}{os.getpid()}-{name}"


def _write_atomic(path: Path, text: str) -> None:
    temp = _temp_name(path.parent, path.name)
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file as stored (read in 1 MB chunks: backups can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _unpack(path: Path, dest: Path) -> None:
    """Copy a backup's database (gunzipped if needed) to ``dest`` and fsync it."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as source, open(dest, "wb") as out:
        shutil.copyfileobj(source, out, _COPY_CHUNK)
        out.flush()
        os.fsync(out.fileno())


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect_sqlite(path, timeout=15, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def inspect_database(path: Path) -> Verification:
    """Integrity check, schema version and packet count of a database file."""
    try:
        with _connect(path) as connection:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            problems = [row[0] for row in rows if row[0] != "ok"]
            if problems:
                return Verification(False, "integrity check failed: " + "; ".join(problems[:3]))
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "alembic_version" not in tables:
                return Verification(False, "not a compensation database (no schema version)")
            version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            packets = None
            if "packets" in tables:
                packets = connection.execute("SELECT COUNT(*) FROM packets").fetchone()[0]
    except SQLITE_DATABASE_ERRORS as exc:
        return Verification(False, f"not a readable SQLite database ({exc})")
    return Verification(True, "ok", version[0] if version else None, packets)


def _known_revisions() -> tuple[str | None, set[str]]:
    from alembic.script import ScriptDirectory

    from data.schema import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    return scripts.get_current_head(), {rev.revision for rev in scripts.walk_revisions()}


# --------------------------------------------------------------------------- the backup class


def _without_password(url: str) -> str:
    """A database URL fit to show or log: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "that database URL"


class DatabaseBackup:
    """Backups of one SQLite database (``database_url``, default: the app's)."""

    def __init__(self, database_url: str | None = None, backup_dir: str | Path | None = None):
        self.database_url = database_url or default_database_url()
        path = sqlite_path(self.database_url)
        if path is None:
            raise BackupError(
                "Backups work on a SQLite database file; "
                f"{_without_password(self.database_url)} is not one."
            )
        self.database = path
        self.backup_dir = Path(backup_dir) if backup_dir else default_backup_dir(database_url)

    def _dir(self, backup_dir: str | Path | None) -> Path:
        if backup_dir is None or str(backup_dir) == "backups/":
            return self.backup_dir
        return Path(backup_dir)

    def _new_name(self, folder: Path, compress: bool, now: dt.datetime) -> Path:
        """A free name, reserved by creating its ``.sha256`` exclusively: two processes
        backing up within the same second never pick the same one."""
        base = f"{self.database.stem}_backup_{now.strftime(TIMESTAMP_FORMAT)}"
        suffix = ".db.gz" if compress else ".db"
        n = 1
        while True:
            candidate = folder / (f"{base}{suffix}" if n == 1 else f"{base}-{n}{suffix}")
            if not candidate.exists():
                try:
                    os.close(os.open(_sidecar(candidate, ".sha256"), os.O_CREAT | os.O_EXCL))
                    return candidate
                except FileExistsError:
                    pass
            n += 1

    def create_backup(
        self,
        backup_dir: str | Path | None = "backups/",
        compress: bool = True,
        reason: str = "manual",
        require_integrity: bool = True,
    ) -> Path:
        """Create a timestamped, checked, checksummed backup; returns its path.

        ``backup_dir`` ``'backups/'`` (the design's default) means this object's folder.
        With ``require_integrity`` a copy that fails ``PRAGMA integrity_check`` is not
        kept (a restore point of a damaged database is kept, marked as failed)."""
        if not self.database.exists():
            raise BackupError(f"There is no database at {self.database} to back up.")
        folder = self._dir(backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            final = self._new_name(folder, compress, dt.datetime.now())
            raw = _temp_name(folder, f"{final.stem}.db")
            try:
                try:
                    self._online_copy(raw)
                    found = inspect_database(raw)
                except SQLITE_DATABASE_ERRORS as exc:
                    if require_integrity:
                        raise BackupError(f"{self.database} cannot be read ({exc})") from exc
                    # A restore point of a file SQLite cannot read: keep its bytes as they are.
                    shutil.copyfile(self.database, raw)
                    found = Verification(False, f"not a readable SQLite database ({exc})")
                if not found.ok and require_integrity:
                    raise BackupError(
                        f"The copy of {self.database.name} is damaged: {found.message}"
                    )
                stored = raw
                if compress:
                    stored = _temp_name(folder, final.name)
                    with open(raw, "rb") as source, gzip.open(stored, "wb", compresslevel=6) as out:
                        shutil.copyfileobj(source, out, _COPY_CHUNK)
                    _fsync_file(stored)
                    raw.unlink()
                digest = file_sha256(stored)
                now = dt.datetime.now().isoformat(timespec="seconds")
                _write_atomic(_sidecar(final, ".sha256"), f"{digest}  {final.name}\n")
                meta = {
                    "database": str(self.database),
                    "created": now,
                    "reason": reason,
                    "schema_version": found.schema_version,
                    "packets": found.packets,
                    "sha256": digest,
                    "compressed": compress,
                    "verified": found.ok,
                    "verified_at": now,
                    "verify_message": "integrity check ok when made" if found.ok else found.message,
                }
                _write_atomic(_sidecar(final, ".json"), json.dumps(meta, indent=1))
                os.replace(stored, final)
                _fsync_dir(folder)
            finally:
                for temp in folder.glob(f"{_TEMP_PREFIX}{os.getpid()}-{final.stem}*"):
                    temp.unlink(missing_ok=True)
                if not final.exists():  # failed: give the reserved name back
                    for extra in (".sha256", ".json"):
                        _sidecar(final, extra).unlink(missing_ok=True)
        log.info("Backup %s (%s) written", final.name, reason)
        return final

    def _online_copy(self, dest: Path) -> None:
        """SQLite's online backup in one step: one read transaction, so the copy is one
        consistent snapshot even while other connections write (WAL lets them)."""
        source = connect_sqlite(self.database, timeout=15)
        try:
            target = connect_sqlite(dest)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                target.commit()
            finally:
                target.close()
        finally:
            source.close()
        _fsync_file(dest)

    def list_backups(self, backup_dir: str | Path | None = "backups/") -> list[BackupInfo]:
        """This database's backups in ``backup_dir``, newest first, with their metadata."""
        folder = self._dir(backup_dir)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            match = _NAME_RE.match(path.name)
            if not match or match["stem"] != self.database.stem or not path.is_file():
                continue
            found.append(describe_backup(path))
        return sorted(found, key=_order, reverse=True)

    def verify(self, backup_file: str | Path, verify_checksum: bool = True) -> Verification:
        """Re-hash the file against its ``.sha256`` and integrity-check the unpacked copy.
        The result is recorded in the backup's ``.json`` for the Backups page."""
        path = Path(backup_file)
        result = self._verify(path, verify_checksum)
        _record_verification(path, result)
        return result

    def _verify(
        self, path: Path, verify_checksum: bool, keep_copy: Path | None = None
    ) -> Verification:
        if not path.is_file():
            return Verification(False, f"{path} does not exist")
        if verify_checksum:
            expected = read_checksum(path)
            if expected is None:
                return Verification(False, f"no checksum file {path.name}.sha256 beside it")
            if file_sha256(path) != expected:
                return Verification(False, "checksum mismatch: the file changed since it was made")
        copy = keep_copy or _temp_name(path.parent, f"verify-{path.stem}")
        try:
            try:
                _unpack(path, copy)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                return Verification(False, f"cannot be unpacked ({exc})")
            return inspect_database(copy)
        finally:
            if keep_copy is None:
                copy.unlink(missing_ok=True)

    def restore_backup(
        self, backup_file: str | Path, verify_checksum: bool = True
    ) -> RestoreResult:
        """Put a backup in place of the database, never leaving a half-written one.

        Verifies first; refuses a backup from a newer schema and migrates an older one
        (on the copy, before it goes in); keeps a restore point of the current database;
        swaps with ``os.replace`` and checks that the result opens and is intact. Every
        connection to the database must be closed (the app disposes its engine)."""
        path = Path(backup_file)
        head, known = _known_revisions()
        with _LOCK:
            self.database.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.database.parent, _RESTORE_PREFIX)
            temp = self.database.parent / f"{_RESTORE_PREFIX}{os.getpid()}-{self.database.name}"
            try:
                found = self._verify(path, verify_checksum, keep_copy=temp)
                if not found.ok:
                    raise BackupError(f"{path.name} failed verification: {found.message}")
                before = found.schema_version
                if before not in known:
                    raise BackupError(
                        f"{path.name} was made by a newer version of the app (schema {before}; "
                        f"this app knows up to {head}). Update the app, then restore it."
                    )
                migrated = before != head
                if migrated:
                    try:
                        _migrate_copy(temp)
                    except Exception as exc:  # noqa: BLE001 - any failure: nothing replaced
                        raise BackupError(
                            f"{path.name} (schema {before}) could not be upgraded to {head}: "
                            f"{type(exc).__name__}: {exc}"
                        ) from exc
                restore_point = None
                if self.database.exists():
                    restore_point = self.create_backup(
                        None, reason=f"before restoring {path.name}", require_integrity=False
                    )
                self._swap_in(temp)
            finally:
                temp.unlink(missing_ok=True)
            now = inspect_database(self.database)
            if not now.ok:
                raise BackupError(
                    f"The restored database failed its check ({now.message}); the previous one "
                    f"is in {restore_point}."
                )
        log.info("Restored %s", path.name)
        return RestoreResult(
            path, restore_point, before, now.schema_version, now.packets or 0, migrated
        )

    def _swap_in(self, temp: Path) -> None:
        """Replace the database by ``temp`` in one rename while holding its lock."""
        _fsync_file(temp)
        if not self.database.exists():
            for stale in ("-wal", "-shm", "-journal"):
                Path(f"{self.database}{stale}").unlink(missing_ok=True)
            os.replace(temp, self.database)
            _fsync_dir(self.database.parent)
            return
        connection = connect_sqlite(self.database, timeout=2, isolation_level=None)
        try:
            try:
                # Leaving WAL checkpoints every committed page into the main file and
                # removes the -wal; it needs the only connection, so it fails while the
                # app (or anything else) has the database open.
                mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                if mode != "delete":
                    raise sqlite3.OperationalError("database is locked")
                connection.execute("BEGIN EXCLUSIVE")
            except SQLITE_OPERATIONAL_ERRORS as exc:
                raise BackupError(
                    f"The database is in use ({exc}): stop the app before restoring from "
                    "the command line, or restore from the app's Backups page."
                ) from exc
            except SQLITE_DATABASE_ERRORS:
                pass  # not a database any more (what a restore is for): nothing to keep
            for stale in ("-wal", "-shm", "-journal"):
                Path(f"{self.database}{stale}").unlink(missing_ok=True)
            os.replace(temp, self.database)
            _fsync_dir(self.database.parent)
        finally:
            connection.close()

    def cleanup_old_backups(
        self,
        keep_daily: int = 30,
        keep_monthly: int | str = "all",
        backup_dir: str | Path | None = "backups/",
        today: dt.date | None = None,
    ) -> list[Path]:
        """Retention: every backup of the last ``keep_daily`` days stays (so the points
        before an import or delete survive the day), and of older ones the newest of each
        month (``'all'`` months, or the newest ``keep_monthly`` months). The newest
        backup always stays. Returns the files removed."""
        today = today or dt.date.today()
        if keep_daily < 1:
            raise BackupError("keep_daily must be at least 1 (the newest day always stays).")
        if keep_monthly != "all" and (not isinstance(keep_monthly, int) or keep_monthly < 0):
            raise BackupError("keep_monthly is 'all' or a number of months (0 or more).")
        folder = self._dir(backup_dir)
        backups = self.list_backups(folder)
        cutoff = today - dt.timedelta(days=keep_daily - 1)
        keep: set[Path] = {info.path for info in backups[:1]}
        months_seen: list[str] = []
        for info in backups:  # newest first
            if info.created.date() >= cutoff:
                keep.add(info.path)
                continue
            month = info.created.strftime("%Y-%m")
            if month in months_seen:
                continue
            months_seen.append(month)
            if keep_monthly == "all" or len(months_seen) <= int(keep_monthly):
                keep.add(info.path)
        removed = []
        with _LOCK:
            for info in backups:
                if info.path in keep:
                    continue
                for extra in (".sha256", ".json"):
                    _sidecar(info.path, extra).unlink(missing_ok=True)
                info.path.unlink(missing_ok=True)
                removed.append(info.path)
            _remove_stale(folder, _TEMP_PREFIX)
            _remove_orphan_sidecars(folder)
        return removed


# --------------------------------------------------------------------------- sidecars


def read_checksum(path: Path) -> str | None:
    """The SHA-256 a backup's ``.sha256`` sidecar records, or None without one."""
    sidecar = _sidecar(path, ".sha256")
    if not sidecar.is_file():
        return None
    text = sidecar.read_text(encoding="utf-8").split()
    return text[0].lower() if text else None


def _read_meta(path: Path) -> dict[str, Any]:
    sidecar = _sidecar(path, ".json")
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _record_verification(path: Path, result: Verification) -> None:
    if not path.is_file():
        return
    meta = _read_meta(path)
    meta.update(
        verified=result.ok,
        verified_at=dt.datetime.now().isoformat(timespec="seconds"),
        verify_message=result.message,
    )
    if result.ok:
        meta.update(schema_version=result.schema_version, packets=result.packets)
    with contextlib.suppress(OSError):
        _write_atomic(_sidecar(path, ".json"), json.dumps(meta, indent=1))


def describe_backup(path: Path) -> BackupInfo:
    """A backup's facts from its name, size and sidecars (nothing is unpacked)."""
    match = _NAME_RE.match(path.name)
    if match:
        created = dt.datetime.strptime(match["ts"], TIMESTAMP_FORMAT)
    else:
        created = dt.datetime.fromtimestamp(path.stat().st_mtime)
    meta = _read_meta(path)
    return BackupInfo(
        path=path,
        created=created,
        size=path.stat().st_size,
        sha256=read_checksum(path),
        schema_version=meta.get("schema_version"),
        packets=meta.get("packets"),
        reason=meta.get("reason"),
        verified=meta.get("verified"),
        verified_at=meta.get("verified_at"),
        verify_message=meta.get("verify_message"),
    )


def _order(info: BackupInfo) -> tuple[dt.datetime, int]:
    """Creation time, then the ``-N`` of a second backup made within the same second."""
    match = _NAME_RE.match(info.name)
    return info.created, int(match["n"]) if match and match["n"] else 1


def _pid_alive(name: str, prefix: str) -> bool:
    """Whether the process that named a temporary file ``<prefix><pid>-...`` may still be
    writing it (True when the name holds no process id: then only age tells)."""
    pid = name[len(prefix) :].split("-", 1)[0]
    if not pid.isdigit():
        return True
    if int(pid) == os.getpid():  # ours, from an earlier call: calls here take turns
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(folder: Path, prefix: str, older_than_s: float = 3600) -> None:
    """Temporary files a killed backup or restore left behind: those of a process that no
    longer runs, and any older than an hour (a file being written now is younger)."""
    if not folder.is_dir():
        return
    limit = dt.datetime.now().timestamp() - older_than_s
    for path in folder.glob(f"{prefix}*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit or not _pid_alive(path.name, prefix):
                path.unlink()


def _remove_orphan_sidecars(folder: Path, older_than_s: float = 3600) -> None:
    """Sidecars whose backup was never finished (a killed backup reserved the name)."""
    limit = dt.datetime.now().timestamp() - older_than_s
    for extra in (".sha256", ".json"):
        for sidecar in folder.glob(f"*_backup_*{extra}"):
            backup = sidecar.with_name(sidecar.name[: -len(extra)])
            if _NAME_RE.match(backup.name) and not backup.exists():
                with contextlib.suppress(OSError):
                    if sidecar.stat().st_mtime < limit:
                        sidecar.unlink()


def _migrate_copy(path: Path) -> None:
    """Bring a restored copy from an older schema to head (and fill what migrations
    added), before it replaces anything."""
    from data.db import make_engine
    from data.schema import upgrade_to_head
    from setup_app import backfill_derived, seed_default_rule

    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_to_head(engine, backup=False)
        seed_default_rule(engine)
        backfill_derived(engine)
    finally:
        engine.dispose()
    with _connect(path) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")


# --------------------------------------------------------------------------- automatic backups


def backup_before(
    reason: str, database_url: str | None = None, backup_dir: str | Path | None = None
) -> Path | None:
    """The automatic backup before an import, delete or migration, then retention.

    A no-op (None) for a database that is not a SQLite file or does not exist yet.
    Raises :class:`BackupError` when the backup cannot be made, so the caller can refuse
    to go on rather than change data without one."""
    url = database_url or default_database_url()
    path = sqlite_path(url)
    if path is None or not path.exists() or path.stat().st_size == 0:
        return None
    backups = DatabaseBackup(url, backup_dir)
    try:
        made = backups.create_backup(None, reason=reason)
        backups.cleanup_old_backups()
    except OSError as exc:
        raise BackupError(f"could not write a backup in {backups.backup_dir}: {exc}") from exc
    return made


class BackupScheduler:
    """The daily backup (02:00 local time by default) while the app runs, in a
    background thread (APScheduler). A computer asleep at 2 AM backs up when it wakes
    (up to 12 hours late)."""

    JOB_ID = "daily-backup"

    def __init__(
        self,
        database_url: str | None = None,
        backup_dir: str | Path | None = None,
        hour: int = 2,
        minute: int = 0,
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger

        self.database_url = database_url or default_database_url()
        self.backup_dir = backup_dir
        self.last_backup: Path | None = None
        self.last_error: str | None = None
        self._scheduler = BackgroundScheduler(daemon=True)
        self._scheduler.add_job(
            self.run_backup,
            CronTrigger(hour=hour, minute=minute),
            id=self.JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=12 * 3600,
        )

    def run_backup(self) -> Path | None:
        """The job: a daily backup and retention; errors are logged, never raised."""
        try:
            self.last_backup = backup_before("daily", self.database_url, self.backup_dir)
            self.last_error = None
        except BackupError as exc:
            self.last_error = str(exc)
            log.error("Daily backup failed: %s", exc)
        return self.last_backup

    @property
    def next_run(self) -> dt.datetime | None:
        """When the daily backup runs next (the Backups page shows it)."""
        job = self._scheduler.get_job(self.JOB_ID)
        return getattr(job, "next_run_time", None)

    def start(self) -> None:
        """Start the background thread (``app.py`` main, not create_app)."""
        self._scheduler.start()

    def run_soon(self) -> None:
        """Run the daily job now in the scheduler's thread (as at 2 AM)."""
        self._scheduler.get_job(self.JOB_ID).modify(
            next_run_time=dt.datetime.now(self._scheduler.timezone)
        )
        self._scheduler.wakeup()

    def stop(self) -> None:
        """Stop the thread, letting a backup in progress finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
