"""The cache warmer: after a web import, and after an import by the command line in another
process, the figures of every page's default view are computed in the background, so the
page then reads them from the cache; it is off under TESTING, runs one warm-up at a time and
survives a task that fails."""

from __future__ import annotations

import gc
import io
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analytics import cache
from analytics.cache import CacheWarmer, WarmTask, cached_names, data_version
from analytics.overview import build_overview
from analytics.warmup import WARM_TASKS
from data.db import make_session_factory
from tests.conftest import PROJECT_ROOT, csrf_token

#: Cache keys the warm-up must leave for the current data (one per kind of figure).
WARMED = {
    "overview",
    "filter_choices",
    "monthly_figures",
    "packet_periods",
    "insights_cards",
    "income_velocity",
    "year_end",
    "all_alerts",
    "charge_lag",
    "pipeline_rows",
    "forecast_data",
    "forecast_view",
    "audit.report",
}


def _app(db_url: str, tmp_path: Path, poll: float = 30.0):  # noqa: ANN202
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": db_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "BACKUP_DIR": str(tmp_path / "backups"),
            "TESTING": True,
            "SECRET_KEY": "test",
            "CACHE_WARMING": True,
            "CACHE_WARMING_POLL_SECONDS": poll,
        }
    )


@pytest.fixture
def warm_app(db_url, tmp_path):
    cache.clear()
    app = _app(db_url, tmp_path)
    yield app
    app.extensions["cache_warmer"].stop()
    app.extensions["databases"].dispose()
    cache.clear()


def _now(app, read):  # noqa: ANN001, ANN202
    """``read(session)`` on the app's database as it is now."""
    session = app.extensions["databases"].factory("user")()
    try:
        return read(session)
    finally:
        session.close()


def _held(app) -> set:  # noqa: ANN001
    """The names the cache holds for the app's database as it is now."""
    return _now(app, cached_names)


def _version(app) -> tuple:  # noqa: ANN001
    return _now(app, data_version)


def test_a_web_import_is_warmed_in_the_background(warm_app, history_36):
    warmer = warm_app.extensions["cache_warmer"]
    assert warmer.wait_until_idle(timeout=120), "the start-up warm-up did not finish"
    empty_version = warmer.last_run.version
    assert {"overview", "filter_choices"} <= _held(warm_app)  # warmed at start, no data yet

    client = warm_app.test_client()
    months = history_36[:13]
    data = {
        "csrf_token": csrf_token(client),
        "files": [(io.BytesIO(m.pdf_path.read_bytes()), m.pdf_path.name) for m in months],
    }
    response = client.post("/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count(">imported</span>") == 13

    assert warmer.wait_until_idle(timeout=300), "the warm-up after the import did not finish"
    run = warmer.last_run
    assert run.version == _version(warm_app) != empty_version
    assert run.failed == [] and run.done == [task.name for task in WARM_TASKS]
    # The warmed figures are out of the cyclic collector's rounds (no full-collection pauses).
    assert gc.get_freeze_count() > 0
    held = _held(warm_app)
    assert {name if isinstance(name, str) else name[0] for name in held} >= WARMED
    assert any(isinstance(n, tuple) and n[0] == "analysis_chart" for n in held)
    assert any(isinstance(n, tuple) and n[0] == "search_totals" for n in held)

    # The pages now read the warmed figures: the new data, straight from the cache.
    overview = build_overview(warm_app.extensions["databases"].factory("user")())
    assert overview.packet_count == 13 and overview.latest_period == months[-1].period
    dashboard = client.get("/").get_data(as_text=True)
    assert months[-1].pdf_path.name in dashboard
    insights = client.get("/insights").get_data(as_text=True)
    assert f"({months[-1].period})" in insights


def test_an_import_by_another_process_is_noticed_by_polling(db_url, tmp_path, history_36):
    cache.clear()
    app = _app(db_url, tmp_path, poll=0.2)
    warmer = app.extensions["cache_warmer"]
    try:
        assert warmer.wait_until_idle(timeout=120)
        month = history_36[0]
        done = subprocess.run(
            [sys.executable, "cli_tools/import_reports.py", "--database-url", db_url,
             "--quiet", str(month.pdf_path)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        version = _version(app)
        deadline = time.monotonic() + 300
        while (warmer.last_run.version != version) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert warmer.last_run.version == version, "the CLI import was never warmed"
        assert warmer.wait_until_idle(timeout=300)
        assert {"overview", "monthly_figures", "all_alerts"} <= _held(app)
        page = app.test_client().get("/compensation").get_data(as_text=True)
        assert month.period in page
    finally:
        warmer.stop()
        app.extensions["databases"].dispose()
        cache.clear()


def test_warming_is_off_under_testing(db_url, tmp_path):
    from app import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test"})
    assert "cache_warmer" not in app.extensions
    app.test_client().get("/")  # a page works without it


def test_a_failing_task_is_logged_without_data_and_the_rest_still_run(engine, caplog):
    cache.clear()
    factory = make_session_factory(engine)

    def broken(session) -> None:  # noqa: ANN001
        raise ValueError("patient Jane Madeup 12345678")

    tasks = [WarmTask("broken", broken), WarmTask("overview", build_overview)]
    warmer = CacheWarmer(factory, tasks)
    with caplog.at_level(logging.INFO, logger="compensation.cache"):
        run = warmer.warm_now()
    assert run.failed == ["broken"] and run.done == ["overview"]
    assert "Cache warm-up: broken failed (ValueError)" in caplog.text
    assert "Madeup" not in caplog.text and "12345678" not in caplog.text
    session = factory()
    assert "overview" in cached_names(session)
    session.close()
    with warmer.paused():
        assert warmer.warm_now() is None  # kept off the database while paused


def test_one_warm_up_at_a_time(engine):
    factory = make_session_factory(engine)
    lock = threading.Lock()
    running = [0]
    most = [0]

    def slow(_session) -> None:  # noqa: ANN001
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    warmer = CacheWarmer(factory, [WarmTask(f"slow {i}", slow) for i in range(4)], 0.01)
    warmer.start()
    callers = [threading.Thread(target=warmer.warm_now) for _ in range(3)]
    for caller in callers:
        caller.start()
        warmer.poke()
    for caller in callers:
        caller.join()
    assert warmer.wait_until_idle(timeout=60)
    warmer.stop()
    assert most[0] == 1
