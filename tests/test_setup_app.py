"""setup_app.py creates or upgrades the database and seeds the default points rule once."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from data.db import make_engine, make_session_factory, schema_version
from data.repositories import AsmgRuleRepository
from data.schema import head_revision

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_setup_app_creates_database_and_seeds_default_rule_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(2):  # running it again changes nothing
        result = subprocess.run(
            [sys.executable, "setup_app.py", "--database-url", url],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert "Database ready" in result.stdout
    engine = make_engine(url)
    assert schema_version(engine) == head_revision()
    session = make_session_factory(engine)()
    rules = AsmgRuleRepository(session).list_all()
    assert len(rules) == 1
    rule = rules[0]
    assert (rule.time_multiplier, rule.anes_base_multiplier, rule.med_base_multiplier) == (
        0.10,
        0.50,
        0.50,
    )
    assert rule.effective_date < dt.date(1990, 1, 1)  # "far in the past"


def test_setup_app_reports_unusable_database_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    url = f"sqlite:///{blocker / 'db.sqlite'}"
    result = subprocess.run(
        [sys.executable, "setup_app.py", "--database-url", url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Could not set up the database" in result.stderr
