"""The import CLI: files or folders, a summary, exit codes; and SIGKILL mid-import."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data.db import make_engine, make_session_factory
from data_loader import PacketLoader
from setup_app import initialize_database

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "cli_tools/import_reports.py", "--quiet"]


def _run(args: list[str], db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args, "--database-url", f"sqlite:///{db}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_imports_folder_then_reports_duplicates(history_36, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for month in history_36[:3]:
        shutil.copy(month.pdf_path, folder)
    db = tmp_path / "cli.db"
    first = _run([str(folder)], db)
    assert first.returncode == 0, first.stderr
    assert "Summary: 3 files: 3 imported" in first.stdout
    again = _run([str(folder)], db)
    assert again.returncode == 0
    assert "Summary: 3 files: 3 duplicate" in again.stdout
    assert "already imported on" in again.stdout


def test_cli_exit_codes_for_failures_and_bad_arguments(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n broken")
    db = tmp_path / "cli.db"
    failed = _run([str(bad)], db)
    assert failed.returncode == 1
    assert "bad.pdf: error" in failed.stdout and "Traceback" not in failed.stderr
    missing = _run([str(tmp_path / "nowhere.pdf")], db)
    assert missing.returncode == 2 and "not found" in missing.stderr
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    assert _run([str(empty_dir)], db).returncode == 2
    assert (
        "--replace"
        in subprocess.run([*CLI, "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    )


_VOLATILE = {
    "id",
    "packet_id",
    "pool_report_id",
    "imported_at",
    "created_at",
    "updated_at",
    "timestamp",
    "entity_id",
}


def _content(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows without ids and timestamps, sorted: equal iff the same data."""
    connection = sqlite3.connect(db)
    tables = [
        r[0]
        for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    content = {}
    for table in tables:
        cursor = connection.execute(f'SELECT * FROM "{table}"')
        keep = [i for i, d in enumerate(cursor.description) if d[0] not in _VOLATILE]
        content[table] = sorted((tuple(row[i] for i in keep) for row in cursor), key=repr)
    connection.close()
    return content


def _stored_packets(db: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return connection.execute("SELECT count(*) FROM packets").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after_packets", [1, 4])
def test_sigkill_mid_import_leaves_database_as_before(history_36, tmp_path, kill_after_packets):
    """Kill the import process with SIGKILL while it is importing; the database must hold
    exactly the packets whose transactions completed — equal, row for row, to a database
    that imported just those — and a rerun completes the rest."""
    folder = tmp_path / "in"
    folder.mkdir()
    months = history_36[:12]
    for month in months:
        shutil.copy(month.pdf_path, folder)
    db = tmp_path / "killed.db"
    engine = make_engine(f"sqlite:///{db}")
    initialize_database(engine)
    engine.dispose()

    process = subprocess.Popen(
        [*CLI, str(folder), "--database-url", f"sqlite:///{db}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _stored_packets(db) < kill_after_packets and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # into the next packet's extraction or transaction
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stored = _stored_packets(db)
    assert kill_after_packets <= stored < len(months), "the kill did not land mid-import"
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    reference = tmp_path / "reference.db"
    ref_engine = make_engine(f"sqlite:///{reference}")
    initialize_database(ref_engine)
    loader = PacketLoader(make_session_factory(ref_engine))
    for path in sorted(folder.glob("*.pdf"))[:stored]:
        assert loader.import_file(path).ok
    ref_engine.dispose()
    assert _content(db) == _content(reference)

    rerun = _run([str(folder)], db)
    assert rerun.returncode == 0
    assert f"{stored} duplicate" in rerun.stdout and f"{len(months) - stored} imported" in (
        rerun.stdout
    )
