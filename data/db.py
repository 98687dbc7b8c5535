"""Engines and sessions: where the database is and how every connection is set up.

``DATABASE_URL`` selects the database; by default it is a SQLite file in the app's
instance folder (``instance/compensation.db``), the demo database sits beside it as
``instance/demo.db``. Every SQLite connection gets foreign keys on (so packet deletes
cascade), WAL (readers never block the writer) and a busy timeout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DB_NAME = "compensation.db"
DEMO_DB_NAME = "demo.db"
BUSY_TIMEOUT_MS = 15_000


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


def schema_version(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
