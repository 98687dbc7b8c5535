"""In Chromium: back up now, see the backup verified, restore it through the confirmation
page and its dialog; the real ``app.py`` says it runs the daily backup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import running_app
from tests.test_backup import table_rows

pytestmark = pytest.mark.browser


def test_back_up_then_restore_in_the_browser(browser, tmp_path: Path, demo_db: Path) -> None:
    db = tmp_path / "mine.db"
    shutil.copyfile(demo_db, db)
    original = table_rows(db)
    env = {"DATABASE_URL": f"sqlite:///{db}", "BACKUP_DIR": str(tmp_path / "backups")}
    with running_app(env) as url:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/backups")
        assert page.get_by_test_id("no-backups").is_visible()
        assert page.get_by_test_id("next-run").inner_text().endswith("02:00")
        page.get_by_test_id("backup-now").click()
        page.wait_for_selector("[data-testid=backups] tbody tr")
        row = page.locator("[data-testid=backups] tbody tr").first
        assert row.get_by_test_id("verify-status").locator(".badge-ok").is_visible()
        assert "36" in row.inner_text()

        # Change the data (delete a packet), then restore the backup.
        page.goto(url + "/delete")
        page.get_by_role("link", name="Delete…").first.click()
        page.get_by_role("button", name="Delete this packet").click()
        page.wait_for_selector(".flash")
        assert len(table_rows(db)["packets"]) == 35

        page.goto(url + "/backups")
        rows = page.locator("[data-testid=backups] tbody tr")
        assert rows.count() == 2  # the one made before the delete is newest
        rows.nth(1).get_by_role("link", name="Restore…").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("restore-confirm").click()
        page.wait_for_selector(".flash-success")
        assert "36 packets" in page.locator(".flash-success").inner_text()
        assert table_rows(db) == original
        page.goto(url + "/")
        assert page.locator("body").inner_text()
        assert errors == []
