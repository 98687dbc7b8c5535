"""The web app: a Flask factory and the server that runs it on this machine only.

    python app.py                     # http://127.0.0.1:8888/
    python app.py --port 9000         # another port
    python app.py --host 0.0.0.0      # reachable from the network (warns: patient data)

Routes only parse input, call the analytics layer and render; they never query the
database themselves. Every page is server-rendered and works under a strict
Content-Security-Policy (no inline scripts).
"""

from __future__ import annotations

import argparse
import errno
import logging
import secrets
import sys
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from analytics.overview import build_overview
from data.db import (
    default_database_url,
    make_engine,
    make_session_factory,
    schema_version,
    sqlite_path,
)
from data.schema import head_revision
from setup_app import initialize_database

log = logging.getLogger("compensation")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888

#: Every page the app will have, in menu order. The menu shows only those whose endpoint
#: is registered, so no link ever points to a page that does not exist yet.
NAVIGATION: list[tuple[str, str]] = [
    ("dashboard", "Dashboard"),
    ("compensation", "Compensation"),
    ("tickets", "Tickets"),
    ("cases", "Cases"),
    ("analysis", "Analysis"),
    ("insights", "Insights"),
    ("audit", "Audit"),
    ("forecast", "Forecast"),
    ("cpt_codes", "CPT codes"),
    ("asmg_rules", "ASMG rules"),
    ("exports", "Exports"),
    ("backups", "Backups"),
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings (tests pass ``DATABASE_URL``)."""
    app = Flask(__name__, instance_relative_config=True)
    _setup_config(app, config or {})
    _setup_database(app)
    _setup_templates(app)
    _setup_security_headers(app)
    _setup_errors(app)
    _setup_routes(app)
    return app


# --------------------------------------------------------------------------- setup helpers


def _setup_config(app: Flask, overrides: dict[str, Any]) -> None:
    app.config.update(
        DATABASE_URL=default_database_url(),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _instance_secret_key(instance_dir: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts."""
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _setup_database(app: Flask) -> None:
    """One engine per app; the schema is brought to the newest revision at start."""
    engine = make_engine(app.config["DATABASE_URL"])
    initialize_database(engine)
    app.extensions["engine"] = engine
    app.extensions["session_factory"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def db_session() -> Session:
    """The request's session (opened on first use, closed when the request ends)."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["session_factory"]()
    return g.db_session


def _setup_templates(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        items = [(ep, label) for ep, label in NAVIGATION if ep in app.view_functions]
        return {"navigation": items, "current_endpoint": request.endpoint}

    @app.template_filter("money")
    def _money(value: float | None) -> str:
        if value is None:
            return ""
        return f"-${abs(value):,.2f}" if value < 0 else f"${value:,.2f}"


def _setup_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):  # noqa: ANN001, ANN202 - Flask response object
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _setup_errors(app: Flask) -> None:
    """Friendly pages for every error; never a traceback (and no patient data in logs)."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # noqa: ANN202
        if request.path.endswith(".json") or request.path == "/health":
            return jsonify(error=error.name, message=error.description), error.code
        return (
            render_template(
                "error.html", code=error.code, title=error.name, message=error.description
            ),
            error.code,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # noqa: ANN202
        log.error("Unexpected %s on %s %s", type(error).__name__, request.method, request.path)
        message = (
            "The app hit an unexpected problem and did not change anything. "
            "Try again; if it keeps happening, restart the app."
        )
        return render_template(
            "error.html", code=500, title="Something went wrong", message=message
        ), 500


def _setup_routes(app: Flask) -> None:
    @app.get("/")
    def dashboard():  # noqa: ANN202
        overview = build_overview(db_session())
        return render_template("dashboard.html", overview=overview)

    @app.get("/health")
    def health():  # noqa: ANN202
        engine = app.extensions["engine"]
        current = schema_version(engine)
        expected = head_revision()
        path = sqlite_path(app.config["DATABASE_URL"])
        return jsonify(
            status="ok" if current == expected else "needs_upgrade",
            schema_version=current,
            expected_schema_version=expected,
            database=str(path) if path else engine.url.render_as_string(hide_password=True),
        )


# --------------------------------------------------------------------------- serving


def _is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


def serve(app: Flask, host: str, port: int, threads: int = 8) -> int:
    """Serve ``app`` with waitress (a production WSGI server). Returns an exit code."""
    from waitress import create_server

    try:
        server = create_server(app, host=host, port=port, threads=threads)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            print(
                f"Port {port} on {host} is already in use (is the app already running? "
                f"Open http://{host}:{port}/ or start it on another port with --port).",
                file=sys.stderr,
            )
            return 1
        print(f"Cannot listen on {host}:{port}: {exc.strerror}.", file=sys.stderr)
        return 1
    print(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("Stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the compensation analysis web app on this machine.",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL of the database (default: DATABASE_URL, "
        "else instance/compensation.db)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if not _is_loopback(args.host):
        print(
            f"WARNING: listening on {args.host} makes patient data reachable from other "
            "machines. Use the default 127.0.0.1 unless you know you need this.",
            file=sys.stderr,
        )
    config: dict[str, Any] = {}
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    try:
        app = create_app(config)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        print(f"Could not open the database: {exc}", file=sys.stderr)
        return 1
    db_path = sqlite_path(app.config["DATABASE_URL"])
    print(f"Database: {db_path or app.config['DATABASE_URL']}")
    return serve(app, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
