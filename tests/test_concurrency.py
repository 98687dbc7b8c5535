"""Eight browsers at once while a batch import and a backup run: every request answered,
no error, never "database is locked" (WAL lets readers go on while one writer writes; the
busy timeout covers the short moments two writers meet; each packet is one short write
transaction)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from data.db import make_engine, make_session_factory
from data_loader import PacketLoader
from setup_app import initialize_database
from tests.conftest import PROJECT_ROOT, running_app

CLIENTS = 8
PAGES = [
    "/",
    "/tickets",
    "/cases",
    "/compensation",
    "/analysis",
    "/insights",
    "/cpt_codes",
    "/tickets.csv",
    "/compensation.json",
    "/backups",
    "/health",
]


def _browse(url: str, stop: threading.Event, tally: dict, lock: threading.Lock) -> None:
    """One client: the pages in turn until told to stop; counts answers and problems."""
    n = 0
    while not stop.is_set():
        page = PAGES[n % len(PAGES)]
        n += 1
        try:
            with urllib.request.urlopen(url + page, timeout=60) as answer:
                body = answer.read().decode("utf-8", errors="replace")
                problem = "database is locked" if "database is locked" in body else None
        except urllib.error.HTTPError as error:
            problem = f"{page}: HTTP {error.code}"
        except OSError as error:
            problem = f"{page}: {error}"
        with lock:
            tally["requests"] += 1
            if problem:
                tally["errors"].append(problem)


def test_eight_clients_browse_while_a_batch_import_and_a_backup_run(tmp_path: Path) -> None:
    from data.synthetic import generate_history

    months = generate_history(tmp_path / "packets", months=6, start="2024-01", seed=3)
    database = tmp_path / "busy.db"
    url_db = f"sqlite:///{database}"
    engine = make_engine(url_db)
    initialize_database(engine)
    loader = PacketLoader(make_session_factory(engine))
    for month in months[:2]:
        assert loader.import_file(month.pdf_path).ok
    engine.dispose()
    later = tmp_path / "later"
    later.mkdir()
    for month in months[2:]:
        (later / month.pdf_path.name).write_bytes(month.pdf_path.read_bytes())

    env = {"DATABASE_URL": url_db, "BACKUP_DIR": str(tmp_path / "backups")}
    tally: dict = {"requests": 0, "errors": []}
    lock, stop = threading.Lock(), threading.Event()
    with running_app(env) as url:
        clients = [
            threading.Thread(target=_browse, args=(url, stop, tally, lock), daemon=True)
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        time.sleep(1.0)
        run_env = {**env, "PYTHONPATH": str(PROJECT_ROOT)}
        import os

        full_env = {**os.environ, **run_env}
        importer = subprocess.Popen(
            [sys.executable, "cli_tools/import_reports.py", str(later), "--quiet"],
            cwd=PROJECT_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        backup = subprocess.run(
            [sys.executable, "cli_tools/backup.py", "create", "--dir", str(tmp_path / "b2")],
            cwd=PROJECT_ROOT, env=full_env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        imported_output, _ = importer.communicate(timeout=300)
        time.sleep(0.5)
        stop.set()
        for client in clients:
            client.join(timeout=90)

    assert importer.returncode == 0, imported_output
    assert "4 imported" in imported_output
    assert backup.returncode == 0, backup.stdout + backup.stderr
    for output in (imported_output, backup.stdout, backup.stderr):
        assert "database is locked" not in output.lower()
    assert tally["requests"] >= 2 * CLIENTS, tally["requests"]
    assert tally["errors"] == [], tally["errors"][:10]
    print(f"concurrency: {tally['requests']} requests from {CLIENTS} clients, 0 errors")
