"""``cli_tools/backup.py`` as a user runs it: create prints the path last, list, verify
(exit 1 on a flipped byte), restore with its question, cleanup, exit codes; and a restore
killed with SIGKILL at many moments always leaves a working database, old or new."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data.backup import DatabaseBackup, inspect_database
from tests.test_backup import imported_db, table_rows

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, str(ROOT / "cli_tools" / "backup.py")]


def _run(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    env.pop("BACKUP_DIR", None)
    return subprocess.run(
        [*CLI, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory, history_36) -> Path:
    return imported_db(tmp_path_factory.mktemp("backup-cli") / "template.db", history_36[:3])


@pytest.fixture
def db(tmp_path: Path, template: Path) -> Path:
    path = tmp_path / "compensation.db"
    path.write_bytes(template.read_bytes())
    return path


def test_cli_round_trip(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    created = _run(db, "create", "--dir", str(folder))
    assert created.returncode == 0, created.stderr
    path = Path(created.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == folder
    assert "3 packets" in created.stdout

    listed = _run(db, "list", "--dir", str(folder))
    assert listed.returncode == 0 and path.name in listed.stdout
    assert " ok " in listed.stdout.splitlines()[-1]  # verified when made

    verified = _run(db, "verify", str(path))
    assert verified.returncode == 0 and verified.stdout.startswith("OK")

    original = table_rows(db)
    db_url = f"sqlite:///{db}"
    from data.db import make_engine, make_session_factory
    from data_loader import PacketLoader

    engine = make_engine(db_url)
    PacketLoader(make_session_factory(engine)).delete_all()
    engine.dispose()

    declined = _run(db, "restore", path.name, "--dir", str(folder), stdin="n\n")
    assert declined.returncode == 1 and "Nothing was restored" in declined.stdout
    assert table_rows(db)["packets"] == []
    restored = _run(db, "restore", path.name, "--dir", str(folder), stdin="y\n")
    assert restored.returncode == 0, restored.stderr
    assert table_rows(db) == original

    cleaned = _run(db, "cleanup", "--dir", str(folder))
    assert cleaned.returncode == 0 and "Removed 0 backups; 2 kept." in cleaned.stdout


def test_cli_default_dir_is_beside_a_database_outside_instance(db: Path) -> None:
    created = _run(db, "create", "--no-compress")
    assert created.returncode == 0
    path = Path(created.stdout.strip().splitlines()[-1])
    assert path.parent == db.parent / "backups" and path.suffix == ".db"


def test_cli_flipped_byte_fails_verify_and_restore(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    path = Path(_run(db, "create", "--dir", str(folder)).stdout.strip().splitlines()[-1])
    data = bytearray(path.read_bytes())
    data[100] ^= 0x08
    path.write_bytes(bytes(data))
    verified = _run(db, "verify", str(path))
    assert verified.returncode == 1 and "checksum mismatch" in verified.stdout
    before = table_rows(db)
    restored = _run(db, "restore", str(path), "--yes")
    assert restored.returncode == 1 and "failed verification" in restored.stderr
    assert table_rows(db) == before


def _exit_code(db: Path, monkeypatch, *argv: str) -> int:
    """The CLI's exit status, run in this process (argparse exits with 2 by itself)."""
    from cli_tools.backup import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    try:
        return main(list(argv))
    except SystemExit as exit_:
        return exit_.code


def test_cli_bad_arguments_exit_2(db: Path, monkeypatch, capsys) -> None:
    for argv in (
        [],
        ["verify", "no-such-backup.db.gz"],
        ["cleanup", "--keep-monthly", "lots"],
        ["cleanup", "--keep-daily", "0"],
        ["frobnicate"],
        ["create", "--database-url", "postgresql://x@y/z"],
    ):
        assert _exit_code(db, monkeypatch, *argv) == 2, argv
    assert "error" in capsys.readouterr().err
    helped = _run(db, "--help")
    assert helped.returncode == 0
    for word in ("create", "list", "restore", "verify", "cleanup", "Exit status"):
        assert word in helped.stdout


def _fresh(db: Path, source: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(source.read_bytes())


def test_restore_killed_at_any_moment_leaves_a_working_database(db: Path, tmp_path: Path) -> None:
    """SIGKILL the restore at moments spread over its run (and right when its temporary
    copy and its restore point appear): each time the database opens, passes the integrity
    check, and holds exactly the rows it had or exactly the backup's."""
    from data.db import make_engine, make_session_factory
    from data_loader import PacketLoader

    folder = tmp_path / "b"
    backup = DatabaseBackup(f"sqlite:///{db}", folder).create_backup(None)
    new = table_rows(db)
    engine = make_engine(f"sqlite:///{db}")
    PacketLoader(make_session_factory(engine)).delete_packet(2)
    engine.dispose()
    old = table_rows(db)
    old_copy = tmp_path / "old.db"
    old_copy.write_bytes(db.read_bytes())
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    command = [*CLI, "restore", str(backup), "--yes", "--dir", str(folder)]

    began = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    whole = time.monotonic() - began
    assert table_rows(db) == new

    # Spread over the run as timed, plus one past it (the machine may be slower now).
    moments: list[float | str] = [whole * k / 9 for k in range(1, 9)] + [whole * 2]
    moments += ["temporary copy", "restore point"]
    outcomes = []
    for moment in moments:
        _fresh(db, old_copy)
        points_before = len(list(folder.glob("*.db.gz")))
        leftovers = set(db.parent.glob(".restore-*"))  # of the runs killed before
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if isinstance(moment, float):
            time.sleep(moment)
        else:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if moment == "temporary copy" and set(db.parent.glob(".restore-*")) - leftovers:
                    break
                if moment == "restore point" and len(list(folder.glob("*.db.gz"))) > points_before:
                    break
                time.sleep(0.001)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        found = inspect_database(db)
        assert found.ok, f"killed at {moment}: {found.message}"
        rows = table_rows(db)
        assert rows in (old, new), f"killed at {moment}: neither the old nor the new database"
        outcomes.append("old" if rows == old else "new")
    assert "old" in outcomes and "new" in outcomes, outcomes
    # A later restore clears what the killed ones left behind.
    _fresh(db, old_copy)
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    assert table_rows(db) == new
    assert not list(db.parent.glob(".restore-*"))


def test_app_help_mentions_the_daily_backup() -> None:
    helped = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "2 AM" in helped.stdout and "BACKUP_DIR" in helped.stdout


def test_import_cli_backs_up_before_a_bulk_import_or_a_replace(
    db: Path, tmp_path: Path, history_36
) -> None:
    importer = [sys.executable, str(ROOT / "cli_tools" / "import_reports.py"), "--quiet"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "BACKUP_DIR": str(tmp_path / "b")}
    store = DatabaseBackup(f"sqlite:///{db}", tmp_path / "b")
    one = str(history_36[4].pdf_path)
    subprocess.run([*importer, one], env=env, check=True, capture_output=True, timeout=120)
    assert store.list_backups() == []  # one new file: nothing is at risk
    two = [str(history_36[5].pdf_path), str(history_36[6].pdf_path)]
    bulk = subprocess.run([*importer, *two], env=env, capture_output=True, text=True, timeout=120)
    assert bulk.returncode == 0 and "Backed up first" not in bulk.stderr  # --quiet
    [info] = store.list_backups()
    assert info.reason == "before importing several packets" and info.packets == 4
    subprocess.run(
        [*importer, one, "--replace"], env=env, check=True, capture_output=True, timeout=120
    )
    assert [i.reason for i in store.list_backups()][0] == "before replacing"
