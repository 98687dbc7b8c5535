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
import contextlib
import datetime as dt
import errno
import io
import logging
import secrets
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import session as flask_session
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from analytics.analysis import Chart, all_charts, build_chart
from analytics.browse import (
    TablePage,
    case_detail,
    cases_table,
    compensation_columns,
    cpt_table,
    filter_choices,
    format_cell,
    tickets_table,
)
from analytics.compensation import (
    SECTION_FIGURES,
    compensation_rows,
    packet_view,
    section_anchor,
    stored_period_window,
)
from analytics.insights import (
    build_insights,
    drilldown_table,
    drilldown_target,
    insights_chart,
)
from analytics.overview import build_overview
from analytics.periods import PeriodWindow
from analytics.rules import (
    add_rule,
    adopt_rules_from_packets,
    delete_rule,
    list_rules,
    suggested_rules,
)
from asmg_calculator import DatedRule, Multipliers
from data.backup import (
    BackupError,
    BackupInfo,
    BackupScheduler,
    DatabaseBackup,
    backup_before,
    default_backup_dir,
)
from data.db import (
    default_database_url,
    make_engine,
    make_session_factory,
    read_snapshot,
    schema_version,
    session_scope,
    sqlite_path,
)
from data.schema import head_revision
from data.uploads import UploadRejected, UploadStore, display_name
from data_loader import ERROR, NEEDS_REPLACE, ImportResult, PacketLoader
from exports.charts import chart_png
from exports.csv_exporter import rows_to_csv
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

#: Where on a month's page each pay figure is printed (its compensation-report section).
FIGURE_ANCHORS = {name: section_anchor(section) for name, (section, _) in SECTION_FIGURES.items()}

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
    _setup_security(app)
    _setup_auth(app)
    _setup_log_privacy(app)
    _setup_errors(app)
    _setup_routes(app)
    _setup_cache_warming(app)
    return app


# --------------------------------------------------------------------------- setup helpers


def _setup_config(app: Flask, overrides: dict[str, Any]) -> None:
    app.config.update(
        DATABASE_URL=default_database_url(),
        DEMO_DATABASE_URL=default_database_url(demo=True),
        DEMO=False,
        DEMO_MONTHS=36,  # months of made-up packets in a newly built demo database
        DEMO_PACKETS_DIR=None,  # where the demo's PDFs go (default: beside the demo database)
        UPLOAD_DIR=None,
        BACKUP_DIR=None,  # backups folder (None: BACKUP_DIR, else backups/; data/backup.py)
        # One request may carry many packets; each file is capped at 25 MB by UploadStore.
        MAX_CONTENT_LENGTH=400 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        # Warm the cached figures in the background after data changes (analytics/cache.py):
        # None means on unless TESTING; a test turns it on with True.
        CACHE_WARMING=None,
        CACHE_WARMING_POLL_SECONDS=30.0,
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


class Databases:
    """The user's database and, on demand, the demo database beside it. Demo rows never
    reach the user's database: each has its own engine."""

    def __init__(self, user_url: str, demo_url: str) -> None:
        self.urls = {"user": user_url, "demo": demo_url}
        self._engines: dict[str, Engine] = {}
        self._factories: dict[str, sessionmaker[Session]] = {}

    def factory(self, mode: str) -> sessionmaker[Session]:
        if mode not in self._factories:
            engine = make_engine(self.urls[mode])
            initialize_database(engine)
            self._engines[mode] = engine
            self._factories[mode] = make_session_factory(engine)
        return self._factories[mode]

    def engine(self, mode: str) -> Engine:
        self.factory(mode)
        return self._engines[mode]

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


def _setup_database(app: Flask) -> None:
    """The user's database is opened (and migrated) at start; the demo one on first use."""
    databases = Databases(app.config["DATABASE_URL"], app.config["DEMO_DATABASE_URL"])
    databases.factory("demo" if app.config.get("DEMO") else "user")
    app.extensions["databases"] = databases

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        end_read_snapshot()


def _setup_cache_warming(app: Flask) -> None:
    """Start the cache warmer (analytics/cache.py) on the database the app serves: it warms
    now, after each change made here (:func:`data_changed`) and when another process (the
    import CLI) changed the data, checked every ``CACHE_WARMING_POLL_SECONDS``."""
    enabled = app.config.get("CACHE_WARMING")
    if not (enabled if enabled is not None else not app.config.get("TESTING")):
        return
    from analytics.cache import CacheWarmer
    from analytics.warmup import WARM_TASKS

    mode = "demo" if app.config.get("DEMO") else "user"
    factory = app.extensions["databases"].factory(mode)
    warmer = CacheWarmer(
        lambda: read_snapshot(factory),
        WARM_TASKS,
        poll_seconds=float(app.config["CACHE_WARMING_POLL_SECONDS"]),
    )
    app.extensions["cache_warmer"] = warmer
    warmer.start()


def data_changed() -> None:
    """After a route committed a change to the data: have the cache warmer recompute the
    cached figures in the background (returns at once; nothing when warming is off)."""
    warmer = current_app.extensions.get("cache_warmer")
    if warmer is not None:
        warmer.poke()


def _warmer_paused() -> Any:
    """A context in which the cache warmer keeps off the database (a restore)."""
    warmer = current_app.extensions.get("cache_warmer")
    return warmer.paused() if warmer is not None else contextlib.nullcontext()


def demo_mode() -> bool:
    """True while the browser looks at the demo (``app.py --demo``, or "Open the demo")."""
    return bool(current_app.config.get("DEMO") or flask_session.get("demo"))


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["databases"].factory("demo" if demo_mode() else "user")


def db_session() -> Session:
    """The request's session (opened on first use, closed when the request ends): one read
    snapshot, so a page is consistent even while an import commits."""
    if "db_session" not in g:
        g.db_session = read_snapshot(session_factory())
    return g.db_session


def end_read_snapshot() -> None:
    """Close the request's read session, so that the next :func:`db_session` sees what was
    written since (after a write in this request) and holds nothing open while a restore or
    delete works on the file."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def _setup_templates(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        items = [(ep, label) for ep, label in NAVIGATION if ep in app.view_functions]
        return {
            "navigation": items,
            "current_endpoint": request.endpoint,
            "demo_mode": demo_mode(),
            "password_protected": "password_gate" in app.extensions,
            "demo_forced": bool(app.config.get("DEMO")),
        }

    @app.template_filter("money")
    def _money(value: float | None) -> str:
        return format_cell(value, "money")

    app.add_template_filter(format_cell, "cell")


def _setup_security(app: Flask) -> None:
    """CSRF tokens on every state-changing request, and strict response headers."""
    CSRFProtect(app)

    @app.after_request
    def _headers(response):  # noqa: ANN001, ANN202 - Flask response object
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _setup_auth(app: Flask) -> None:
    """With a password set (APP_PASSWORD or --password-file), every page but the sign-in
    page asks for it; a session cookie remembers it. Without one nothing changes."""
    from analytics.access import PasswordGate, configured_password

    password = configured_password(app.config.get("APP_PASSWORD"), app.config.get("PASSWORD_FILE"))
    if not password:
        return
    gate = PasswordGate(password, app.config["SECRET_KEY"])
    app.extensions["password_gate"] = gate
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=12)
    open_endpoints = {"login", "static", "health"}

    def signed_in() -> bool:
        return flask_session.get("auth") == gate.fingerprint

    def safe_next(target: str | None) -> str:
        ok = target and target.startswith("/") and not target.startswith("//")
        return target if ok and "\\" not in target else url_for("dashboard")

    @app.before_request
    def _require_password():  # noqa: ANN202
        if request.endpoint in open_endpoints or signed_in():
            return None
        if request.method == "GET":
            wanted = request.full_path if request.query_string else request.path
            return redirect(url_for("login", next=wanted))
        abort(401, "Sign in first: this app asks for its password.")

    @app.context_processor
    def _no_menu_before_sign_in() -> dict[str, Any]:
        return {} if signed_in() else {"navigation": []}

    @app.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        next_url = safe_next(request.values.get("next"))
        if request.method == "GET":
            return render_template("login.html", message=None, next_url=next_url)
        ok, message = gate.attempt(request.form.get("password", ""))
        if not ok:
            log.warning("Sign-in refused (%d wrong passwords in a row)", gate.failures)
            return render_template("login.html", message=message, next_url=next_url), 401
        flask_session.clear()
        flask_session.permanent = True
        flask_session["auth"] = gate.fingerprint
        return redirect(next_url)

    @app.route("/logout", methods=["GET", "POST"])
    def logout():  # noqa: ANN202
        if request.method == "GET":
            return render_template("logout.html")
        flask_session.clear()
        return redirect(url_for("login"))


def _setup_log_privacy(app: Flask) -> None:
    """Every log line from now on leaves out patient names, tickets, dates and CPT codes
    (analytics/privacy.py); the names stored so far are learned here."""
    from analytics.privacy import install_log_redaction, remember_names
    from data.repositories import PatientNameRepository

    install_log_redaction()
    mode = "demo" if app.config.get("DEMO") else "user"
    with session_scope(app.extensions["databases"].factory(mode)) as session:
        remember_names(PatientNameRepository(session).all_names())


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

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError):  # noqa: ANN202
        message = (
            "This form has expired or did not come from this app, so nothing was "
            "changed. Reload the page and try again."
        )
        return render_template("error.html", code=400, title="Form expired", message=message), 400

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
    _setup_dashboard_routes(app)
    _setup_import_routes(app)
    _setup_browse_routes(app)
    _setup_insights_routes(app)
    _setup_rules_routes(app)
    _setup_demo_routes(app)
    _setup_backup_routes(app)
    _setup_export_routes(app)
    _setup_audit_routes(app)
    _setup_forecast_routes(app)


def _setup_dashboard_routes(app: Flask) -> None:
    @app.get("/")
    def dashboard():  # noqa: ANN202
        overview = build_overview(db_session())
        return render_template(
            "dashboard.html", overview=overview, anchors=FIGURE_ANCHORS, **_packet_list_args()
        )

    @app.get("/health")
    def health():  # noqa: ANN202
        mode = "demo" if demo_mode() else "user"
        engine = app.extensions["databases"].engine(mode)
        current = schema_version(engine)
        expected = head_revision()
        path = sqlite_path(app.extensions["databases"].urls[mode])
        return jsonify(
            status="ok" if current == expected else "needs_upgrade",
            schema_version=current,
            expected_schema_version=expected,
            database=str(path) if path else engine.url.render_as_string(hide_password=True),
            demo=mode == "demo",
        )


# --------------------------------------------------------------------------- import, delete


def upload_store() -> UploadStore:
    folder = current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads"
    return UploadStore(Path(folder))


def _keep_for_answer(result: ImportResult) -> bool:
    """Files the user can still act on: replace the stored month, or give a password."""
    return result.status == NEEDS_REPLACE or result.error_kind in {
        "password_required",
        "wrong_password",
    }


def _import_upload(store: UploadStore, token: str, name: str, **options: Any) -> dict[str, Any]:
    result = PacketLoader(session_factory()).import_file(
        store.path(token), display_name=name, **options
    )
    scheduled_summary(result)
    keep = _keep_for_answer(result)
    if not keep:
        store.discard(token)
    return {"result": result, "token": token if keep else None}


def _setup_import_routes(app: Flask) -> None:
    @app.post("/upload")
    def upload():  # noqa: ANN202
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            flash("Choose one or more packet PDFs to upload.", "error")
            return redirect(url_for("dashboard"))
        options = {
            "replace": request.form.get("replace") == "1",
            "password": request.form.get("password") or None,
        }
        reason = (
            "before importing several packets"
            if len(files) > 1
            else "before replacing a packet"
            if options["replace"]
            else None
        )
        if reason and (problem := backup_first(reason)):
            flash(f"Nothing was imported: {problem}", "error")
            return redirect(url_for("dashboard"))
        store = upload_store()
        rows = []
        for upload_file in files:
            name = display_name(upload_file.filename)
            try:
                token = store.save(upload_file.stream, upload_file.filename)
            except UploadRejected as rejected:
                rows.append({"result": ImportResult(name, ERROR, rejected.message), "token": None})
                continue
            rows.append(_import_upload(store, token, name, **options))
        data_changed()
        return render_template("upload_results.html", rows=rows)

    @app.post("/upload/<token>")
    def upload_answer(token: str):  # noqa: ANN202
        """The user's answer for a file kept waiting: replace the stored month, or a password."""
        store = upload_store()
        name = display_name(request.form.get("name"))
        if not store.exists(token):
            flash(
                "That upload is no longer waiting (it was answered or expired). "
                "Upload the file again.",
                "error",
            )
            return redirect(url_for("dashboard"))
        if request.form.get("action") == "cancel":
            store.discard(token)
            flash(f"{name} was not imported.", "info")
            return redirect(url_for("dashboard"))
        options = {
            "replace": request.form.get("replace") == "1",
            "password": request.form.get("password") or None,
        }
        if options["replace"] and (problem := backup_first("before replacing a packet")):
            flash(f"Nothing was replaced: {problem}", "error")
            return redirect(url_for("dashboard"))
        rows = [_import_upload(store, token, name, **options)]
        data_changed()
        return render_template("upload_results.html", rows=rows)

    @app.route("/packets/<int:packet_id>/delete", methods=["GET", "POST"])
    def delete_packet(packet_id: int):  # noqa: ANN202
        packet = build_overview(db_session()).packet(packet_id)
        if packet is None:
            flash("That packet is not imported (it may have been deleted already).", "error")
            return redirect(url_for("dashboard"))
        if request.method == "GET":
            return render_template("delete_packet.html", packet=packet)
        if problem := backup_first(f"before deleting the packet for {packet.period}"):
            flash(f"Nothing was deleted: {problem}", "error")
            return redirect(url_for("dashboard"))
        end_read_snapshot()
        result = PacketLoader(session_factory()).delete_packet(packet_id)
        data_changed()
        flash(result.message if result else "That packet was already deleted.", "success")
        return redirect(url_for("dashboard"))

    @app.route("/delete", methods=["GET", "POST"])
    def delete_all():  # noqa: ANN202
        overview = build_overview(db_session())
        if request.method == "GET":
            return render_template("delete_all.html", overview=overview, **_packet_list_args())
        if request.form.get("confirm", "").strip() != "DELETE":
            flash("Nothing was deleted: type DELETE in the box to confirm.", "error")
            return redirect(url_for("delete_all"))
        if problem := backup_first("before deleting all data"):
            flash(f"Nothing was deleted: {problem}", "error")
            return redirect(url_for("delete_all"))
        end_read_snapshot()
        removed = PacketLoader(session_factory()).delete_all()
        data_changed()
        flash(f"Deleted all data: {removed} packets and everything derived from them.", "success")
        return redirect(url_for("dashboard"))


# --------------------------------------------------------------------------- tables


def table_export(table: TablePage, fmt: str, name: str):  # noqa: ANN201 - a Flask response
    """The .json or .csv of a table page, from the same TablePage the page renders.
    Patient names only with ``include_names=1``."""
    if request.args.get("include_names") != "1":
        table = table.without_private()
    if fmt == "json":
        return jsonify(table.to_dict())
    return send_file(
        io.BytesIO(rows_to_csv(table.columns, table.rows)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{name}.csv",
    )


def _compensation_table(params: Any) -> tuple[TablePage, PeriodWindow]:
    """The compensation page's table over the window ``from``/``to``/``years`` ask for
    (the last three years by default)."""
    window = stored_period_window(db_session(), params)
    pools, rows = compensation_rows(db_session(), window.start, window.end)
    table = TablePage(
        "Compensation by pay period",
        compensation_columns(pools),
        rows,
        len(rows),
        per_page=None,
        filters=window.params,
    )
    table.problems = list(window.problems)
    return table, window


def chart_payload(chart: Chart) -> dict[str, Any]:
    """A chart as the page's script draws it: its series with drill-down URLs."""
    return {
        "name": chart.name,
        "title": chart.title,
        "question": chart.question,
        "note": chart.note,
        "kind": chart.kind,
        "x_label": chart.x_label,
        "y_label": chart.y_label,
        "value_format": chart.value_format,
        "x": chart.x,
        "empty": chart.empty,
        "series": [
            {
                "name": s.name,
                "values": s.values,
                "drawn": s.drawn,
                "format": s.value_format,
                "links": [target_url(t) for t in s.targets] or [None] * len(s.values),
            }
            for s in chart.series
        ],
    }


def chart_response(chart: Chart | None, name: str, fmt: str):  # noqa: ANN201 - a response
    """A chart as PNG (matplotlib), CSV (its rows) or JSON (what the page draws)."""
    if chart is None:
        abort(404, description=f"There is no chart called {name[:40]}.")
    if fmt == "png":
        return send_file(
            io.BytesIO(chart_png(chart)),
            mimetype="image/png",
            as_attachment=request.args.get("download") == "1",
            download_name=f"{chart.name}.png",
        )
    if fmt == "json":
        return jsonify(chart_payload(chart))
    columns = [SimpleNamespace(key=k, label=label) for k, label in chart.columns()]
    return send_file(
        io.BytesIO(rows_to_csv(columns, chart.rows())),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{chart.name}.csv",
    )


def _setup_insights_routes(app: Flask) -> None:
    @app.get("/insights")
    def insights():  # noqa: ANN202
        session = db_session()
        if not _has_packets():
            return render_template("insights.html", view=None, has_packets=False)
        view = build_insights(session, request.args)
        return render_template(
            "insights.html",
            view=view,
            has_packets=True,
            charts=[chart_payload(chart) for chart in view.charts],
            target_url=target_url,
            alert_url=lambda alert: target_url(drilldown_target(alert.drilldown)),
        )

    @app.get("/insights/<name>.<any(png,csv,json):fmt>")
    def insights_chart_export(name: str, fmt: str):  # noqa: ANN202
        return chart_response(insights_chart(db_session(), name, request.args), name, fmt)

    @app.get("/drilldown")
    def drilldown():  # noqa: ANN202
        table = drilldown_table(db_session(), request.args)
        return render_template("drilldown.html", table=table)

    @app.get("/drilldown.<any(csv,json):fmt>")
    def drilldown_export(fmt: str):  # noqa: ANN202
        table = drilldown_table(db_session(), request.args, all_rows=fmt == "csv")
        return table_export(table, fmt, "lines")


def target_url(target: Any) -> str | None:
    """The URL of an analytics drill-down target ``(endpoint, params)``."""
    if target is None:
        return None
    endpoint, params = target
    return url_for(endpoint, **params)


#: How many of the newest packets the dashboard and the delete page list unless asked for all
#: (a career is 360 packets: the list would be most of those pages' size and time).
RECENT_PACKETS = 24


def _packet_list_args() -> dict[str, Any]:
    return {
        "recent_packets": RECENT_PACKETS,
        "show_all_packets": request.args.get("packets") == "all",
    }


def _has_packets() -> bool:
    return not build_overview(db_session()).is_empty


def _setup_browse_routes(app: Flask) -> None:
    formats = "<any(csv,json):fmt>"

    @app.get("/tickets")
    def tickets():  # noqa: ANN202
        session = db_session()
        table = tickets_table(session, request.args)
        return render_template(
            "tickets.html", table=table, choices=filter_choices(session), has_packets=_has_packets()
        )

    @app.get(f"/tickets.{formats}")
    def tickets_export(fmt: str):  # noqa: ANN202
        table = tickets_table(db_session(), request.args, all_rows=fmt == "csv")
        return table_export(table, fmt, "charge-lines")

    @app.get("/cases")
    def cases():  # noqa: ANN202
        session = db_session()
        table = cases_table(session, request.args)
        return render_template(
            "cases.html", table=table, choices=filter_choices(session), has_packets=_has_packets()
        )

    @app.get(f"/cases.{formats}")
    def cases_export(fmt: str):  # noqa: ANN202
        table = cases_table(db_session(), request.args, all_rows=fmt == "csv")
        return table_export(table, fmt, "cases")

    @app.get("/cases/<ticket>")
    def case(ticket: str):  # noqa: ANN202
        detail = case_detail(db_session(), ticket[:20])
        if detail is None:
            abort(404, description=f"No case with ticket {ticket[:20]} is imported.")
        return render_template("case.html", detail=detail)

    @app.get("/compensation")
    def compensation():  # noqa: ANN202
        table, window = _compensation_table(request.args)
        return render_template(
            "compensation.html",
            table=table,
            window=window,
            stored=build_overview(db_session()).packet_count,
            has_packets=_has_packets(),
            anchors=FIGURE_ANCHORS,
        )

    @app.get(f"/compensation.{formats}")
    def compensation_export(fmt: str):  # noqa: ANN202
        return table_export(_compensation_table(request.args)[0], fmt, "compensation")

    @app.get("/compensation/<period>")
    def compensation_month(period: str):  # noqa: ANN202
        view = packet_view(db_session(), period[:7])
        if view is None:
            abort(404, description=f"No packet for the pay period {period[:7]} is imported.")
        return render_template("compensation_month.html", view=view, anchors=FIGURE_ANCHORS)

    @app.get("/analysis")
    def analysis():  # noqa: ANN202
        session = db_session()
        window = stored_period_window(session, request.args)
        for problem in window.problems:
            flash(problem, "error")
        charts = all_charts(session, window.start, window.end)
        return render_template(
            "analysis.html",
            charts=[chart_payload(chart) for chart in charts],
            window=window,
            stored=build_overview(session).packet_count,
            has_packets=_has_packets(),
        )

    @app.get("/analysis/<name>.<any(png,csv,json):fmt>")
    def analysis_chart(name: str, fmt: str):  # noqa: ANN202
        window = stored_period_window(db_session(), request.args)
        return chart_response(build_chart(db_session(), name, window.start, window.end), name, fmt)

    @app.get("/cpt_codes")
    def cpt_codes():  # noqa: ANN202
        session = db_session()
        return render_template(
            "cpt_codes.html",
            table=cpt_table(session, request.args),
            choices=filter_choices(session),
            has_packets=_has_packets(),
        )

    @app.get(f"/cpt_codes.{formats}")
    def cpt_codes_export(fmt: str):  # noqa: ANN202
        return table_export(cpt_table(db_session(), request.args), fmt, "cpt-codes")


# --------------------------------------------------------------------------- points rules


def _parse_rule_form(form: Any) -> tuple[DatedRule | None, str | None]:
    """A rule from the add form, or the message that says which field is wrong."""
    try:
        effective = dt.date.fromisoformat(form.get("effective_date", "").strip())
    except ValueError:
        return None, "Give the effective date as a date (YYYY-MM-DD)."
    values = []
    for field, label in (
        ("time", "per minute"),
        ("anes_base", "per anesthesia base unit"),
        ("med_base", "per medical base unit"),
    ):
        try:
            value = float(form.get(field, "").strip())
        except ValueError:
            return None, f"Give the points {label} as a number, e.g. 0.50."
        if not 0 <= value <= 10:
            return None, f"The points {label} must be between 0 and 10 (got {value:g})."
        values.append(value)
    description = (form.get("description") or "").strip()[:200]
    return DatedRule(effective, Multipliers(*values), description), None


def _setup_rules_routes(app: Flask) -> None:
    @app.get("/asmg_rules")
    def asmg_rules():  # noqa: ANN202
        session = db_session()
        return render_template(
            "asmg_rules.html", rules=list_rules(session), suggestions=suggested_rules(session)
        )

    @app.post("/asmg_rules")
    def asmg_rules_add():  # noqa: ANN202
        rule, problem = _parse_rule_form(request.form)
        if problem:
            flash(f"Nothing was saved: {problem}", "error")
            return redirect(url_for("asmg_rules"))
        with session_scope(session_factory()) as session:
            change = add_rule(session, rule)
        data_changed()
        flash(change.message, "success")
        return redirect(url_for("asmg_rules"))

    @app.post("/asmg_rules/adopt")
    def asmg_rules_adopt():  # noqa: ANN202
        with session_scope(session_factory()) as session:
            added = adopt_rules_from_packets(session)
        data_changed()
        flash(f"{added} rule(s) taken from your packets' F2 pages; cases recomputed.", "success")
        return redirect(url_for("asmg_rules"))

    @app.post("/asmg_rules/<int:rule_id>/delete")
    def asmg_rules_delete(rule_id: int):  # noqa: ANN202
        if problem := backup_first("before deleting a points rule"):
            flash(f"Nothing was deleted: {problem}", "error")
            return redirect(url_for("asmg_rules"))
        with session_scope(session_factory()) as session:
            change = delete_rule(session, rule_id)
        data_changed()
        flash(change.message, "success" if change.rule_id is None else "error")
        return redirect(url_for("asmg_rules"))


# --------------------------------------------------------------------------- demo


def _setup_demo_routes(app: Flask) -> None:
    @app.post("/demo/enter")
    def demo_enter():  # noqa: ANN202
        from setup_app import build_demo

        packets_dir = app.config["DEMO_PACKETS_DIR"]
        try:
            build_demo(
                app.config["DEMO_DATABASE_URL"],
                packets_dir=Path(packets_dir) if packets_dir else None,
                months=app.config["DEMO_MONTHS"],
            )
        except Exception as exc:  # noqa: BLE001 - said to the user, nothing half-shown
            log.error("Demo build failed: %s", type(exc).__name__)
            flash(
                "The demo could not be built. Run `python3 setup_app.py --demo` to see why.",
                "error",
            )
            return redirect(url_for("dashboard"))
        flask_session["demo"] = True
        flash("You are looking at the demo: a made-up physician with made-up patients.", "info")
        return redirect(url_for("dashboard"))

    @app.post("/demo/leave")
    def demo_leave():  # noqa: ANN202
        flask_session.pop("demo", None)
        return redirect(url_for("dashboard"))


# --------------------------------------------------------------------------- backups


def _backup_target() -> tuple[str, Path]:
    """The database the browser looks at (yours, or the demo) and its backup folder."""
    url = current_app.extensions["databases"].urls["demo" if demo_mode() else "user"]
    return url, Path(current_app.config.get("BACKUP_DIR") or default_backup_dir(url))


def backup_first(reason: str) -> str | None:
    """The automatic backup before an import of several packets or a delete; the problem
    (so the caller changes nothing) when it could not be made."""
    url, folder = _backup_target()
    try:
        backup_before(reason, url, folder)
    except BackupError as exc:
        return f"the backup made first failed ({exc})"
    return None


def start_daily_backups(app: Flask) -> BackupScheduler:
    """The 2 AM backup of the user's database while the server runs (not in create_app:
    tests and the demo do not start it)."""
    url = app.config["DATABASE_URL"]
    folder = app.config.get("BACKUP_DIR") or default_backup_dir(url)
    scheduler = BackupScheduler(url, folder)
    scheduler.start()
    app.extensions["backup_scheduler"] = scheduler
    print(f"Daily backup at 02:00 into {folder}", flush=True)
    return scheduler


def _setup_backup_routes(app: Flask) -> None:
    def backup_store() -> DatabaseBackup:
        url, folder = _backup_target()
        try:
            return DatabaseBackup(url, folder)
        except BackupError as exc:
            abort(400, description=str(exc))

    def backup_named(name: str) -> BackupInfo:
        found = {info.name: info for info in backup_store().list_backups()}
        if name not in found:
            abort(404, description=f"There is no backup called {name[:80]}.")
        return found[name]

    @app.get("/backups")
    def backups():  # noqa: ANN202
        store = backup_store()
        scheduler = app.extensions.get("backup_scheduler")
        return render_template(
            "backups.html",
            store=store,
            items=store.list_backups(),
            next_run=scheduler.next_run if scheduler and not demo_mode() else None,
        )

    @app.post("/backups/create")
    def backups_create():  # noqa: ANN202
        try:
            path = backup_store().create_backup(None, reason="made on the Backups page")
        except (BackupError, OSError) as exc:
            flash(f"No backup was made: {exc}", "error")
            return redirect(url_for("backups"))
        flash(f"Backup made and checked: {path.name}.", "success")
        return redirect(url_for("backups"))

    @app.get("/backups/<name>/download")
    def backups_download(name: str):  # noqa: ANN202
        info = backup_named(name)
        return send_file(
            info.path, mimetype="application/octet-stream", as_attachment=True,
            download_name=info.name,
        )  # fmt: skip

    @app.post("/backups/<name>/verify")
    def backups_verify(name: str):  # noqa: ANN202
        info = backup_named(name)
        result = backup_store().verify(info.path)
        if result.ok:
            flash(f"{name} is intact: checksum matches, integrity check ok.", "success")
        else:
            flash(f"{name} FAILED verification: {result.message}. Do not rely on it.", "error")
        return redirect(url_for("backups"))

    @app.route("/backups/<name>/restore", methods=["GET", "POST"])
    def backups_restore(name: str):  # noqa: ANN202
        info = backup_named(name)
        if request.method == "GET":
            current = build_overview(db_session()).packet_count
            return render_template("backup_restore.html", info=info, current=current)
        end_read_snapshot()
        databases = app.extensions["databases"]
        engine = databases.engine("demo" if demo_mode() else "user")
        with _warmer_paused():  # a restore needs every connection to the file closed
            engine.dispose()
            try:
                result = backup_store().restore_backup(info.path)
            except (BackupError, OSError) as exc:
                flash(f"Nothing was restored: {exc}", "error")
                return redirect(url_for("backups"))
            finally:
                engine.dispose()
        data_changed()
        flash(result.message, "success")
        return redirect(url_for("backups"))


# --------------------------------------------------------------------------- exports

#: Page filters an export passes on to the table it exports (the rest are its own options).
EXPORT_FILTERS = (
    "q",
    "ticket",
    "cpt",
    "service_type",
    "pay_code",
    "pool",
    "note",
    "post_month",
    "service_month",
    "packet",
    "chart",
    "service_from",
    "service_to",
    "post_from",
    "post_to",
)


def export_dir() -> Path:
    """Where kept exports (scheduled monthly summaries) are stored for this database."""
    from exports.monthly import export_dir_for

    mode = "demo" if demo_mode() else "user"
    url = current_app.extensions["databases"].urls[mode]
    return export_dir_for(url, current_app.config.get("EXPORT_DIR"))


def scheduled_summary(result: ImportResult) -> None:
    """After a month is imported from the web, its monthly summary PDF is made and kept."""
    if current_app.config.get("SCHEDULED_MONTHLY_SUMMARY", True) and result.ok and result.period:
        from exports.monthly import generate_after_import

        generate_after_import(session_factory(), result.period, export_dir())


def _export_response(data: Any, fmt: str, template: str | None = None):  # noqa: ANN202
    """Write ``data`` as ``fmt``, record it in the download history, send it."""
    import tempfile

    from exports.service import MIMETYPES, record_export
    from exports.templates import write_export

    name = data.file_name(fmt)
    with tempfile.TemporaryDirectory() as folder:
        path = write_export(data, fmt, Path(folder) / name)
        content = path.read_bytes()
    with session_scope(session_factory()) as session:
        record_export(session, data, fmt, name, len(content), template=template)
    return send_file(
        io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name
    )


def _export_fail(message: str):  # noqa: ANN202
    return render_template("error.html", code=400, title="Cannot export", message=message), 400


def _setup_export_routes(app: Flask) -> None:
    from exports.service import (
        ENTITY_LABELS,
        FORMATS,
        ExportError,
        ExportRequest,
        build_export,
        entity_fields,
        range_from_params,
    )
    from exports.templates import (
        AUDIT_SECTIONS,
        COMPENSATION_SECTIONS,
        TemplateSpec,
        delete_template,
        find_template,
        list_templates,
        save_template,
        template_data,
    )

    app.config.setdefault("EXPORT_DIR", None)
    app.config.setdefault("SCHEDULED_MONTHLY_SUMMARY", True)
    aliases = {"xlsx": "excel", "xls": "excel"}

    def fields_of(entity: str) -> list[dict[str, Any]]:
        """The fields the export modal offers for ``entity`` (used by templates)."""
        return [
            {"key": c.key, "label": c.label, "private": c.private}
            for c in entity_fields(db_session(), entity)
        ]

    app.jinja_env.globals["export_fields"] = fields_of

    @app.get("/export/<entity_type>/<fmt>")
    def export_data(entity_type: str, fmt: str):  # noqa: ANN202
        fmt = aliases.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            return _export_fail(f"'{fmt[:20]}' is not an export format: use csv, excel or pdf.")
        try:
            export_request = ExportRequest(
                date_range=range_from_params(request.args),
                fields=[f for f in request.args.getlist("fields") if f][:100],
                include_names=request.args.get("include_names") == "1",
                filters={k: request.args[k][:100] for k in EXPORT_FILTERS if request.args.get(k)},
            )
            data = build_export(db_session(), entity_type[:40], export_request)
        except ExportError as error:
            return _export_fail(str(error))
        return _export_response(data, fmt)

    @app.get("/export")
    def export_form():  # noqa: ANN202
        """The modal's form without script: entity and format as fields."""
        entity = (request.args.get("entity") or "").strip()[:40]
        fmt = (request.args.get("format") or "").strip()[:10]
        if not entity or not fmt:
            return _export_fail("Choose what to export and a format (CSV, Excel or PDF).")
        params = request.args.to_dict(flat=False)
        params.pop("entity", None)
        params.pop("format", None)
        return redirect(url_for("export_data", entity_type=entity, fmt=fmt, **params))

    @app.get("/exports")
    def exports():  # noqa: ANN202
        from data.repositories import ExportLogRepository

        with session_scope(session_factory()) as session:
            templates = list_templates(session)  # seeds the built-ins on first use
        history = ExportLogRepository(db_session()).recent(200)
        editing = next((t for t in templates if t.name == request.args.get("edit")), None)
        return render_template(
            "exports.html",
            templates=templates,
            history=history,
            editing=editing,
            entities=ENTITY_LABELS,
            formats=FORMATS,
            sections=COMPENSATION_SECTIONS + AUDIT_SECTIONS,
            has_packets=_has_packets(),
        )

    @app.post("/exports/templates")
    def exports_template_save():  # noqa: ANN202
        form = request.form
        spec = TemplateSpec(
            name=(form.get("name") or "").strip(),
            export_format=(form.get("export_format") or "").strip(),
            entity_type=(form.get("entity_type") or "").strip(),
            fields=[f.strip() for f in (form.get("fields") or "").split(",") if f.strip()][:100],
            sections=form.getlist("sections")[:10],
            date_range=(form.get("date_range") or "all").strip()[:40],
            include_names=form.get("include_names") == "1",
            description=(form.get("description") or "").strip(),
        )
        try:
            if spec.fields:  # a field the data does not have is an error now, not at run time
                known = {c.key for c in entity_fields(db_session(), spec.entity_type)}
                unknown = [f for f in spec.fields if known and f not in known]
                if unknown:
                    raise ExportError(f"Unknown field(s): {', '.join(unknown[:5])}.")
            with session_scope(session_factory()) as session:
                saved = save_template(session, spec, set(ENTITY_LABELS))
        except ExportError as error:
            flash(f"Nothing was saved: {error}", "error")
            return redirect(url_for("exports", edit=spec.name or None))
        flash(f"Saved the template {saved.name}.", "success")
        return redirect(url_for("exports"))

    @app.post("/exports/templates/<name>/delete")
    def exports_template_delete(name: str):  # noqa: ANN202
        try:
            with session_scope(session_factory()) as session:
                message = delete_template(session, name[:80])
        except ExportError as error:
            flash(str(error), "error")
            return redirect(url_for("exports"))
        flash(message, "success")
        return redirect(url_for("exports"))

    @app.get("/exports/templates/<name>/run")
    def exports_template_run(name: str):  # noqa: ANN202
        with session_scope(session_factory()) as session:
            spec = find_template(session, name[:80])
        if spec is None:
            abort(404, description=f"There is no export template called {name[:80]}.")
        try:
            data = template_data(db_session(), spec, (request.args.get("range") or "").strip())
        except ExportError as error:
            return _export_fail(str(error))
        return _export_response(data, spec.export_format, template=spec.name)

    @app.get("/exports/files/<int:log_id>")
    def exports_file(log_id: int):  # noqa: ANN202
        from data.models import ExportLog

        entry = db_session().get(ExportLog, log_id)
        stored = Path(entry.stored_path) if entry is not None and entry.stored_path else None
        if stored is None or not stored.is_file():
            abort(404, description="That export was a download and is not kept, or was removed.")
        return send_file(stored, as_attachment=True, download_name=entry.filename)

    @app.post("/exports/monthly")
    def exports_monthly():  # noqa: ANN202
        from exports.monthly import generate_missing

        made = generate_missing(session_factory(), export_dir())
        flash(f"{made} monthly summary report(s) generated.", "success")
        return redirect(url_for("exports"))


# --------------------------------------------------------------------------- billing audit


def _audit_page(rejected: Any = None, status: int = 200):  # noqa: ANN202 - a Flask response
    """The audit page for the request's query (and the rows refused from an upload)."""
    from analytics.audit import (
        KIND_LABELS,
        LOOKBACK_MONTHS,
        BillingAudit,
        findings_page,
        parse_audit_query,
        shown_counts,
        shown_findings,
        timeline_chart,
    )

    query = parse_audit_query(request.args)
    audit = BillingAudit(db_session())
    has_log = audit.has_log()
    report = audit.generate_audit_report(query.date_range)
    counts = shown_counts(report, has_log)
    findings = shown_findings(report, query, has_log)
    rows, page, pages = findings_page(findings, query.page)
    page_args = {"from": report.start, "to": report.end, "kind": query.kind, "month": query.month}
    timeline = [
        row
        for row in report.timeline
        if row.date_of_service.startswith(query.month or report.end.isoformat()[:7])
    ]
    page = render_template(
        "audit.html",
        report=report,
        query=query,
        has_log=has_log,
        has_packets=audit.has_packets(),
        stored_span=audit.stored_span(),
        lookback=LOOKBACK_MONTHS,
        counts=counts,
        labels=KIND_LABELS,
        findings=findings,
        rows=rows,
        page=page,
        pages=pages,
        page_args={key: value for key, value in page_args.items() if value},
        chart=chart_payload(timeline_chart(report)) if has_log else None,
        timeline=timeline,
        timeline_month=query.month or report.end.isoformat()[:7],
        rejected=rejected,
    )
    return page, status


def _setup_audit_routes(app: Flask) -> None:
    @app.get("/audit")
    def audit():  # noqa: ANN202
        return _audit_page()

    @app.post("/audit/upload")
    def audit_upload():  # noqa: ANN202
        from analytics.audit import BillingAudit
        from analytics.caselog import MAX_LOG_BYTES, CaseLogError, parse_case_log

        upload = request.files.get("caselog")
        if upload is None or not upload.filename:
            flash("Choose your case log (CSV or .xlsx) first.", "error")
            return redirect(url_for("audit"))
        name = display_name(upload.filename)
        try:
            parsed = parse_case_log(upload.stream.read(MAX_LOG_BYTES + 1), name)
        except CaseLogError as error:
            flash(f"Nothing was stored: {error.message}", "error")
            return redirect(url_for("audit"))
        if parsed.rejected:
            flash(
                f"Nothing was stored: {len(parsed.rejected)} row(s) of {name} are refused "
                "(listed below). Fix them and upload the file again.",
                "error",
            )
            return _audit_page(rejected=parsed, status=422)
        with session_scope(session_factory()) as session:
            audit = BillingAudit(session)
            stored = audit.store_log(parsed)
            audit.generate_audit_report(save_matches=True)
        data_changed()
        first, last = parsed.date_span
        flash(
            f"{name}: {len(parsed.rows)} case(s) read; {stored.added} new stored, "
            f"{stored.already} already stored. Showing {first:%b %Y} to {last:%b %Y}.",
            "success",
        )
        end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
        return redirect(url_for("audit", **{"from": first.replace(day=1), "to": end}))

    @app.get("/audit/report")
    def audit_report():  # noqa: ANN202
        from analytics.audit import BillingAudit, parse_audit_query
        from exports.audit_report import FORMATS, MIMETYPES, audit_report_bytes

        fmt = request.args.get("fmt", "pdf")
        if fmt not in FORMATS:
            abort(400, description="The report comes as pdf, xlsx or csv.")
        query = parse_audit_query(request.args)
        audit = BillingAudit(db_session())
        if not audit.has_log():
            abort(400, description="Upload your case log first: the report compares it.")
        report = audit.generate_audit_report(query.date_range)
        names = request.args.get("include_names") == "1"
        return send_file(
            io.BytesIO(audit_report_bytes(report, fmt, include_names=names)),
            mimetype=MIMETYPES[fmt],
            as_attachment=True,
            download_name=f"billing-audit-{report.start}-to-{report.end}.{fmt}",
        )

    @app.post("/audit/rematch")
    def audit_rematch():  # noqa: ANN202
        from analytics.audit import BillingAudit

        with session_scope(session_factory()) as session:
            report = BillingAudit(session).generate_audit_report(save_matches=True)
        data_changed()
        flash(
            f"Matched your stored log again: {len(report.matches)} of {report.log_rows} "
            "logged cases are verified in billing.",
            "success",
        )
        return redirect(url_for("audit"))

    @app.post("/audit/clear")
    def audit_clear():  # noqa: ANN202
        from analytics.audit import BillingAudit

        if problem := backup_first("before removing the case log"):
            flash(f"Nothing was removed: {problem}", "error")
            return redirect(url_for("audit"))
        with session_scope(session_factory()) as session:
            removed = BillingAudit(session).clear_log()
        data_changed()
        flash(f"Removed your stored case log ({removed} rows). Packets are untouched.", "success")
        return redirect(url_for("audit"))


# --------------------------------------------------------------------------- forecast


def _setup_forecast_routes(app: Flask) -> None:
    from analytics.forecasting import (
        METRICS,
        forecast_view,
        keep_forecast,
        parse_assumptions,
        set_time_off,
        valid_month,
        with_bands,
    )

    def metric_arg() -> str:
        metric = (request.args.get("metric") or "pool_pay").strip()
        if metric in METRICS or (metric.startswith("pool:") and metric[5:].isalnum()):
            return metric
        abort(400, description=f"There is no forecast of {metric[:40]!r}.")

    def view(metric: str, what_if):  # noqa: ANN001, ANN202
        try:
            return forecast_view(db_session(), metric, what_if)
        except ValueError as exc:
            abort(400, description=str(exc))

    @app.get("/forecast")
    def forecast():  # noqa: ANN202
        if not _has_packets():
            return render_template("forecast.html", view=None, has_packets=False)
        metric = metric_arg()
        what_if, errors = parse_assumptions(request.args)
        for message in errors:
            flash(message, "error")
        if not demo_mode():  # keep this month's forecast, fill actuals (accuracy tracking)
            with session_scope(session_factory()) as session:
                try:
                    keep_forecast(session, metric)
                except ValueError as exc:
                    abort(400, description=str(exc))
            end_read_snapshot()  # the page shows the forecast just kept
        page = view(metric, what_if)
        chart = with_bands(chart_payload(page.chart()))
        keys = ("metric", "volume", "rate", "off_weeks", "off_month")
        args = {key: request.args[key] for key in keys if request.args.get(key)}
        return render_template("forecast.html", view=page, chart=chart, has_packets=True, args=args)

    @app.get("/forecast.<any(png,csv,json):fmt>")
    def forecast_export(fmt: str):  # noqa: ANN202
        if not _has_packets():
            abort(404, description="No packets imported yet: nothing to forecast.")
        what_if, errors = parse_assumptions(request.args)
        if errors:
            abort(400, description=" ".join(errors))
        page = view(metric_arg(), what_if)
        if fmt == "json":
            chart = with_bands(chart_payload(page.chart()))
            return jsonify({**chart, "forecast": page.forecast.to_dict()})
        return chart_response(page.chart(), "forecast", fmt)

    @app.post("/forecast/time-off")
    def forecast_time_off():  # noqa: ANN202
        month = (request.form.get("month") or "").strip()
        raw = (request.form.get("weeks") or "").strip()
        note = (request.form.get("note") or "").strip()[:200] or None
        try:
            weeks = float(raw)
        except ValueError:
            weeks = -1.0
        if not valid_month(month):
            flash("Give the month as YYYY-MM (for example 2026-07).", "error")
        elif not 0 <= weeks <= 4.3:
            flash("Weeks off must be a number from 0 (remove) to 4.3.", "error")
        else:
            with session_scope(session_factory()) as session:
                flash(set_time_off(session, month, weeks, note), "success")
            data_changed()
        return redirect(url_for("forecast"))


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
        epilog="While it runs, your database is backed up every day at 2 AM into BACKUP_DIR "
        "(default backups/); see cli_tools/backup.py for backups by hand.",
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
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo database (a made-up physician; built on first use, ~15 s) "
        "instead of your own",
    )
    parser.add_argument(
        "--password-file",
        default=None,
        help="ask for the password in the first line of this file on every page "
        "(or set APP_PASSWORD; default: no password, this machine only)",
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
    config: dict[str, Any] = {"DEMO": args.demo, "PASSWORD_FILE": args.password_file}
    if args.password_file:
        from analytics.access import PasswordFileError, read_password_file

        try:
            read_password_file(args.password_file)
        except PasswordFileError as exc:
            print(f"Cannot start: {exc}.", file=sys.stderr)
            return 2
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    if args.demo:
        from setup_app import build_demo

        print("Preparing the demo database (made-up data)...", flush=True)
        try:
            build_demo()
        except Exception as exc:  # noqa: BLE001
            print(f"Could not build the demo database: {exc}", file=sys.stderr)
            return 1
    try:
        app = create_app(config)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        print(f"Could not open the database: {exc}", file=sys.stderr)
        return 1
    url = app.config["DEMO_DATABASE_URL" if args.demo else "DATABASE_URL"]
    print(f"Database: {sqlite_path(url) or url}" + ("  (DEMO: made-up data)" if args.demo else ""))
    scheduler = None if args.demo else start_daily_backups(app)
    try:
        return serve(app, args.host, args.port)
    finally:
        if scheduler is not None:
            scheduler.stop()
        if "cache_warmer" in app.extensions:
            app.extensions["cache_warmer"].stop()


if __name__ == "__main__":
    sys.exit(main())
