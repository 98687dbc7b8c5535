"""Backups on real SQLite files with real imported packets: consistent while another
connection writes, a flipped byte caught, a round trip that gives back every row,
retention, schema versions (older migrated, newer refused), the automatic backups."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine

from data.backup import (
    BackupError,
    BackupScheduler,
    DatabaseBackup,
    backup_before,
    default_backup_dir,
    inspect_database,
)
from data.db import make_engine, make_session_factory, schema_version
from data.schema import alembic_config, head_revision
from data_loader import PacketLoader
from setup_app import initialize_database


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: the row-level picture two databases are compared by."""
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in sorted(names)
        }
    finally:
        connection.close()


def imported_db(path: Path, months: list) -> Path:
    """A database file with ``months`` (generated packets) imported the usual way."""
    engine = make_engine(f"sqlite:///{path}")
    initialize_database(engine)
    loader = PacketLoader(make_session_factory(engine))
    for month in months:
        assert loader.import_file(month.pdf_path).ok
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def three_months(tmp_path_factory, history_36) -> Path:
    """A database with three imported months, built once; tests work on copies."""
    return imported_db(tmp_path_factory.mktemp("backup-template") / "template.db", history_36[:3])


@pytest.fixture
def db(tmp_path: Path, three_months: Path) -> Path:
    path = tmp_path / "compensation.db"
    shutil.copyfile(three_months, path)
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def store(db: Path, tmp_path: Path) -> DatabaseBackup:
    return DatabaseBackup(_url(db), tmp_path / "backups")


def _engine(path: Path) -> Engine:
    engine = make_engine(_url(path))
    initialize_database(engine)
    return engine


# --------------------------------------------------------------------------- create, verify


def test_create_writes_gzip_checksum_and_metadata(store: DatabaseBackup, db: Path) -> None:
    path = store.create_backup(None)
    assert path.name.startswith("compensation_backup_") and path.name.endswith(".db.gz")
    digest, name = path.with_name(path.name + ".sha256").read_text().split()
    assert name == path.name and len(digest) == 64
    meta = json.loads(path.with_name(path.name + ".json").read_text())
    assert meta["packets"] == 3 and meta["schema_version"] == head_revision()
    assert meta["verified"] is True
    # The copy unpacks to a database with exactly the live rows.
    unpacked = path.parent / "unpacked.db"
    unpacked.write_bytes(gzip.decompress(path.read_bytes()))
    assert table_rows(unpacked) == table_rows(db)
    [info] = store.list_backups()
    assert (info.path, info.sha256, info.packets, info.size) == (
        path,
        digest,
        3,
        path.stat().st_size,
    )
    # No temporary file is left behind.
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []


def test_uncompressed_backup_and_same_second_names(store: DatabaseBackup) -> None:
    first = store.create_backup(None, compress=False)
    second = store.create_backup(None, compress=False)
    assert first.suffix == ".db" and first != second
    assert inspect_database(first).ok and store.verify(second).ok
    assert store.list_backups()[0].path == second  # newest first


def test_backup_while_another_connection_writes_is_consistent(
    store: DatabaseBackup, db: Path
) -> None:
    """A writer commits batches of 40 audit rows as fast as it can; every backup made
    meanwhile holds whole batches only and passes the integrity check."""
    stop = threading.Event()
    batches = [0]

    def write() -> None:
        connection = sqlite3.connect(db, timeout=15, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        while not stop.is_set():
            batch = batches[0]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO audit_log (timestamp, action_type, entity_type, entity_id, notes) "
                "VALUES ('2026-01-01', 'insert', 'test', ?, ?)",
                [(i, f"batch {batch}") for i in range(40)],
            )
            connection.execute("COMMIT")
            batches[0] += 1
        connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while batches[0] < 5:
            time.sleep(0.01)
        copies, progressed = [], []
        for _ in range(4):
            before = batches[0]
            copies.append(store.create_backup(None, compress=False))
            progressed.append(batches[0] - before)
        assert any(progressed), "the writer never committed while a backup was made"
    finally:
        stop.set()
        writer.join()
    for copy in copies:
        assert inspect_database(copy).ok
        connection = sqlite3.connect(copy)
        counts = connection.execute(
            "SELECT notes, COUNT(*) FROM audit_log WHERE entity_type='test' GROUP BY notes"
        ).fetchall()
        connection.close()
        assert counts and {n for _, n in counts} == {40}, "a batch was copied half-written"


def test_flipped_byte_is_caught_and_restore_refuses(store: DatabaseBackup, db: Path) -> None:
    path = store.create_backup(None)
    before = table_rows(db)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = store.verify(path)
    assert not result.ok and "checksum mismatch" in result.message
    assert store.list_backups()[0].verified is False  # the page shows it failed
    with pytest.raises(BackupError, match="failed verification"):
        store.restore_backup(path)
    assert table_rows(db) == before
    # Even with the checksum file rewritten to match, the damaged copy does not unpack.
    digest = __import__("hashlib").sha256(bytes(data)).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")
    assert not store.verify(path).ok
    with pytest.raises(BackupError):
        store.restore_backup(path)
    assert table_rows(db) == before
    assert len(store.list_backups()) == 1  # a refused restore made no restore point


def test_verify_without_checksum_file(store: DatabaseBackup) -> None:
    path = store.create_backup(None)
    path.with_name(path.name + ".sha256").unlink()
    assert "no checksum file" in store.verify(path).message
    assert store.verify(path, verify_checksum=False).ok


def test_a_file_that_is_not_a_backup(store: DatabaseBackup, tmp_path: Path) -> None:
    fake = tmp_path / "backups" / "compensation_backup_20250101_000000.db"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("hello")
    result = store.verify(fake, verify_checksum=False)
    assert not result.ok and "SQLite" in result.message


# --------------------------------------------------------------------------- restore


def test_create_change_restore_gives_back_every_row(
    store: DatabaseBackup, db: Path, history_36
) -> None:
    original = table_rows(db)
    path = store.create_backup(None)
    engine = _engine(db)
    loader = PacketLoader(make_session_factory(engine))
    assert loader.import_file(history_36[5].pdf_path).ok
    assert loader.delete_packet(1) is not None
    engine.dispose()
    changed = table_rows(db)
    assert changed != original

    result = store.restore_backup(path)
    assert table_rows(db) == original
    assert result.packets == 3 and not result.migrated
    # The restore point holds the database as it was just before.
    assert result.restore_point is not None
    point = db.parent / "point.db"
    point.write_bytes(gzip.decompress(result.restore_point.read_bytes()))
    assert table_rows(point) == changed
    # No leftovers beside the database.
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(".")) == []
    # The app opens it as usual.
    engine = _engine(db)
    assert schema_version(engine) == head_revision()
    engine.dispose()


def test_restore_refuses_while_database_is_open(store: DatabaseBackup, db: Path) -> None:
    path = store.create_backup(None)
    engine = make_engine(_url(db))
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT COUNT(*) FROM packets").scalar()
        with pytest.raises(BackupError, match="in use"):
            store.restore_backup(path)
    engine.dispose()
    assert inspect_database(db).ok


def test_backup_from_older_schema_restores_and_migrates(
    store: DatabaseBackup, db: Path, tmp_path: Path
) -> None:
    expected = table_rows(db)
    old = tmp_path / "old" / "compensation.db"
    old.parent.mkdir()
    shutil.copyfile(db, old)
    engine = make_engine(_url(old))
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE charge_transactions SET points = NULL")
    command.downgrade(alembic_config(engine), "0001")
    assert schema_version(engine) == "0001"
    engine.dispose()
    old_backup = DatabaseBackup(_url(old), tmp_path / "old-backups").create_backup(None)

    # Change the live database, then restore the old-schema backup into it.
    engine = _engine(db)
    PacketLoader(make_session_factory(engine)).delete_all()
    engine.dispose()
    result = store.restore_backup(old_backup)
    assert result.migrated and result.schema_before == "0001"
    assert result.schema_now == head_revision()
    restored = table_rows(db)
    # Every table the old schema had comes back with the same rows, points recomputed.
    for table in ("packets", "charge_transactions", "pool_reports", "payroll_lines"):
        assert restored[table] == expected[table], table
    assert restored["alembic_version"] == [(head_revision(),)]


def test_backup_from_newer_schema_is_refused(
    store: DatabaseBackup, db: Path, tmp_path: Path
) -> None:
    newer = tmp_path / "newer" / "compensation.db"
    newer.parent.mkdir()
    shutil.copyfile(db, newer)
    connection = sqlite3.connect(newer)
    connection.execute("UPDATE alembic_version SET version_num = '0099'")
    connection.commit()
    connection.close()
    path = DatabaseBackup(_url(newer), tmp_path / "newer-backups").create_backup(None)
    before = table_rows(db)
    with pytest.raises(BackupError, match="newer version of the app"):
        store.restore_backup(path)
    assert table_rows(db) == before


def test_restore_into_a_missing_database(store: DatabaseBackup, db: Path) -> None:
    original = table_rows(db)
    path = store.create_backup(None)
    db.unlink()
    result = store.restore_backup(path)
    assert result.restore_point is None and table_rows(db) == original


# --------------------------------------------------------------------------- retention


def _fake_history(store: DatabaseBackup, days: list[dt.datetime]) -> None:
    """One real backup copied under the names of backups made on ``days``."""
    real = store.create_backup(None)
    for when in days:
        name = f"compensation_backup_{when:%Y%m%d_%H%M%S}.db.gz"
        target = real.with_name(name)
        shutil.copyfile(real, target)
        for extra in (".sha256", ".json"):
            shutil.copyfile(real.with_name(real.name + extra), target.with_name(name + extra))
    for extra in ("", ".sha256", ".json"):
        real.with_name(real.name + extra).unlink()


def test_retention_keeps_30_days_and_one_per_month(store: DatabaseBackup) -> None:
    today = dt.date(2026, 6, 15)
    start = dt.datetime(2026, 1, 1, 2, 0)
    days = [start + dt.timedelta(days=i) for i in range((today - start.date()).days + 1)]
    days.append(dt.datetime(2026, 6, 15, 9, 30))  # a backup before an import the same day
    _fake_history(store, days)
    assert len(store.list_backups()) == len(days)
    removed = store.cleanup_old_backups(keep_daily=30, keep_monthly="all", today=today)
    kept = sorted(info.created for info in store.list_backups())
    window = [d for d in days if d.date() >= dt.date(2026, 5, 17)]
    monthly = [dt.datetime(2026, m, n, 2, 0) for m, n in ((1, 31), (2, 28), (3, 31), (4, 30))]
    monthly.append(dt.datetime(2026, 5, 16, 2, 0))  # May's newest before the 30-day window
    assert kept == sorted(monthly + window)
    assert len(window) == 31 and len(removed) == len(days) - len(kept)
    for path in removed:  # sidecars go with their backup
        assert not path.exists() and not path.with_name(path.name + ".sha256").exists()

    store.cleanup_old_backups(keep_daily=30, keep_monthly=2, today=today)
    kept = sorted(info.created for info in store.list_backups())
    assert kept == sorted(monthly[-2:] + window)


def test_retention_never_removes_the_newest_or_other_files(store: DatabaseBackup) -> None:
    _fake_history(store, [dt.datetime(2020, 3, 1, 2, 0), dt.datetime(2020, 3, 2, 2, 0)])
    other = store.backup_dir / "notes.txt"
    other.write_text("mine")
    store.cleanup_old_backups(keep_daily=1, keep_monthly=0, today=dt.date(2026, 1, 1))
    assert [info.created.day for info in store.list_backups()] == [2]
    assert other.exists()
    with pytest.raises(BackupError):
        store.cleanup_old_backups(keep_daily=0)


# --------------------------------------------------------------------------- automatic backups


def test_backup_before_is_a_no_op_without_a_sqlite_file(tmp_path: Path) -> None:
    assert backup_before("delete", "postgresql://user@localhost/db", tmp_path) is None
    assert backup_before("delete", _url(tmp_path / "missing.db"), tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_backup_before_makes_a_backup_and_applies_retention(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "auto"
    store = DatabaseBackup(_url(db), folder)
    _fake_history(store, [dt.datetime(2020, 1, d, 2, 0) for d in range(1, 6)])
    made = backup_before("before deleting all data", _url(db), folder)
    names = [info.name for info in store.list_backups()]
    assert names == [made.name, "compensation_backup_20200105_020000.db.gz"]
    assert store.list_backups()[0].reason == "before deleting all data"


def test_default_backup_dir(monkeypatch, tmp_path: Path) -> None:
    from data.db import INSTANCE_DIR, PROJECT_ROOT

    monkeypatch.delenv("BACKUP_DIR", raising=False)
    assert default_backup_dir(f"sqlite:///{INSTANCE_DIR / 'compensation.db'}") == (
        PROJECT_ROOT / "backups"
    )
    assert default_backup_dir(_url(tmp_path / "x.db")) == tmp_path / "backups"
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "elsewhere"))
    assert default_backup_dir(_url(tmp_path / "x.db")) == tmp_path / "elsewhere"


def test_schema_migration_is_preceded_by_a_backup(db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "auto"))
    engine = make_engine(_url(db))
    command.downgrade(alembic_config(engine), "0002")
    initialize_database(engine)
    assert schema_version(engine) == head_revision()
    engine.dispose()
    [info] = DatabaseBackup(_url(db), tmp_path / "auto").list_backups()
    assert info.reason == "before schema migration" and info.schema_version == "0002"
    # A database already at head, or a new one, is not backed up again.
    initialize_database(make_engine(_url(db)))
    initialize_database(make_engine(_url(tmp_path / "new.db")))
    assert len(list((tmp_path / "auto").glob("*.gz"))) == 1


def test_daily_scheduler_runs_at_2am_and_backs_up(db: Path, tmp_path: Path) -> None:
    scheduler = BackupScheduler(_url(db), tmp_path / "daily")
    scheduler.start()
    try:
        when = scheduler.next_run
        assert (when.hour, when.minute, when.second) == (2, 0, 0)
        assert dt.timedelta(0) < when - dt.datetime.now(when.tzinfo) <= dt.timedelta(days=1)
        scheduler.run_soon()
        deadline = time.monotonic() + 20
        while scheduler.last_backup is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert scheduler.last_backup is not None and scheduler.last_error is None
    [info] = DatabaseBackup(_url(db), tmp_path / "daily").list_backups()
    assert info.reason == "daily" and info.packets == 3


def test_restore_over_a_database_sqlite_cannot_read(store: DatabaseBackup, db: Path) -> None:
    """The moment a restore is for: the file is no database any more. It is kept as the
    restore point (marked as failing verification) and the backup comes back."""
    original = table_rows(db)
    path = store.create_backup(None)
    db.write_bytes(b"this is not a database, the disk mangled it" * 100)
    with pytest.raises(BackupError, match="cannot be read"):
        store.create_backup(None)
    result = store.restore_backup(path)
    assert table_rows(db) == original
    point = next(info for info in store.list_backups() if info.path == result.restore_point)
    assert point.verified is False and not store.verify(point.path).ok


def test_concurrent_backups_in_the_same_second_get_their_own_names(
    db: Path, tmp_path: Path
) -> None:
    """Two processes (the app's scheduler and the CLI, say) backing up at once."""
    import subprocess
    import sys

    folder = tmp_path / "together"
    code = (
        "import sys; from data.backup import DatabaseBackup; "
        f"print(DatabaseBackup({_url(db)!r}, {str(folder)!r}).create_backup(None))"
    )
    root = Path(__file__).resolve().parent.parent
    runs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    paths = {Path(run.communicate(timeout=120)[0].strip()) for run in runs}
    assert len(paths) == 3 and all(run.returncode == 0 for run in runs)
    store = DatabaseBackup(_url(db), folder)
    assert {info.path for info in store.list_backups()} == paths
    assert all(store.verify(path).ok for path in paths)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_cleanup_removes_what_a_killed_backup_left(store: DatabaseBackup) -> None:
    import os

    store.create_backup(None)
    folder = store.backup_dir
    orphan = folder / "compensation_backup_20200101_000000.db.gz.sha256"
    orphan.write_text("")
    temp = folder / ".tmp-999999999-compensation_backup_20200101_000000.db"
    temp.write_bytes(b"half")
    old = 1_000_000_000
    os.utime(orphan, (old, old))
    store.cleanup_old_backups()
    assert not orphan.exists() and not temp.exists()
    assert len(store.list_backups()) == 1


def test_a_server_database_is_refused_without_showing_its_password(tmp_path: Path) -> None:
    """The Backups page shows this message: a group's PostgreSQL password must not be in it."""
    with pytest.raises(BackupError) as refused:
        DatabaseBackup("postgresql+psycopg://clinic:s3cret-pw@db.example/pay", tmp_path)
    message = str(refused.value)
    assert "s3cret-pw" not in message
    assert "postgresql+psycopg://clinic:***@db.example/pay" in message
