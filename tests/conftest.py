"""Shared fixtures: a fresh SQLite file per test that writes, an app bound to it, and the
browser (Debian's chromium driven by Playwright) where it is installed."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.db import make_engine, make_session_factory
from setup_app import initialize_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
_browser_skips: list[str] = []


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file; with TEST_DATABASE_URL (a PostgreSQL server, e.g.
    postgresql+psycopg://user:pw@localhost/postgres) a fresh database on it, dropped after."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, seeded database in a temp file."""
    engine = make_engine(db_url)
    initialize_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    session = make_session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def app(db_url: str):
    from app import create_app

    return create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test"})


@pytest.fixture
def client(app):
    return app.test_client()


# --------------------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chromium_missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright; skipped, and said so, where it is missing.
    With REQUIRE_BROWSER=1 (CI) a missing browser fails instead of skipping."""
    reason = _chromium_missing_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Browser tests required but cannot run: {reason}")
        _browser_skips.append(reason)
        pytest.skip(f"BROWSER TEST SKIPPED: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def running_app(env: dict[str, str], *args: str) -> Iterator[str]:
    """The real ``python app.py ARGS`` on a free port with ``env``; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                process.kill()
                raise RuntimeError(f"app.py did not start: {output}") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The real app on an empty temp database."""
    with running_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}) as url:
        yield url


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo database (36 generated months through the real import), built once."""
    from setup_app import build_demo

    folder = tmp_path_factory.mktemp("demo")
    build_demo(f"sqlite:///{folder / 'demo.db'}", months=36)
    return folder / "demo.db"


@pytest.fixture(scope="session")
def demo_server(demo_db: Path, tmp_path_factory) -> Iterator[str]:
    """``app.py --demo`` serving the demo database (read-only use: tests must not change it)."""
    mine = tmp_path_factory.mktemp("mine") / "mine.db"
    env = {"DATABASE_URL": f"sqlite:///{mine}", "DEMO_DATABASE_URL": f"sqlite:///{demo_db}"}
    with running_app(env, "--demo") as url:
        yield url


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if _browser_skips:
        terminalreporter.write_sep("!", "BROWSER TESTS WERE SKIPPED", yellow=True)
        terminalreporter.write_line(f"Reason: {_browser_skips[0]}")
        terminalreporter.write_line(
            "Install Debian's chromium to run them: apt-get install chromium"
        )


# --------------------------------------------------------------------------- generated packets


@pytest.fixture(scope="session")
def history_36(tmp_path_factory):
    """36 months of synthetic packets (seed 1, default layout), generated once per run."""
    from data.synthetic import generate_history

    return generate_history(
        tmp_path_factory.mktemp("history36"), months=36, start="2023-01", seed=1
    )


@pytest.fixture(scope="session")
def imported(history_36, tmp_path_factory):
    """A session on the 36 generated months imported into one SQLite file, rules adopted
    from the F2 (shared by the modules that read it: change nothing, or roll it back)."""
    from analytics.rules import adopt_rules_from_packets
    from data.db import session_scope
    from data_loader import PacketLoader

    url = f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'history.db'}"
    engine = make_engine(url)
    initialize_database(engine)
    factory = make_session_factory(engine)
    loader = PacketLoader(factory)
    for month in history_36:
        assert loader.import_file(month.pdf_path).ok
    with session_scope(factory) as session:
        adopt_rules_from_packets(session)
    session = factory()
    yield session
    session.close()
    engine.dispose()


def csrf_token(client) -> str:
    """The CSRF token a page carries, for tests that post forms like a browser does."""
    import re

    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
