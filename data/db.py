"""Engines and sessions: where the database is and how every connection is set up.

``DATABASE_URL`` selects the database; by default it is a SQLite file in the app's
instance folder (``instance/compensation.db``), the demo database sits beside it as
``instance/demo.db``. Every SQLite connection gets foreign keys on (so packet deletes
cascade), WAL (readers never block the writer) and a busy timeout.

Encryption at rest (optional): with ``DATABASE_KEY`` (a passphrase) or ``DATABASE_KEY_FILE``
(a file whose first line is the passphrase) set, a SQLite database is opened through
SQLCipher (``sqlcipher3``): every page of the file, its WAL and every backup made from it
are encrypted. Without them, plain SQLite (the default).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DB_NAME = "compensation.db"
DEMO_DB_NAME = "demo.db"
BUSY_TIMEOUT_MS = 15_000


class DatabaseKeyError(Exception):
    """The encryption key is set but cannot be used (unreadable file, no SQLCipher)."""


def database_key() -> str | None:
    """The passphrase of an encrypted database: ``DATABASE_KEY``, else the first line of
    the file ``DATABASE_KEY_FILE`` names; None for plain SQLite."""
    if os.environ.get("DATABASE_KEY"):
        return os.environ["DATABASE_KEY"]
    key_file = os.environ.get("DATABASE_KEY_FILE")
    if not key_file:
        return None
    try:
        lines = Path(key_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatabaseKeyError(
            f"cannot read DATABASE_KEY_FILE {key_file}: {exc.strerror}"
        ) from None
    if not lines or not lines[0].strip():
        raise DatabaseKeyError(f"DATABASE_KEY_FILE {key_file} is empty")
    return lines[0].strip()


def _sqlcipher() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise DatabaseKeyError(
            "DATABASE_KEY is set but SQLCipher is not installed (pip install -r requirements.txt)"
        ) from None
    return dbapi2


def connect_sqlite(database: Any, *args: Any, **kwargs: Any) -> Any:
    """Open the database file directly (backups, integrity checks): Python's ``sqlite3``,
    or with a key SQLCipher's, unlocked. Catch :data:`SQLITE_DATABASE_ERRORS` around it."""
    key = database_key()
    if key is None:
        return sqlite3.connect(database, *args, **kwargs)
    connection = _sqlcipher().connect(database, *args, **kwargs)
    connection.execute("PRAGMA cipher_log_level = NONE")  # errors reach us as exceptions
    connection.execute("PRAGMA key = '" + key.replace("'", "''") + "'")
    return connection


def _error_classes(name: str) -> tuple[type[Exception], ...]:
    classes = [getattr(sqlite3, name)]
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return tuple(classes)
    return (*classes, getattr(dbapi2, name))


#: What a direct connection raises, from either library.
SQLITE_DATABASE_ERRORS = _error_classes("DatabaseError")
SQLITE_OPERATIONAL_ERRORS = _error_classes("OperationalError")


def default_database_url(demo: bool = False) -> str:
    """The database the app and every CLI use unless ``DATABASE_URL`` says otherwise."""
    if not demo and os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if demo and os.environ.get("DEMO_DATABASE_URL"):
        return os.environ["DEMO_DATABASE_URL"]
    name = DEMO_DB_NAME if demo else DEFAULT_DB_NAME
    return f"sqlite:///{INSTANCE_DIR / name}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def _configure_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001 (DBAPI types)
    cursor = dbapi_connection.cursor()
    if type(dbapi_connection).__module__.startswith("sqlcipher3"):
        cursor.execute("PRAGMA cipher_log_level = NONE")  # errors reach us as exceptions
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: :func:`default_database_url`), SQLite set up safely.

    The SQLite file's folder is created when missing, so a fresh checkout just works.
    """
    url = url or default_database_url()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    key = database_key() if path is not None else None
    if key is not None:  # SQLAlchemy's SQLCipher dialect sends the key on every connect
        _sqlcipher()
        url = make_url(url).set(drivername="sqlite+pysqlcipher", password=key)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll everything back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read_snapshot(factory: sessionmaker[Session]) -> Session:
    """A session whose reads all see the database as it was at its first read, for a page
    to read while an import commits: without it, the data-version fingerprint, a cached
    figure and the rows read next could come from before and after the commit (a page
    listing lines of a packet its cached packet list did not hold yet). Read-only: write
    with :func:`session_scope`. Closing the session ends the snapshot."""
    session = factory()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # pysqlite opens no transaction for SELECTs; a deferred BEGIN pins the WAL snapshot
        # at the first read.
        connection.exec_driver_sql("BEGIN")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    return session


def schema_version(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
