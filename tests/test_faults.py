"""Faults: the disk fills up during an import and during a backup, and an export is killed
(SIGKILL) at moments spread over its run. Each time the database stays consistent and as
before (whole packets or none), no half-written file is left where a file was asked for,
the answer is a clear message (never a traceback), and the app starts afterwards.

The small disk is a real tmpfs mount where mounting is permitted (as root, locally and in
CI); elsewhere each command runs under a file-size limit (RLIMIT_FSIZE), which makes the
same writes fail. SIGKILL during import: tests/test_import_cli.py; during restore:
tests/test_backup_cli.py."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.db import make_engine, make_session_factory
from data_loader import PacketLoader
from setup_app import initialize_database
from tests.conftest import PROJECT_ROOT, running_app


@contextlib.contextmanager
def small_disk(folder: Path, size_kb: int) -> Iterator[int | None]:
    """``folder`` as a ``size_kb`` tmpfs; yields None when mounted, else the byte limit to
    put on each command's files instead (RLIMIT_FSIZE)."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(mount, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        mounted = False
    try:
        yield None if mounted else size_kb * 1024
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def _run(
    args: list[str], env: dict[str, str], file_limit: int | None
) -> subprocess.CompletedProcess:
    def limit() -> None:
        if file_limit:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )


def _snapshot(database: Path) -> dict[str, int]:
    """Integrity check passed, and every table's row count."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _app_starts(database: Path, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{database}", "BACKUP_DIR": str(tmp_path / "app-backups")}
    with running_app(env) as url, urllib.request.urlopen(f"{url}/tickets", timeout=60) as page:
        assert page.status == 200


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    from data.synthetic import generate_history

    return generate_history(tmp_path_factory.mktemp("fault-packets"), months=4, seed=4)


@pytest.fixture
def one_packet_db(tmp_path: Path, months) -> Path:
    database = tmp_path / "base.db"
    engine = make_engine(f"sqlite:///{database}")
    initialize_database(engine)
    assert PacketLoader(make_session_factory(engine)).import_file(months[0].pdf_path).ok
    engine.dispose()
    return database


def test_disk_full_during_import_keeps_whole_packets_and_the_app_starts(
    tmp_path: Path, months, one_packet_db: Path
) -> None:
    later = tmp_path / "later"
    later.mkdir()
    for month in months[1:]:
        shutil.copy(month.pdf_path, later / month.pdf_path.name)
    room = one_packet_db.stat().st_size + 160 * 1024  # the first packets fit, not all
    with small_disk(tmp_path / "small", room // 1024) as file_limit:
        database = tmp_path / "small" / "app.db"
        shutil.copy(one_packet_db, database)
        env = {"DATABASE_URL": f"sqlite:///{database}", "BACKUP_DIR": str(tmp_path / "bk")}
        run = _run(["cli_tools/import_reports.py", str(later), "--quiet"], env, file_limit)
        output = run.stdout + run.stderr
        assert run.returncode == 1, output
        assert "Traceback" not in output
        assert "could not be written to the database" in output
        assert "nothing of it was stored" in output
        print(f"disk full during import: {output.strip().splitlines()[-1]}")
        counts = _snapshot(database)
        with contextlib.closing(sqlite3.connect(database)) as connection:
            stored = dict(
                connection.execute(
                    "SELECT p.period, COUNT(c.id) FROM packets p "
                    "LEFT JOIN charge_transactions c ON c.packet_id = p.id GROUP BY p.id"
                ).fetchall()
            )
        imported = output.count(": imported - ")
        assert len(stored) == 1 + imported < len(months), (stored, output)
        for month in months:  # each stored packet is whole
            if month.period in stored:
                assert stored[month.period] == len(month.truth["charges"]), month.period
        assert counts["packets"] == len(stored)
        shutil.copy(database, tmp_path / "after.db")
    _app_starts(tmp_path / "after.db", tmp_path)


def test_disk_full_during_backup_leaves_no_backup_file_and_the_database_as_it_was(
    tmp_path: Path, one_packet_db: Path
) -> None:
    before = _snapshot(one_packet_db)
    room = one_packet_db.stat().st_size // 2  # the raw copy does not fit
    with small_disk(tmp_path / "small", room // 1024) as file_limit:
        env = {"DATABASE_URL": f"sqlite:///{one_packet_db}"}
        folder = tmp_path / "small" / "backups"
        run = _run(["cli_tools/backup.py", "create", "--dir", str(folder)], env, file_limit)
        output = run.stdout + run.stderr
        assert run.returncode == 1, output
        assert "Traceback" not in output and output.strip(), output
        left = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        assert left == [], f"half-written backup files left: {left}"
    assert _snapshot(one_packet_db) == before
    _app_starts(one_packet_db, tmp_path)


KILL_TRIALS = 6


def test_sigkill_during_export_leaves_the_database_and_no_half_file(
    tmp_path: Path, months, one_packet_db: Path
) -> None:
    engine = make_engine(f"sqlite:///{one_packet_db}")
    loader = PacketLoader(make_session_factory(engine))
    for month in months[1:]:
        assert loader.import_file(month.pdf_path).ok
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{one_packet_db}"}
    command = [sys.executable, "cli_tools/export.py", "--type=excel", "--entity=transactions"]

    durations = []
    for run in range(2):  # the second run is warm: its length is the one to aim at
        started = time.monotonic()
        done = subprocess.run([*command, "--out", str(tmp_path / f"whole{run}.xlsx")],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        durations.append(time.monotonic() - started)
        assert done.returncode == 0, done.stderr
    before = _snapshot(one_packet_db)

    # Kill moments spread over the run; when a run ends before its kill (the machine got
    # faster), the next kill comes sooner, so most trials do kill mid-run.
    delay = 0.5 * durations[-1]
    outcomes = []
    for trial in range(KILL_TRIALS):
        out = tmp_path / f"killed{trial}.xlsx"
        process = subprocess.Popen(
            [*command, "--out", str(out)], cwd=PROJECT_ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        killed_now = process.returncode == -signal.SIGKILL
        delay = min(delay * 1.15, durations[-1]) if killed_now else delay * 0.5
        after = _snapshot(one_packet_db)
        logged = after.pop("export_log") - before["export_log"]
        assert after == {k: v for k, v in before.items() if k != "export_log"}
        assert logged in (0, 1)
        if out.exists():  # only a whole file may be there
            from openpyxl import load_workbook

            load_workbook(out, read_only=True).close()
        stray = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".killed{trial}")]
        outcomes.append((process.returncode, out.exists(), logged, stray))
        before["export_log"] += logged
    killed = sum(code == -signal.SIGKILL for code, *_ in outcomes)
    assert killed >= KILL_TRIALS // 2, outcomes  # the others finished first: whole files
    print(f"export kill trials: {outcomes}")
    _app_starts(one_packet_db, tmp_path)
