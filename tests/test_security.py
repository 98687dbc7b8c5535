"""Web security, checked over every route the app has (enumerated from ``app.url_map``, so a
new route is covered the day it lands): CSRF on every state-changing request, strict headers
on every response, no stack trace in any answer, loopback by default, and the optional
password (APP_PASSWORD / --password-file) with its growing delay after wrong passwords."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from analytics.access import FREE_FAILURES
from app import create_app
from tests.conftest import PROJECT_ROOT, _free_port, csrf_token, running_app

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PASSWORD = "correct horse battery staple"


def _sample_url(app, rule) -> str:  # noqa: ANN001
    """A concrete URL for ``rule`` (made-up argument values of the right type)."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            values[name] = 1
        elif kind == "AnyConverter":
            values[name] = re.search(r"any\(([^,)]+)", rule.rule).group(1)
        elif kind == "PathConverter":
            values[name] = "css/app.css"
        else:
            values[name] = "csv" if name == "fmt" else "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def _rules(app, methods: set[str]):  # noqa: ANN001, ANN202
    return [rule for rule in app.url_map.iter_rules() if rule.methods & methods]


@pytest.fixture
def locked_app(tmp_path: Path):
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'locked.db'}",
            "TESTING": True,
            "SECRET_KEY": "test",
            "APP_PASSWORD": PASSWORD,
        }
    )


def _sign_in(client, password: str = PASSWORD, next_url: str = "/"):  # noqa: ANN001, ANN202
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"csrf_token": token, "password": password, "next": next_url})


# --------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize("with_password", [False, True], ids=["open", "password"])
def test_every_state_changing_request_without_a_csrf_token_is_rejected(
    app, locked_app, with_password: bool
) -> None:
    web = locked_app if with_password else app
    client = web.test_client()
    if with_password:
        assert _sign_in(client).status_code == 302
    rules = _rules(web, STATE_CHANGING)
    assert len(rules) >= 15, "the app's POST routes were found"
    if with_password:
        assert {"login", "logout"} <= {rule.endpoint for rule in rules}
    for rule in rules:
        url = _sample_url(web, rule)
        for method in sorted(rule.methods & STATE_CHANGING):
            answer = client.open(url, method=method, data={"confirm": "DELETE"})
            body = answer.get_data(as_text=True)
            assert answer.status_code == 400, f"{method} {url} answered {answer.status_code}"
            assert "Form expired" in body, f"{method} {url}"
    # A token from another session does not pass either.
    other = web.test_client()
    if with_password:
        _sign_in(other)
    stolen = csrf_token(other)
    assert client.post("/asmg_rules/adopt", data={"csrf_token": stolen}).status_code == 400


# --------------------------------------------------------------------------- headers


def _assert_strict_headers(response, where: str) -> None:  # noqa: ANN001
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer"}, where
    assert response.headers.get("X-Frame-Options") == "DENY", where


def test_every_response_carries_the_security_headers(client, app) -> None:
    seen = 0
    for rule in _rules(app, {"GET"}):
        url = _sample_url(app, rule)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url} answered {response.status_code}"
        _assert_strict_headers(response, f"GET {url}")
        seen += 1
    assert seen >= 25
    _assert_strict_headers(client.get("/no/such/page"), "404 page")
    _assert_strict_headers(client.post("/upload"), "CSRF refusal")


def test_no_page_has_an_inline_script_or_style(client, app) -> None:
    for rule in _rules(app, {"GET"}):
        if rule.arguments:
            continue
        html = client.get(_sample_url(app, rule)).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (rule.rule, tag)
        assert not re.search(r"\sstyle=\"|<style\b|\son[a-z]+=\"", html), rule.rule


# --------------------------------------------------------------------------- errors


def test_an_internal_error_shows_a_plain_page_never_a_stack_trace(tmp_path: Path) -> None:
    """Break the real database under the running server: the page says something went
    wrong, and nothing of the code, the SQL or the database is shown."""
    database = tmp_path / "broken.db"
    with running_app({"DATABASE_URL": f"sqlite:///{database}"}) as url:
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TABLE charge_transactions")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{url}/tickets", timeout=30)
        assert caught.value.code == 500
        body = caught.value.read().decode()
    assert "Something went wrong" in body
    for leak in ("Traceback", 'File "', "sqlalchemy", "sqlite3", "OperationalError", "SELECT"):
        assert leak not in body, leak


def test_bad_input_in_urls_is_a_clear_answer_not_a_500(client) -> None:
    for url in (
        "/compensation/2024-13",
        "/compensation/%00",
        "/cases/%27%3B%20DROP%20TABLE%20packets",
        "/tickets?from=garbage&to=1999-99",
        "/backups/..%2F..%2Fetc%2Fpasswd/download",
        "/exports/files/999999",
        "/export/packets/exe",
    ):
        response = client.get(url)
        assert response.status_code < 500, url
        assert "Traceback" not in response.get_data(as_text=True), url


# --------------------------------------------------------------------------- binding


def _start_output(*args: str, env: dict[str, str]) -> str:
    """What ``app.py ARGS`` prints until it serves, then stops it."""
    import os

    process = subprocess.Popen(
        [sys.executable, "app.py", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving on") or time.monotonic() > deadline:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
    return "".join(lines)


def test_server_binds_loopback_by_default_and_warns_for_any_other_host(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bind.db'}", "BACKUP_DIR": str(tmp_path)}
    default = _start_output("--port", str(_free_port()), env=env)
    assert "Serving on http://127.0.0.1:" in default and "WARNING" not in default
    wide = _start_output("--host", "0.0.0.0", "--port", str(_free_port()), env=env)
    assert "WARNING: listening on 0.0.0.0 makes patient data reachable" in wide
    assert "Serving on http://0.0.0.0:" in wide


# --------------------------------------------------------------------------- password


def test_with_a_password_every_page_asks_for_it(locked_app) -> None:
    client = locked_app.test_client()
    for rule in _rules(locked_app, {"GET"}):
        if rule.endpoint in {"login", "static", "health"}:
            continue
        url = _sample_url(locked_app, rule)
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"].startswith("/login?next="), url
    assert client.get("/static/css/app.css").status_code == 200
    page = client.get("/login").get_data(as_text=True)
    assert 'type="password"' in page and "Sign in" in page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/asmg_rules/adopt", data={"csrf_token": token}).status_code == 401

    signed = _sign_in(client, next_url="/tickets?sort=date")
    assert signed.status_code == 302 and signed.headers["Location"] == "/tickets?sort=date"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert client.get("/").status_code == 200
    assert client.get("/tickets").status_code == 200

    page = client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_off_the_app(locked_app) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = _sign_in(locked_app.test_client(), next_url=target)
        assert answer.status_code == 302 and answer.headers["Location"] == "/", target


def test_wrong_passwords_lock_sign_in_for_a_growing_delay(locked_app, caplog) -> None:
    client = locked_app.test_client()
    for attempt in range(1, FREE_FAILURES):
        answer = _sign_in(client, password=f"guess {attempt}")
        assert answer.status_code == 401
        assert "Wrong password." in answer.get_data(as_text=True)
    last = _sign_in(client, password="guess again").get_data(as_text=True)
    assert "Wait 1 s before trying again" in last
    # Locked: even the right password is not looked at until the delay is over.
    locked = _sign_in(client).get_data(as_text=True)
    assert "Too many wrong passwords" in locked
    time.sleep(1.1)
    more = _sign_in(client, password="one more guess").get_data(as_text=True)
    assert "Wait 2 s" in more, "the delay doubles"
    time.sleep(2.1)
    assert _sign_in(client).status_code == 302
    assert client.get("/").status_code == 200
    assert PASSWORD not in caplog.text and "guess" not in caplog.text


def test_password_from_the_environment_and_from_a_file_on_the_real_server(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("APP_PASSWORD", PASSWORD)
    from_env = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}", "TESTING": True})
    assert from_env.test_client().get("/").status_code == 302
    monkeypatch.delenv("APP_PASSWORD")

    secret_file = tmp_path / "password.txt"
    secret_file.write_text(PASSWORD + "\n")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}", "APP_PASSWORD": ""}
    with running_app(env, "--password-file", str(secret_file)) as url:
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(f"{url}/tickets", timeout=30)
        assert caught.value.code == 302
        assert caught.value.headers["Location"].startswith("/login?next=")
    missing = subprocess.run(
        [sys.executable, "app.py", "--password-file", str(tmp_path / "none.txt")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "cannot read the password file" in missing.stderr


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def test_without_a_password_nothing_asks_for_one(client, app) -> None:
    assert "password_gate" not in app.extensions
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 404


def test_an_uploaded_file_name_is_never_used_as_a_path(client, app, tmp_path: Path) -> None:
    """A hostile name is shown as its base name only; the file lands under a random name in
    the upload folder and nowhere else."""
    import io

    target = tmp_path / "escaped.pdf"
    hostile = f"../../../../../../{str(target).lstrip('/')}"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    answer = client.post(
        "/upload",
        data={"csrf_token": csrf_token(client), "files": [(io.BytesIO(pdf), hostile)]},
        content_type="multipart/form-data",
    )
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Traceback" not in body
    assert not target.exists()
    assert "escaped.pdf" in body and "../" not in body


def test_sign_out_link_only_with_a_password(tmp_path):
    from app import create_app
    from tests.conftest import csrf_token  # noqa: F401 - the login form posts its own token

    open_app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "TESTING": True, "SECRET_KEY": "x"}
    )
    assert "Sign out" not in open_app.test_client().get("/").get_data(as_text=True)
    locked = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
            "TESTING": True,
            "SECRET_KEY": "x",
            "APP_PASSWORD": "made-up-pass",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = locked.test_client()
    assert "Sign out" not in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"password": "made-up-pass"})
    assert "Sign out" in client.get("/").get_data(as_text=True)
