"""Encryption at rest (optional): with DATABASE_KEY the database file, and every backup made
from it, is SQLCipher ciphertext; the importer, the app and backup/verify/restore work as
before; a wrong key is a clear one-line refusal. Without a key: plain SQLite."""

from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from data.db import DatabaseKeyError, database_key, make_engine
from tests.conftest import PROJECT_ROOT, running_app

pytest.importorskip("sqlcipher3", reason="sqlcipher3-binary not installed (requirements.txt)")

KEY = "made-up passphrase with a ' quote"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _plain_sqlite_cannot_read(path: Path) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        connection = sqlite3.connect(path)
        try:
            connection.execute("SELECT COUNT(*) FROM packets").fetchone()
        finally:
            connection.close()


def test_encrypted_database_and_backups_round_trip(tmp_path: Path) -> None:
    from data.synthetic import generate_history

    months = generate_history(tmp_path / "packets", months=2, start="2024-01", seed=6)
    database = tmp_path / "secret.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "DATABASE_KEY": KEY,
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    imported = _cli(["cli_tools/import_reports.py", str(tmp_path / "packets"), "--quiet"], env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "2 imported" in imported.stdout

    _plain_sqlite_cannot_read(database)
    name = next(c["patient_name"] for c in months[0].truth["charges"] if c.get("patient_name"))
    raw = database.read_bytes()
    assert name.encode() not in raw and b"SQLite format 3" not in raw

    made = _cli(["cli_tools/backup.py", "create"], env)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    copy = tmp_path / "copy.db"
    copy.write_bytes(gzip.decompress(backup.read_bytes()))
    _plain_sqlite_cannot_read(copy)
    assert name.encode() not in copy.read_bytes()
    verified = _cli(["cli_tools/backup.py", "verify", str(backup)], env)
    assert verified.returncode == 0 and "integrity check ok" in verified.stdout, verified.stdout
    assert "2 packets" in verified.stdout

    ticket = months[0].truth["charges"][0]["ticket"]
    with running_app(env) as url, urllib.request.urlopen(f"{url}/cases/{ticket}") as page:
        assert page.status == 200 and ticket in page.read().decode()

    # Restore over a changed database gives back the two packets.
    engine = make_engine(f"sqlite+pysqlcipher://:{KEY}@/{database}")
    with engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("DELETE FROM packets"))
    engine.dispose()
    restored = _cli(["cli_tools/backup.py", "restore", str(backup), "--yes"], env)
    assert restored.returncode == 0, restored.stderr
    assert "2 packets" in restored.stdout

    wrong = {**env, "DATABASE_KEY": "not the key"}
    refused = _cli(["cli_tools/backup.py", "create"], wrong)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    pdf = str(months[0].pdf_path)
    not_imported = _cli(["cli_tools/import_reports.py", pdf, "--quiet"], wrong)
    assert not_imported.returncode == 1 and "Traceback" not in not_imported.stderr
    assert "cannot open the database (file is not a database)" in not_imported.stderr
    assert "ERROR CORE" not in not_imported.stderr  # SQLCipher's own log stays quiet
    started = _cli(["app.py", "--port", "1"], wrong)
    assert started.returncode == 1 and "Could not open the database" in started.stderr
    assert "Traceback" not in started.stderr


def test_key_from_a_file_and_plain_sqlite_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_KEY", raising=False)
    monkeypatch.delenv("DATABASE_KEY_FILE", raising=False)
    assert database_key() is None
    plain = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    assert plain.dialect.driver == "pysqlite"
    plain.dispose()

    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv("DATABASE_KEY_FILE", str(key_file))
    assert database_key() == KEY
    engine = make_engine(f"sqlite:///{tmp_path / 'enc.db'}")
    assert engine.dialect.driver == "pysqlcipher"
    engine.dispose()

    monkeypatch.setenv("DATABASE_KEY_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(DatabaseKeyError, match="cannot read DATABASE_KEY_FILE"):
        database_key()
