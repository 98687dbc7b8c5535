"""Importing from the browser's forms: per-file results, replace confirmation, passwords,
caps, CSRF, delete; and the demo kept in its own database."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from data.db import make_engine, make_session_factory, session_scope
from data.repositories import MonthlySummaryRepository
from data.synthetic import LayoutOptions, generate_history
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def web_app(tmp_path):
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'user.db'}",
            "DEMO_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "DEMO_MONTHS": 3,
            "DEMO_PACKETS_DIR": str(tmp_path / "demo-packets"),
            "TESTING": True,
            "SECRET_KEY": "test",
        }
    )


@pytest.fixture
def web(web_app):
    return web_app.test_client()


def _upload(client, paths: list[Path], **form) -> str:
    data = {
        "csrf_token": csrf_token(client),
        **form,
        "files": [(io.BytesIO(p.read_bytes()), p.name) for p in paths],
    }
    response = client.post("/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _packets(app) -> list:
    with session_scope(make_session_factory(make_engine(app.config["DATABASE_URL"]))) as s:
        return [(p.period, p.source_file) for p in MonthlySummaryRepository(s).list_all()]


def test_upload_many_files_shows_a_result_per_file(web, web_app, history_36, tmp_path):
    months = history_36[12:14]  # 2024: the packets print today's default multipliers
    html = _upload(web, [m.pdf_path for m in months])
    assert html.count(">imported</span>") == 2
    assert f"period {months[0].period}" in html
    again = _upload(web, [months[0].pdf_path])
    assert "already imported" in again
    assert len(_packets(web_app)) == 2
    assert not any((tmp_path / "uploads").glob("*.pdf")), "imported uploads are removed"
    dashboard = web.get("/").get_data(as_text=True)
    assert months[0].pdf_path.name in dashboard
    assert dashboard.count("all passed") == 2


def test_not_a_pdf_is_refused_by_content_and_leaves_nothing(web, web_app, tmp_path):
    fake = tmp_path / "packet.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)  # an image renamed .pdf
    html = _upload(web, [fake])
    assert "not a PDF" in html and "not imported" in html
    assert _packets(web_app) == []
    assert not any((tmp_path / "uploads").glob("*"))


def test_replace_needs_confirmation(web, web_app, history_36, tmp_path):
    other = generate_history(
        tmp_path / "alt", months=2, start="2023-01", seed=1, layout=LayoutOptions.random(3)
    )[1]
    _upload(web, [history_36[1].pdf_path])
    html = _upload(web, [other.pdf_path])
    assert "month already imported" in html and "Replace the" in html
    assert _packets(web_app) == [(history_36[1].period, history_36[1].pdf_path.name)]
    token = re.search(r'action="/upload/([^"]+)"', html).group(1)
    answer = web.post(
        f"/upload/{token}",
        data={
            "csrf_token": csrf_token(web),
            "name": other.pdf_path.name,
            "replace": "1",
            "action": "replace",
        },
    )
    assert ">replaced</span>" in answer.get_data(as_text=True)
    assert _packets(web_app) == [(other.period, other.pdf_path.name)]
    assert not any((tmp_path / "uploads").glob("*.pdf"))


def test_password_is_asked_for_and_used(web, web_app, tmp_path):
    (locked,) = generate_history(
        tmp_path / "locked", months=1, start="2023-01", seed=1, password="made-up-pw"
    )
    html = _upload(web, [locked.pdf_path])
    assert "password" in html.lower() and "Open and import" in html
    token = re.search(r'action="/upload/([^"]+)"', html).group(1)
    answer = web.post(
        f"/upload/{token}",
        data={
            "csrf_token": csrf_token(web),
            "name": locked.pdf_path.name,
            "password": "made-up-pw",
            "action": "password",
        },
    )
    assert ">imported</span>" in answer.get_data(as_text=True)
    assert len(_packets(web_app)) == 1


def test_upload_over_the_cap_is_refused(web, web_app, tmp_path):
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024))
    html = _upload(web, [big])
    assert "larger than 25 MB" in html
    assert not any((tmp_path / "uploads").glob("*"))


def test_posts_without_csrf_token_are_rejected(web, history_36):
    response = web.post(
        "/upload",
        data={"files": [(io.BytesIO(b"%PDF-1.4"), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert web.post("/delete", data={"confirm": "DELETE"}).status_code == 400


def test_delete_packet_after_confirmation(web, web_app, history_36):
    _upload(web, [m.pdf_path for m in history_36[:2]])
    dashboard = web.get("/").get_data(as_text=True)
    link = re.search(r'href="(/packets/\d+/delete)"', dashboard).group(1)
    confirm = web.get(link).get_data(as_text=True)
    assert "Delete this packet" in confirm and "charge lines" in confirm
    assert len(_packets(web_app)) == 2  # the GET only asks
    done = web.post(link, data={"csrf_token": csrf_token(web)}, follow_redirects=True)
    assert "deleted the packet" in done.get_data(as_text=True)
    assert len(_packets(web_app)) == 1


def test_delete_all_needs_typed_confirmation(web, web_app, history_36):
    _upload(web, [history_36[0].pdf_path])
    kept = web.post(
        "/delete", data={"csrf_token": csrf_token(web), "confirm": "yes"}, follow_redirects=True
    )
    assert "Nothing was deleted" in kept.get_data(as_text=True)
    assert len(_packets(web_app)) == 1
    web.post("/delete", data={"csrf_token": csrf_token(web), "confirm": "DELETE"})
    assert _packets(web_app) == []


def test_open_demo_uses_its_own_database(web, web_app, tmp_path):
    empty = web.get("/").get_data(as_text=True)
    assert "Open the demo" in empty
    shown = web.post("/demo/enter", data={"csrf_token": csrf_token(web)}, follow_redirects=True)
    text = shown.get_data(as_text=True)
    assert "Demo data:" in text and "Back to my data" in text and "Imported packets" in text
    assert web.get("/health").get_json()["demo"] is True
    assert _packets(web_app) == [], "the user's database never receives demo rows"
    back = web.post("/demo/leave", data={"csrf_token": csrf_token(web)}, follow_redirects=True)
    assert "No packets imported yet" in back.get_data(as_text=True)


def test_setup_demo_builds_separate_database(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mine.db'}",
        "DEMO_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
    }
    import os

    result = subprocess.run(
        [sys.executable, "setup_app.py", "--demo"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Demo database ready" in result.stdout and "36 packets" in result.stdout
    demo = make_session_factory(make_engine(env["DEMO_DATABASE_URL"]))
    mine = make_session_factory(make_engine(env["DATABASE_URL"]))
    with session_scope(demo) as s:
        assert MonthlySummaryRepository(s).count() == 36
    with session_scope(mine) as s:
        assert MonthlySummaryRepository(s).count() == 0


def test_app_demo_flag_serves_demo_database_with_banner(tmp_path):
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mine.db'}",
        "DEMO_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "app.py", "--demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    html = page.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert "Demo data:" in html and "Imported packets" in html
        assert "Back to my data" not in html  # --demo serves only the demo
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not (tmp_path / "mine.db").exists(), "--demo never opens the user's database"
