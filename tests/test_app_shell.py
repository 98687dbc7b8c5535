"""The app shell: dashboard empty state, health, navigation, error pages, headers, server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from app import NAVIGATION
from data.schema import head_revision

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_dashboard_empty_state(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"No packets imported yet" in response.data


def test_health_reports_schema_and_database(client, db_url: str) -> None:
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["schema_version"] == head_revision() == body["expected_schema_version"]
    assert body["database"] == str(Path(db_url.removeprefix("sqlite:///")).resolve())


def test_navigation_links_only_to_pages_that_exist(app, client) -> None:
    html = client.get("/").get_data(as_text=True)
    shown = [endpoint for endpoint, _ in NAVIGATION if endpoint in app.view_functions]
    assert "dashboard" in shown
    for endpoint, label in NAVIGATION:
        if endpoint in shown:
            assert f">{label}</a>" in html
        else:
            assert f">{label}</a>" not in html


def test_unknown_page_is_a_friendly_404(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Back to the dashboard" in text and "Traceback" not in text


def test_security_headers_and_no_inline_script(client) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_static_assets_served_locally(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/static/css/app.css").status_code == 200


def test_port_in_use_gives_friendly_message(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'port.db'}")
        result = subprocess.run(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_describes_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "app.py", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "127.0.0.1" in result.stdout and "8888" in result.stdout
