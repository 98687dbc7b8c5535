"""The Backups page: list with verify status, back up now, download, verify, restore with
a confirmation (CSRF on every POST); and the backups the app makes before deletes and
before an upload of several packets."""

from __future__ import annotations

import gzip
import io
import re
import shutil
from pathlib import Path

import pytest

from data.backup import DatabaseBackup
from tests.conftest import csrf_token
from tests.test_backup import imported_db, table_rows


@pytest.fixture(scope="module")
def two_months(tmp_path_factory, history_36) -> Path:
    return imported_db(tmp_path_factory.mktemp("backup-web") / "template.db", history_36[:2])


@pytest.fixture
def db(tmp_path: Path, two_months: Path) -> Path:
    path = tmp_path / "user.db"
    shutil.copyfile(two_months, path)
    return path


@pytest.fixture
def backup_app(db: Path, tmp_path: Path):
    from app import create_app

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{db}",
            "DEMO_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
            "BACKUP_DIR": str(tmp_path / "backups"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "TESTING": True,
            "SECRET_KEY": "test",
        }
    )
    yield app
    app.extensions["databases"].dispose()


@pytest.fixture
def web(backup_app):
    return backup_app.test_client()


def _store(backup_app) -> DatabaseBackup:
    return DatabaseBackup(backup_app.config["DATABASE_URL"], backup_app.config["BACKUP_DIR"])


def _create(web) -> str:
    page = web.post(
        "/backups/create", data={"csrf_token": csrf_token(web)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Backup made and checked" in page
    return re.search(r'data-backup="([^"]+)"', page).group(1)


def test_empty_page_and_menu(web) -> None:
    page = web.get("/backups").get_data(as_text=True)
    assert 'data-testid="no-backups"' in page
    assert 'href="/backups"' in page  # in the menu
    assert "backups.css" in page


def test_create_list_download_verify(web, backup_app, db: Path, tmp_path: Path) -> None:
    name = _create(web)
    page = web.get("/backups").get_data(as_text=True)
    assert name in page and "badge-ok" in page and "made on the Backups page" in page
    row = page[page.index(f'data-backup="{name}"') :]
    assert re.search(r'<td class="num">2</td>', row)  # two packets
    response = web.get(f"/backups/{name}/download")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    downloaded = tmp_path / "downloaded.db"
    downloaded.write_bytes(gzip.decompress(response.data))
    assert table_rows(downloaded) == table_rows(db)
    page = web.post(
        f"/backups/{name}/verify", data={"csrf_token": csrf_token(web)}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"{name} is intact" in page


def test_flipped_byte_shows_failed_and_restore_refused(web, backup_app, db: Path) -> None:
    name = _create(web)
    path = Path(backup_app.config["BACKUP_DIR"]) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x40
    path.write_bytes(bytes(data))
    token = csrf_token(web)
    page = web.post(
        f"/backups/{name}/verify", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "FAILED verification" in page and "badge-bad" in page
    before = table_rows(db)
    page = web.post(
        f"/backups/{name}/restore", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Nothing was restored" in page and "checksum mismatch" in page
    assert table_rows(db) == before


def test_restore_after_confirmation_gives_back_the_rows(web, backup_app, db: Path) -> None:
    name = _create(web)
    original = table_rows(db)
    token = csrf_token(web)
    web.post("/delete", data={"csrf_token": token, "confirm": "DELETE"})
    assert table_rows(db)["packets"] == []
    confirm = web.get(f"/backups/{name}/restore").get_data(as_text=True)
    assert "now 0 packets" in confirm and "data-confirm" in confirm
    page = web.post(
        f"/backups/{name}/restore", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"Restored {name}: 2 packets" in page
    assert table_rows(db) == original
    # The app keeps working on the restored file (its engine reconnects).
    assert web.get("/").status_code == 200
    assert web.get("/health").get_json()["status"] == "ok"
    reasons = [info.reason for info in _store(backup_app).list_backups()]
    assert reasons[0].startswith("before restoring") and "before deleting all data" in reasons


def test_posts_need_csrf_and_names_must_exist(web) -> None:
    name = _create(web)
    assert web.post("/backups/create").status_code == 400
    assert web.post(f"/backups/{name}/restore").status_code == 400
    assert web.post(f"/backups/{name}/verify").status_code == 400
    assert web.get("/backups/nothing.db.gz/download").status_code == 404
    assert web.get("/backups/..%2Fuser.db/download").status_code == 404
    token = csrf_token(web)
    assert web.post("/backups/x.db/restore", data={"csrf_token": token}).status_code == 404


def test_delete_packet_backs_up_first(web, backup_app) -> None:
    token = csrf_token(web)
    web.post("/packets/1/delete", data={"csrf_token": token})
    [info] = _store(backup_app).list_backups()
    assert info.reason.startswith("before deleting the packet for") and info.packets == 2


def test_upload_of_several_packets_backs_up_first(web, backup_app, history_36) -> None:
    files = [(io.BytesIO(m.pdf_path.read_bytes()), m.pdf_path.name) for m in history_36[2:4]]
    response = web.post(
        "/upload",
        data={"csrf_token": csrf_token(web), "files": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    [info] = _store(backup_app).list_backups()
    assert info.reason == "before importing several packets" and info.packets == 2
    # One file alone is not a bulk import.
    one = [(io.BytesIO(history_36[5].pdf_path.read_bytes()), history_36[5].pdf_path.name)]
    web.post(
        "/upload",
        data={"csrf_token": csrf_token(web), "files": one},
        content_type="multipart/form-data",
    )
    assert len(_store(backup_app).list_backups()) == 1


def test_a_failed_backup_stops_the_delete(web, backup_app, db: Path) -> None:
    Path(backup_app.config["BACKUP_DIR"]).write_text("a file where the folder should be")
    page = web.post(
        "/delete",
        data={"csrf_token": csrf_token(web), "confirm": "DELETE"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Nothing was deleted" in page
    assert len(table_rows(db)["packets"]) == 2


def test_replacing_a_packet_and_clearing_the_case_log_back_up_first(tmp_path, history_36):
    """The automatic backup also runs before a replacement and before a case log is removed."""
    import io
    import re

    from app import create_app
    from data.backup import DatabaseBackup
    from data.synthetic import LayoutOptions, generate_history
    from tests.conftest import csrf_token

    backups = tmp_path / "backups"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'mine.db'}",
            "TESTING": True,
            "SECRET_KEY": "test",
            "BACKUP_DIR": str(backups),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    client = app.test_client()

    def upload(path, **form):
        return client.post(
            "/upload",
            content_type="multipart/form-data",
            data={
                "csrf_token": csrf_token(client),
                **form,
                "files": [(io.BytesIO(path.read_bytes()), path.name)],
            },
        ).get_data(as_text=True)

    upload(history_36[12].pdf_path)
    count = len(DatabaseBackup(app.config["DATABASE_URL"]).list_backups(str(backups)))
    other = generate_history(
        tmp_path / "alt", months=13, start="2023-01", seed=1, layout=LayoutOptions.random(4)
    )[12]
    html = upload(other.pdf_path)
    token = re.search(r'action="/upload/([^"]+)"', html).group(1)
    client.post(
        f"/upload/{token}",
        data={
            "csrf_token": csrf_token(client),
            "replace": "1",
            "name": other.pdf_path.name,
            "action": "replace",
        },
    )
    after_replace = len(DatabaseBackup(app.config["DATABASE_URL"]).list_backups(str(backups)))
    assert after_replace == count + 1
    client.post("/audit/clear", data={"csrf_token": csrf_token(client)})
    assert len(DatabaseBackup(app.config["DATABASE_URL"]).list_backups(str(backups))) == (
        after_replace + 1
    )
